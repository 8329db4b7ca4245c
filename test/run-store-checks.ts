// The run store's contract, checked the same way on every backend (file system in Node, OPFS in
// Chromium: test/run-store.test.ts). Returns what it observed; the test asserts on it.
import { RunStore, type RunRecord, type StoreFiles } from '../src/host/run-store.ts';
import type { TrainerCheckpoint } from '../src/rl/trainer.ts';

const SETTINGS = {
  algo: 'grpo', target: 'highs', tolerance: 'rel5pct', steps: 4, group: 2, promptsPerStep: 1, lr: 0.001, kl: 0,
  loraRank: 4, loraAlpha: 8, maxNewTokens: 8, temperature: 1, seed: 3, microBatch: 2, updatesPerBatch: 1,
} as RunRecord['settings'];

const record = (id: string): RunRecord => ({
  id, title: id, created: '2026-12-06T00:00:00.000Z', model: { kind: 'builtin', id: 'evom-tiny' }, settings: SETTINGS, checkpointEvery: 1,
  data: { description: 'two problems', train_items: 2, eval_items: 0 },
});

function checkpoint(step: number): TrainerCheckpoint {
  const f = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k + step));
  return {
    step, position: step * 3,
    adapter: { 'adapter_config.json': JSON.stringify({ r: 4, step }), 'adapter_model.safetensors': Uint8Array.from({ length: 64 }, (_, i) => (i * step) & 255) },
    optimizer: { step: step * 2, m: [f(5, 1), f(3, 2)], v: [f(5, 3), f(3, 4)] },
  };
}

const metric = (step: number) => ({ step, reward_mean: step / 10 }) as unknown as import('../src/rl/trainer.ts').StepMetrics;
const errorOf = async (f: () => Promise<unknown>) => { try { await f(); return null; } catch (e) { return { code: (e as { code?: string }).code ?? null, message: (e as Error).message }; } };
const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((x, i) => x === b[i]);

export async function runStoreReport(files: StoreFiles): Promise<Record<string, unknown>> {
  const store = new RunStore(files, 'test root');
  for (const id of await store.listRuns()) await store.deleteRun(id);
  const out: Record<string, unknown> = {};
  const data = { train: [{ id: 'a', question: 'q', answer: 1 }, { id: 'b', question: 'r', answer: 2 }], eval: [], description: 'two problems' };
  const start = checkpoint(0).adapter;
  await store.createRun(record('r1'), data, start);
  out.listed = await store.listRuns();
  out.duplicate = await errorOf(() => store.createRun(record('r1'), data));
  out.missing = await errorOf(() => store.requireRun('nope'));
  out.noCheckpoint = await store.latestCheckpoint('r1');
  out.noAdapter = await errorOf(() => store.adapter('r1'));
  out.startAdapterSame = same((await store.startAdapter('r1'))!['adapter_model.safetensors'], start['adapter_model.safetensors']);
  out.dataBack = (await store.readData('r1')).train.map((t) => t.id);

  await store.writeMetrics('r1', [metric(1)]);
  out.firstCheckpoint = await store.writeCheckpoint('r1', checkpoint(1));
  await store.writeMetrics('r1', [metric(1), metric(2), metric(3)]);
  await store.writeCheckpoint('r1', checkpoint(2));
  // a checkpoint written but never named in `latest` (the writer died before): ignored
  await files.write(['r1', 'checkpoints', 'step-000003', 'adapter_config.json'], '{"r":4}');
  const back = (await store.latestCheckpoint('r1'))!;
  const want = checkpoint(2);
  out.back = {
    step: back.step, position: back.position, optimizerStep: back.optimizer.step,
    config: back.adapter['adapter_config.json'] === want.adapter['adapter_config.json'],
    weights: same(back.adapter['adapter_model.safetensors'], want.adapter['adapter_model.safetensors']),
    moments: back.optimizer.m.every((m, i) => same(m, want.optimizer.m[i]!)) && back.optimizer.v.every((v, i) => same(v, want.optimizer.v[i]!)),
    momentCount: back.optimizer.m.length,
  };
  // metrics beyond the checkpoint (step 3) are dropped: that step will be redone
  out.truncated = await store.truncateToCheckpoint('r1');
  out.metricsAfter = (await store.readMetrics('r1')).map((m) => m.step);
  await store.finishAdapter('r1');
  out.finished = same((await files.read(['r1', 'adapter', 'adapter_model.safetensors']))!, want.adapter['adapter_model.safetensors']);

  // export → import under another id: the same files, the record renamed
  const exported = await store.exportRun('r1');
  out.exportedFiles = Object.keys(exported).sort();
  const imported = await store.importRun('r2', exported);
  out.importedId = imported.id;
  const again = await store.exportRun('r2');
  out.roundTrip = Object.keys(exported).every((k) => k === 'run.json' || same(again[k]!, exported[k]!));
  out.importBad = await errorOf(() => store.importRun('r3', { 'data.json': '{}' }));
  out.importEscape = await errorOf(() => store.importRun('r4', { 'run.json': JSON.stringify(record('x')), '../evil': 'x' }));
  out.importOld = await errorOf(() => store.importRun('r5', { 'run.json': JSON.stringify({ model: 'm', cfg: {} }) }));
  await files.write(['old', 'run.json'], JSON.stringify({ model: 'm', cfg: {}, steps: 3 }));
  out.oldLayout = await errorOf(() => store.requireRun('old'));
  await files.write(['r2', 'metrics.jsonl'], '{"step":1}\nnot json\n');
  out.badMetrics = await errorOf(() => store.readMetrics('r2'));
  await store.deleteRun('r2');
  out.afterDelete = await store.listRuns();
  return out;
}
