// Training step time on this machine's WebGPU adapter (headless Chromium), by stage: generate,
// waiting for rewards, forward/backward, optimizer update. Against limits measured in the same run:
// the share of the step spent waiting for the solvers (target ≤ 5 %), and the training FLOP rate as
// a fraction of the best matmul FLOP/s. Then the GPU memory plan of GRPO with LoRA on
// Qwen2.5-0.5B-Instruct at G = 8 and 512-token completions.
//
//   npx tsx bench/train.ts [--steps N] [MODEL_DIR …]     (npm run bench:train)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callInPage, enginePage } from '../src/host/chromium.ts';
import { createRun, trainRun } from '../src/cli/train.ts';
import type { TrainSettings } from '../src/rl/run-card.ts';
import { DEFAULT_LORA } from '../src/rl/lora.ts';
import { formatBytes, memoryPlan, trainingMemoryPlan } from '../src/gpu/memory-plan.ts';
import { loadModelConfig } from '../src/model/source.ts';
import { directorySource } from '../src/model/source-node.ts';
import { generateBenchmark } from '../src/problems/generated.ts';
import { createRunners } from '../src/targets/runners.ts';
import { nodeAssets } from '../src/targets/assets-node.ts';
import { loadTokenizerFromSource } from '../src/model/tokenizer.ts';
import { promptIdsFor, trainerDefaults, type StepMetrics } from '../src/rl/trainer.ts';
import type { Limits } from './engine-page.ts';

const ROOT = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const si = args.indexOf('--steps');
const steps = si >= 0 ? Number(args.splice(si, 2)[1]) || 4 : 4;
// the built-in policy by default; any model folder with a tokenizer can be added (max new tokens 112)
const MODELS: [string, string, number][] = [['evom-tiny (built-in policy)', join(ROOT, 'public', 'models', 'evom-tiny'), 112], ...args.map((d): [string, string, number] => [d, d, 112])];

const env = await enginePage();
const lim = await callInPage<Limits>(env.page, '/bench/engine-page.ts', 'measureLimits');
await env.close();
console.log(`# EVOM Web training bench (${new Date().toISOString()}), adapter ${lim.adapter}`);
console.log(`best matmul here: ${lim.matmul_gflops.toFixed(2)} GFLOP/s (${lim.matmul_best})\n`);
console.log(`GRPO, LoRA rank ${DEFAULT_LORA.rank} on all 7 projections, 2 prompts × G = 8 per step, ${steps} steps (means over steps 2…${steps})\n`);
console.log('| model | generate s | verify wait s | train s | update s | step s | wait share | gen tok/s | train tok/s | train GFLOP/s | % of matmul |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');

const items = (await generateBenchmark({ families: ['knapsack', 'production'], count: 64, seed: 4242, difficulty: 2 }, await createRunners(nodeAssets)))
  .map((i) => ({ id: i.id, question: i.question, answer: i.answer }));
for (const [name, dir, maxNew] of MODELS) {
  const source = directorySource(dir);
  const cfg = await loadModelConfig(source);
  const tok = (await loadTokenizerFromSource(source))!;
  const promptMean = items.reduce((a, i) => a + promptIdsFor(tok, i.question, 'highs').length, 0) / items.length;
  const tc = trainerDefaults('grpo', 'highs', 'rel5pct');
  Object.assign(tc, { maxNewTokens: maxNew, microBatch: 8, seed: 1 });
  tc.loss.maxNewTokens = maxNew;
  tc.optimizer.lr = 1e-3;
  const metrics: StepMetrics[] = [];
  const out = mkdtempSync(join(tmpdir(), 'evom-bench-train-'));
  const settings: TrainSettings = {
    algo: 'grpo', target: 'highs', tolerance: 'rel5pct', steps, group: tc.group, promptsPerStep: tc.promptsPerStep, lr: 1e-3, kl: 0,
    loraRank: DEFAULT_LORA.rank, loraAlpha: DEFAULT_LORA.alpha, maxNewTokens: maxNew, temperature: 1, seed: 1, microBatch: 8, updatesPerBatch: 1,
  };
  await createRun({ out, model: { kind: 'local', id: dir }, settings, checkpointEvery: steps, data: items, description: 'bench' });
  await trainRun(out, source, { stdout: () => {}, stderr: () => {} }, { onMetrics: (m) => metrics.push(m) });
  const ms = metrics.slice(1);
  const mean = (f: (m: StepMetrics) => number) => ms.reduce((a, m) => a + f(m), 0) / ms.length;
  const seqs = mean((m) => m.groups_used * tc.group);
  const tokens = seqs * (promptMean + mean((m) => m.completion_length));
  // LoRA: forward 2·P and backward (activation gradients through frozen weights) 2·P per token
  const P = memoryPlan(cfg, { weightBytesPerParam: 4, kvBytesPerValue: 4, batch: 1, contextTokens: 1 }).params.layers + cfg.vocab * cfg.hidden;
  const trainS = mean((m) => m.ms.train) / 1000;
  const gflops = (4 * P * tokens) / trainS / 1e9;
  const genTok = mean((m) => m.completion_length * tc.group * (m.groups_used + m.groups_dropped));
  console.log(`| ${name} | ${(mean((m) => m.ms.generate) / 1000).toFixed(1)} | ${(mean((m) => m.ms.verify_wait) / 1000).toFixed(2)} | ${trainS.toFixed(1)} | ${(mean((m) => m.ms.update) / 1000).toFixed(2)} | ${(mean((m) => m.ms.total) / 1000).toFixed(1)} | ${(100 * mean((m) => m.ms.verify_wait / m.ms.total)).toFixed(2)} % | ${(genTok / (mean((m) => m.ms.generate) / 1000)).toFixed(1)} | ${(tokens / trainS).toFixed(0)} | ${gflops.toFixed(3)} | ${(100 * gflops / lim.matmul_gflops).toFixed(1)} % |`);
}

const qwen = await loadModelConfig(directorySource(join(ROOT, 'public', 'configs', 'qwen2.5-0.5b-instruct')));
console.log('\n## GPU memory plan: GRPO with LoRA (rank 8, 7 projections) on Qwen2.5-0.5B-Instruct, G = 8, 512-token completions + 256-token prompts\n');
console.log('| micro-batch | weights (f16) | KV cache (G=8) | saved activations | backward scratch | LoRA + grads + AdamW | total | largest saved tensor |');
console.log('|---|---|---|---|---|---|---|---|');
for (const mb of [1, 2, 4, 8]) {
  const p = trainingMemoryPlan(qwen, { group: 8, sequenceTokens: 768, microBatch: mb, loraRank: 8, loraModules: 7, weightBytesPerParam: 2 });
  console.log(`| ${mb} | ${formatBytes(p.weights)} | ${formatBytes(p.kvCache)} | ${formatBytes(p.savedActivations)} | ${formatBytes(p.backwardScratch)} | ${formatBytes(p.trainable)} (${(p.trainableParams / 1e6).toFixed(2)}M params) | ${formatBytes(p.total)} | ${formatBytes(p.largestSaved)} |`);
}
process.exit(0);
