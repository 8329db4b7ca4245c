// The engine host on Node's own WebGPU (src/host/node-host.ts, npm `webgpu`) beside the same host in
// headless Chromium (src/host/page-transport.ts): the same sampled completions and the same
// adapter after a training step, and the time of each. For a machine with a GPU driver: Dawn's Node
// binding aborts on SwiftShader, so this does not run on the CPU-only machines the tests run on.
//
//   npx tsx bench/node-host.ts [MODEL_DIR]      (default: the built-in evom-tiny)

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { directorySource } from '../src/model/source-node.ts';
import { openPageHost, type PageHost } from '../src/host/page-transport.ts';
import { openNodeHost } from '../src/host/node-host.ts';
import { createRun } from '../src/cli/train.ts';
import { demoSettings } from '../src/cli/demo.ts';

const model = resolve(process.argv[2] ?? join(import.meta.dirname, '..', 'public', 'models', 'evom-tiny'));
const source = directorySource(model);
const data = [
  { id: 'a', question: 'A factory makes chairs (profit 3) and tables (profit 5) with at most 40 hours; a chair takes 1 hour, a table 2. Maximize profit.', answer: 120 },
  { id: 'b', question: 'Minimize 2x + 3y subject to x + y >= 4, x >= 1.', answer: 8 },
];

async function run(name: string, open: (s: typeof source, root: string) => Promise<PageHost>) {
  const root = mkdtempSync(join(tmpdir(), `evom-bench-${name}-`));
  await createRun({ out: join(root, 'run'), model: { kind: 'local', id: model }, settings: { ...demoSettings(1, 1), promptsPerStep: 1, group: 4, maxNewTokens: 48 }, checkpointEvery: 1, data, description: 'bench' });
  const t0 = performance.now();
  const h = await open(source, root);
  try {
    const t1 = performance.now();
    const g = await h.host.generate({ model: h.model, prompts: [[1, 58, 0, 206]], params: { n: 4, temperature: 1, seed: 5, maxNewTokens: 32 }, batchPrompts: 1 });
    const t2 = performance.now();
    await h.host.trainOpen({ run: 'run', model: h.model });
    await h.host.trainStep();
    await h.host.trainClose();
    const t3 = performance.now();
    const adapter = createHash('sha256').update(readFileSync(join(root, 'run', 'adapter', 'adapter_model.safetensors'))).digest('hex');
    return { name, adapter: g.adapter, ids: g.completions[0]!.map((c) => c.ids), adapterSha: adapter, open_s: (t1 - t0) / 1000, generate_s: (t2 - t1) / 1000, step_s: (t3 - t2) / 1000 };
  } finally {
    await h.close();
  }
}

const page = await run('chromium', openPageHost);
const node = await run('node', openNodeHost);
for (const r of [page, node]) console.log(`${r.name.padEnd(9)} ${r.adapter}: open ${r.open_s.toFixed(1)} s, generate ${r.generate_s.toFixed(2)} s, load + one training step ${r.step_s.toFixed(2)} s, adapter ${r.adapterSha.slice(0, 16)}`);
console.log(`same samples: ${JSON.stringify(page.ids) === JSON.stringify(node.ids)}; same adapter after a step: ${page.adapterSha === node.adapterSha}`);
