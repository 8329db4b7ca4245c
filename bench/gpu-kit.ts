// The GPU bench kit: on this machine's WebGPU adapter (headless Chromium; Vulkan where a GPU driver
// exists, SwiftShader otherwise), Qwen2.5-0.5B- and 1.5B-shaped models with random weights (no
// download): prefill tokens/s, decode tokens/s at batch 1 and 8, and one GRPO step with LoRA, each
// as a fraction of the adapter's best matmul FLOP/s and copy bandwidth measured in the same run;
// beside PyTorch on the same GPU when `python3 -c 'import torch'` finds CUDA (bench/gpu_kit_torch.py).
//
//   npx tsx bench/gpu-kit.ts                      # full: prompt 256, 512 new tokens, G 8, micro-batch 1
//   npx tsx bench/gpu-kit.ts --quick              # real sizes, few tokens (SwiftShader: minutes)
//   npx tsx bench/gpu-kit.ts --shapes qwen2.5-0.5b,qwen2.5-1.5b --json out.json
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { callInPage, enginePage } from '../src/host/chromium.ts';
import type { KitOptions, KitResult, Shape } from './gpu-kit-page.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, shapes: { type: 'string', default: 'qwen2.5-0.5b,qwen2.5-1.5b' }, json: { type: 'string' }, python: { type: 'string', default: 'python3' } } });
const base: Omit<KitOptions, 'shape'> = values.quick
  ? { prompt: 16, newTokens: 4, group: 2, microBatch: 1, decodeSteps: 2, loraRank: 8 }
  : { prompt: 256, newTokens: 512, group: 8, microBatch: 1, decodeSteps: 32, loraRank: 8 };
const shapes = values.shapes!.split(',') as Shape[];

const results: KitResult[] = [];
for (const shape of shapes) {
  // a fresh page per shape: the previous model's buffers are gone with it
  const env = await enginePage();
  env.page.on('console', (m) => { if (m.type() === 'error') console.error('page:', m.text()); });
  try {
    results.push(await callInPage<KitResult>(env.page, '/bench/gpu-kit-page.ts', 'runKit', { ...base, shape }));
  } finally {
    await env.close();
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const L = results[0]?.limits;
if (L) console.log(`# EVOM Web GPU bench kit (${new Date().toISOString()}), adapter ${L.adapter}${values.quick ? ', --quick' : ''}\nbest matmul ${L.matmul_gflops.toFixed(1)} GFLOP/s (${L.matmul_best}); copy ${L.copy_gbps.toFixed(1)} GB/s\n`);
console.log('| model (random weights) | params | weights | load s | prefill tok/s (of matmul) | decode tok/s b1 (of bandwidth) | decode tok/s b8 | GRPO step s: generate / fwd+bwd / update | train tok/s (of matmul) |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const g = r.grpo, d1 = r.decode['batch 1']!, d8 = r.decode['batch 8']!;
  console.log(`| ${r.shape} | ${(r.params / 1e9).toFixed(2)} B | ${r.weights} | ${r.load_s.toFixed(1)} | ${r.prefill.tok_s.toFixed(1)} (${pct(r.prefill.of_matmul)}) | ${d1.tok_s.toFixed(2)} (${pct(d1.of_bandwidth)}) | ${d8.tok_s.toFixed(2)} (${pct(d8.of_bandwidth)}) | ${g.step_s.toFixed(1)}: ${g.generate_s.toFixed(1)} / ${g.forward_backward_s.toFixed(1)} / ${g.update_s.toFixed(2)} (G ${g.group}, ${g.prompt} + ${g.new_tokens} tokens, micro-batch ${g.micro_batch}) | ${g.train_tok_s.toFixed(1)} (${pct(g.of_matmul)}) |`);
}

// PyTorch on the same machine, same shapes and sizes, when it has a CUDA device
const torch = spawnSync(values.python!, [join(import.meta.dirname, 'gpu_kit_torch.py'), '--shapes', values.shapes!, '--prompt', String(base.prompt), '--decode-steps', String(base.decodeSteps)], { encoding: 'utf8' });
if (torch.status === 0) console.log(`\n${torch.stdout.trim()}`);
else console.log(`\nPyTorch comparison skipped: ${(torch.stderr.trim().split('\n').pop() ?? '').slice(0, 200) || `${values.python} not found`}`);
if (values.json) writeFileSync(values.json, JSON.stringify({ options: base, results }, null, 1));
