// How the form's model choice is recorded in a run (no files, no tokens).
import type { StudioRun } from '../host/studio-engine.ts';
import type { Studio } from './app.ts';

export function modelLabel(s: Studio): StudioRun['model'] {
  const m = s.form.model;
  if (m.kind === 'hub') return { kind: 'hub', id: m.hubId };
  if (m.kind === 'local') return { kind: 'local', id: s.localFiles[0]?.webkitRelativePath?.split('/')[0] || 'local files' };
  return { kind: 'builtin', id: 'evom-tiny' };
}
