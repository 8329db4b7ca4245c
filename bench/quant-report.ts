// A quantized frozen base against f16, logits compared (bench/quant-report-page.ts): the tiny
// fixtures, the built-in policy, and a Qwen2.5-0.5B-shaped model with random weights (nothing
// downloaded), each as f16, q8 and q4 on this machine's WebGPU adapter (headless Chromium).
//
//   npx tsx bench/quant-report.ts                                  # all models, 100 prompts of 4 tokens
//   npx tsx bench/quant-report.ts --models qwen2.5-0.5b --prompts 100 --prompt-tokens 4
import { parseArgs } from 'node:util';
import { callInPage, enginePage } from '../src/host/chromium.ts';
import type { QuantReport } from './quant-report-page.ts';

const { values } = parseArgs({ options: {
  models: { type: 'string', default: '/test/fixtures/models/tiny-llama/,/test/fixtures/models/tiny-qwen2/,/test/fixtures/models/tiny-qwen3/,/models/evom-tiny/,qwen2.5-0.5b' },
  prompts: { type: 'string', default: '100' }, 'prompt-tokens': { type: 'string', default: '4' }, batch: { type: 'string', default: '10' },
} });
const [prompts, tokens, batch] = [values.prompts, values['prompt-tokens'], values.batch].map(Number) as [number, number, number];
console.log(`# quantized base vs f16: ${prompts} prompts of ${tokens} random tokens, logits at every position (${new Date().toISOString()})\n`);
console.log('| model | weights f16 → q8 → q4 | kind | max abs Δlogit (logit scale) | mean abs Δlogit | greedy agreement, last position | greedy agreement, all positions |');
console.log('|---|---|---|---|---|---|---|');
for (const model of values.models!.split(',')) {
  const env = await enginePage();
  env.page.on('console', (m) => { if (m.type() === 'error') console.error('page:', m.text()); });
  try {
    const r = await callInPage<QuantReport>(env.page, '/bench/quant-report-page.ts', 'quantReport', model, prompts, tokens, batch);
    const mb = (b: number) => `${(b / 2 ** 20).toFixed(b < 2 ** 24 ? 2 : 0)} MiB`;
    for (const row of r.rows) {
      console.log(`| ${model.replace(/^\/.*\/([^/]+)\/$/, '$1')} | ${mb(r.weights_bytes.f16!)} → ${mb(r.weights_bytes.q8!)} → ${mb(r.weights_bytes.q4!)} | ${row.kind} | ${row.max_abs.toExponential(2)} (${row.logit_scale.toFixed(2)}) | ${row.mean_abs.toExponential(2)} | ${(100 * row.greedy_last).toFixed(0)} % of ${row.prompts} | ${(100 * row.greedy_all).toFixed(1)} % of ${row.positions} |`);
    }
    console.error(`${model}: loaded in ${r.load_s.toFixed(1)} s, ran in ${r.run_s.toFixed(1)} s`);
  } finally {
    await env.close();
  }
}
