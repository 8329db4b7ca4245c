// How the form's model choice is recorded in a run (no files, no tokens), and whose training
// defaults it takes (src/rl/settings.ts).
import type { RunModel } from '../host/run-store.ts';
import type { ModelKind } from '../rl/settings.ts';
import type { Studio } from './app.ts';
import type { StudioForm } from './state.ts';

/** Whose default settings a model choice takes: the built-in policy's, or a Hub model's (a local model too). */
export function settingsModel(kind: StudioForm['model']['kind']): ModelKind {
  return kind === 'builtin' ? 'builtin' : 'hub';
}

export function modelLabel(s: Studio): RunModel {
  const m = s.form.model;
  if (m.kind === 'hub') return { kind: 'hub', id: m.hubId };
  if (m.kind === 'local') return { kind: 'local', id: s.localFiles[0]?.webkitRelativePath?.split('/')[0] || 'local files' };
  return { kind: 'builtin', id: m.builtinId ?? 'evom-tiny' };
}
