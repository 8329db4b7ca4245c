// GPU memory counted, not assumed: the full LoRA training setup of Qwen2.5-0.5B- and 1.5B-shaped
// models (random weights, no download) allocated on this machine's WebGPU adapter in headless
// Chromium, without a step; the live storage-buffer bytes against the memory plan
// (src/gpu/memory-plan.ts). Pinned settings: LoRA rank 8 on all seven projections, AdamW state
// f32, the KV cache resident, G 8, 256 + 512 tokens, micro-batch 1.
//
//   npx tsx bench/memory-count.ts                         # 0.5B and 1.5B: f16, q4, q4 + recompute
//   npx tsx bench/memory-count.ts --shapes qwen2.5-0.5b --variants q4+recompute
import { parseArgs } from 'node:util';
import { callInPage, enginePage } from '../src/host/chromium.ts';
import type { CountOptions, CountResult } from './memory-count-page.ts';
import type { Shape } from './gpu-kit-page.ts';

const { values } = parseArgs({ options: { shapes: { type: 'string', default: 'qwen2.5-0.5b,qwen2.5-1.5b' }, variants: { type: 'string', default: 'f16,q4,q4+recompute' } } });
const gib = (b: number) => `${(b / 2 ** 30).toFixed(3)} GiB`;
console.log(`# training memory counted on the adapter vs the plan (${new Date().toISOString()}); LoRA r8 × 7 projections, G 8, 256 + 512 tokens, micro-batch 1\n`);
console.log('| model | base | recompute | counted | planned | plan − count | weights | KV cache | saved activations | backward scratch | trainable |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const shape of values.shapes!.split(',') as Shape[]) {
  for (const v of values.variants!.split(',')) {
    const quant = v.startsWith('q4') ? 'q4' : v.startsWith('q8') ? 'q8' : null;
    const o: CountOptions = { shape, quant, recompute: v.includes('recompute'), group: 8, promptTokens: 256, newTokens: 512, microBatch: 1, loraRank: 8 };
    const env = await enginePage();
    env.page.on('console', (m) => { if (m.type() === 'error') console.error('page:', m.text()); });
    try {
      const r = await callInPage<CountResult>(env.page, '/bench/memory-count-page.ts', 'countTraining', o);
      const p = r.parts;
      console.log(`| ${shape} | ${quant ?? 'f16'} | ${r.recompute ? 'yes' : 'no'} | ${gib(r.counted)} | ${gib(r.planned)} | ${(100 * (r.planned - r.counted) / r.counted).toFixed(2)} % | ${gib(p.weights!)} | ${gib(p.kvCache!)} | ${gib(p.savedActivations!)} | ${gib(p.backwardScratch!)} | ${gib(p.trainable!)} |`);
      if (Object.keys(r.differ).length) console.error(`${shape} ${v}: labels whose bytes differ (planned, counted) ${JSON.stringify(r.differ)}`);
      console.error(`${shape} ${v}: weights loaded in ${r.load_s.toFixed(1)} s`);
    } finally {
      await env.close();
    }
  }
}
