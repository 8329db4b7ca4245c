// Saved runs (OPFS evom-runs/*, the run store's layout), as the page lists them.
import { browserRunStore } from '../host/run-store-opfs.ts';
import type { RunRecord } from '../host/run-store.ts';

export interface RunListing { id: string; title: string; target: string; steps: number; run: RunRecord }

export async function listRuns(): Promise<RunListing[]> {
  const out: RunListing[] = [];
  const store = browserRunStore();
  for (const id of await store.listRuns()) {
    const run = await store.readRun(id).catch(() => null);
    if (!run?.settings) continue;
    const steps = (await store.readMetrics(id).catch(() => [])).length;
    out.push({ id, title: run.title, target: run.settings.target, steps, run });
  }
  return out;
}
