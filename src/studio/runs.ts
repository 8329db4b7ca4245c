// Saved runs (OPFS evom-runs/*), as the page lists them.
import { listStorage, loadMetrics, readJsonFile, runPath } from '../run-store.ts';
import type { StudioRun } from '../studio-engine.ts';

export interface RunListing { id: string; title: string; target: string; steps: number; run: StudioRun }

export async function listRuns(): Promise<RunListing[]> {
  const out: RunListing[] = [];
  for (const e of (await listStorage()).filter((x) => x.kind === 'run')) {
    const run = await readJsonFile<StudioRun>(runPath(e.name), 'run.json').catch(() => null);
    if (!run) continue;
    const steps = (await loadMetrics(e.name)).length;
    out.push({ id: e.name, title: run.title, target: run.settings.target, steps, run });
  }
  return out;
}
