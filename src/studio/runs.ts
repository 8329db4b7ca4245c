// Saved runs (OPFS evom-runs/*), as the page lists them.
import { listRunIds, loadMetrics, readJsonFile, RUN_FILES, runPath } from '../host/run-store-opfs.ts';
import type { StudioRun } from '../host/studio-engine.ts';

export interface RunListing { id: string; title: string; target: string; steps: number; run: StudioRun }

export async function listRuns(): Promise<RunListing[]> {
  const out: RunListing[] = [];
  for (const id of await listRunIds()) {
    const run = await readJsonFile<StudioRun>(runPath(id), RUN_FILES.run).catch(() => null);
    if (!run) continue;
    const steps = (await loadMetrics(id)).length;
    out.push({ id, title: run.title, target: run.settings.target, steps, run });
  }
  return out;
}
