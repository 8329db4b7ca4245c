// Where a training step's GPU time goes, by kernel: one step to warm up (pipelines compiled), then
// one step with every dispatch submitted alone and its queue time charged to its label. Profiling
// serializes the queue, so the totals exceed an unprofiled step's; the shares are what to fuse.
//
//   npx tsx bench/profile.ts [MODEL_DIR] [--group G] [--max-new-tokens N] [--micro-batch M]
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRun } from '../src/cli/train.ts';
import { BUILTIN_POLICY } from '../src/cli/train.ts';
import { openPageHost } from '../src/host/page-transport.ts';
import { fsRunAt } from '../src/host/run-store-fs.ts';
import { directorySource } from '../src/model/source-node.ts';
import { defaultSettings } from '../src/rl/settings.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { group: { type: 'string' }, 'max-new-tokens': { type: 'string' }, 'micro-batch': { type: 'string' } } });
const dir = positionals[0] ?? BUILTIN_POLICY;
const settings = { ...defaultSettings(dir === BUILTIN_POLICY ? 'builtin' : 'hub', 'grpo', 'highs'), steps: 2, promptsPerStep: 1, kl: 0.04 };
if (values.group) settings.group = Number(values.group);
if (values['max-new-tokens']) settings.maxNewTokens = Number(values['max-new-tokens']);
if (values['micro-batch']) settings.microBatch = Number(values['micro-batch']);
const out = mkdtempSync(join(tmpdir(), 'evom-profile-'));
const data = [{ id: 'p', question: 'A factory makes chairs (profit 30) and tables (profit 50). Chairs take 2 hours, tables 4; 100 hours are available. Maximize profit.', answer: 1500 }];
await createRun({ out, model: { kind: 'local', id: dir }, settings, checkpointEvery: 2, data, description: 'profile' });
const h = await openPageHost(directorySource(dir), fsRunAt(out).store.where);
try {
  await h.host.trainOpen({ run: fsRunAt(out).id, model: h.model });
  const warm = await h.host.trainStep();
  await h.host.profile(true);
  const t0 = performance.now();
  const step = await h.host.trainStep();
  const wall = performance.now() - t0;
  const rows = await h.host.profile(false);
  const total = rows.reduce((a, r) => a + r.ms, 0);
  console.log(`# ${dir}: G ${settings.group}, ${settings.maxNewTokens} new tokens, micro-batch ${settings.microBatch}`);
  console.log(`unprofiled step ${(warm.metrics.ms.total / 1000).toFixed(2)} s (generate ${(warm.metrics.ms.generate / 1000).toFixed(2)}, train ${(warm.metrics.ms.train / 1000).toFixed(2)}); profiled step ${(wall / 1000).toFixed(2)} s, GPU queue ${(total / 1000).toFixed(2)} s in ${rows.reduce((a, r) => a + r.n, 0)} dispatches (train ${(step.metrics.ms.train / 1000).toFixed(2)} s)`);
  console.log('| kernel | dispatches | ms | share |\n|---|---|---|---|');
  for (const r of rows.slice(0, 30)) console.log(`| ${r.label} | ${r.n} | ${r.ms.toFixed(1)} | ${(100 * r.ms / total).toFixed(1)} % |`);
  writeFileSync(join(out, 'profile.json'), JSON.stringify(rows, null, 1));
} finally {
  await h.host.trainClose();
  await h.close();
}
