// Engine speed on this machine's WebGPU adapter (headless Chromium), against limits measured in the
// same run: prefill and decode tokens/s at batch 1 and 8 for the tiny checkpoints (and any extra
// model folder given), achieved FLOP/s and bytes/s as fractions of the best matmul FLOP/s and the
// buffer-copy bandwidth.
//
//   npx tsx bench/engine.ts [MODEL_DIR ...]
//
// Targets (issue 3): decode ≥ 60 % of measured bandwidth, prefill ≥ 50 % of measured matmul throughput.
import { join } from 'node:path';
import { callInPage, enginePage } from '../src/host/chromium.ts';
import type { EngineSpeed, Limits } from './engine-page.ts';
import type { Plugin } from 'vite';
import { directorySource } from '../src/model/source-node.ts';

const ROOT = join(import.meta.dirname, '..');
const models: Record<string, string> = Object.fromEntries(
  (process.argv.slice(2).length ? process.argv.slice(2) : ['tiny-llama', 'tiny-qwen3', 'tiny-qwen2'].map((m) => join(ROOT, 'test', 'fixtures', 'models', m)))
    .map((dir, i) => [`local/m${i}`, dir]),
);

// serve each model folder in the Hub layout from the dev server
const serve: Plugin = {
  name: 'bench-models',
  configureServer(server) {
    server.middlewares.use(async (req, res, next) => {
      const m = /^\/(local\/m\d+)\/resolve\/main\/(.+)$/.exec((req.url ?? '').split('?')[0]!);
      if (!m || !models[m[1]!]) return next();
      try {
        const bytes = await directorySource(models[m[1]!]!).readBytes(decodeURIComponent(m[2]!));
        res.setHeader('content-length', String(bytes.length));
        res.end(Buffer.from(bytes));
      } catch { res.statusCode = 404; res.end(); }
    });
  },
};

const env = await enginePage([serve]);
try {
  const lim = await callInPage<Limits>(env.page, '/bench/engine-page.ts', 'measureLimits');
  console.log(`# EVOM Web engine bench (${new Date().toISOString()}), adapter ${lim.adapter}\n`);
  console.log('## Adapter limits measured here');
  for (const [k, v] of Object.entries(lim.matmul)) console.log(`matmul ${k}: ${v.toFixed(2)} GFLOP/s`);
  console.log(`best matmul: ${lim.matmul_gflops.toFixed(2)} GFLOP/s (${lim.matmul_best}); buffer copy: ${lim.copy_gbps.toFixed(2)} GB/s\n`);
  console.log('| model | weights | batch | prefill tok/s | prefill GFLOP/s | % of matmul | decode tok/s | decode GB/s | % of copy bandwidth |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const [repo, dir] of Object.entries(models)) {
    const s = await callInPage<EngineSpeed>(env.page, '/bench/engine-page.ts', 'measureEngine', env.base, repo);
    for (const b of ['batch 1', 'batch 8']) {
      console.log(`| ${dir.split('/').pop()} | ${s.weights} | ${b.slice(6)} | ${s.prefill_tok_s[b]!.toFixed(1)} | ${s.prefill_gflops[b]!.toFixed(3)} | ${(100 * s.prefill_gflops[b]! / lim.matmul_gflops).toFixed(1)} % | ${s.decode_tok_s[b]!.toFixed(1)} | ${s.decode_gbps[b]!.toFixed(3)} | ${(100 * s.decode_gbps[b]! / lim.copy_gbps).toFixed(1)} % |`);
    }
  }
  console.log('\n(prefill: 64-token prompt, logits of the last position; decode: 16 steps; weights as stored by default: f16 for F16/BF16 checkpoints)');
} finally {
  await env.close();
}
process.exit(0);
