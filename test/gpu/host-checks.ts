// Runs in the Chromium page: the Studio's engine worker (the engine host over comlink) given a run
// made by `evom train`: the run is imported into OPFS, evaluated with its adapter, continued one
// step, and exported; also a sampled generation, to compare with the command line's transport.
import * as Comlink from 'comlink';
import type { EngineHost, ModelRef } from '../../src/host/engine-host.ts';
import { browserRunStore } from '../../src/host/run-store-opfs.ts';
import { fromWire, toWire } from '../../src/host/wire.ts';
import { offerPyodideHost } from '../../src/verifier/pyodide-link.ts';
import { importRunFiles, runFolderZip } from '../../src/studio/run-folder.ts';

export async function continueCliRun(wireFiles: unknown, model: ModelRef, prompt: number[]): Promise<unknown> {
  const store = browserRunStore();
  const id = 'from-cli';
  await store.deleteRun(id);
  const imported = await store.importRun(id, fromWire(wireFiles) as Record<string, Uint8Array>);
  const worker = new Worker(new URL('../../src/host/engine-worker.browser.ts', import.meta.url), { type: 'module', name: 'evom-engine' });
  offerPyodideHost(worker);
  const host = Comlink.wrap<EngineHost>(worker);
  try {
    const gen = await host.generate({ model, prompts: [prompt], params: { n: 2, temperature: 1, seed: 5, maxNewTokens: 6 }, batchPrompts: 1 });
    const items = [
      { id: 'a', question: 'Maximize x + y subject to x <= 3 and y <= 2.', answer: 5, extra: {} },
      { id: 'b', question: 'Minimize 2x subject to x >= 4.', answer: 8, extra: {} },
    ];
    const evaluation = await host.evaluate({ model, adapter: { run: id }, items, target: 'highs', tolerance: 'rel5pct', sampling: { n: 1, temperature: 0, maxNewTokens: 6 }, batch: 2 });
    const opened = await host.trainOpen({ run: id, model });
    const step = await host.trainStep();
    await host.trainClose();
    // the Export tab's run folder (zip) opens again as another run, file for file
    const zipped = await importRunFiles([new File([await runFolderZip(id)], `${id}-run.zip`)]);
    const a = await store.exportRun(id), b = await store.exportRun(zipped);
    const zipRoundTrip = Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => k === 'run.json' || (b[k] && a[k]!.every((x, i) => x === b[k]![i])));
    await store.deleteRun(zipped);
    return toWire({ zipped, zipRoundTrip,
      imported: imported.id, opened, generated: gen.completions[0]!.map((c) => c.ids),
      evaluated: evaluation.summary.count, evalClasses: evaluation.items.map((i) => i.result.outcome?.class ?? null),
      step: step.metrics, checkpoint: step.checkpoint, files: await store.exportRun(id), runs: await host.listRuns(),
    });
  } finally {
    worker.terminate();
  }
}
