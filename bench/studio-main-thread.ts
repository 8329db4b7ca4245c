// EVOM Studio's main thread while it works: long tasks (> 50 ms, PerformanceObserver) during the
// first load, preparing generated problems, evaluating the built-in policy and one training step,
// in headless Chromium (WebGPU on SwiftShader). The tests assert the design instead (the page's
// thread does no WebGPU and no WebAssembly: test/studio.test.ts); this prints the figures.
//
//   npx tsx bench/studio-main-thread.ts
import type { Page } from 'playwright-core';
import { launchChromium, serveApp } from '../test/browser.ts';

const LONG_TASKS = `window.__longTasks = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });`;
const tasks = (p: Page) => p.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks.slice());
const idle = (p: Page) => p.waitForFunction(() => !document.querySelector('#busy'), null, { timeout: 900_000 });
const tab = async (p: Page, id: string) => { await p.click(`#tab-${id}`); await p.waitForSelector(`#panel[aria-labelledby="tab-${id}"]`); };

const app = await serveApp();
const b = await launchChromium({ webgpu: true });
const page = await b.context.newPage();
await page.addInitScript(LONG_TASKS);
const phases: Record<string, { long_tasks: number; worst_ms: number; total_ms: number; wall_s: number }> = {};
let seen = 0;
async function phase(name: string, f: () => Promise<unknown>) {
  const t0 = performance.now();
  await f();
  const all = await tasks(page);
  const mine = all.slice(seen);
  seen = all.length;
  phases[name] = { long_tasks: mine.length, worst_ms: Math.round(Math.max(0, ...mine)), total_ms: Math.round(mine.reduce((a, x) => a + x, 0)), wall_s: +((performance.now() - t0) / 1000).toFixed(1) };
}
try {
  await phase('first_load', async () => {
    await page.goto(app.url);
    await page.waitForFunction(() => /GPU: /.test(document.querySelector('#gpu-status')?.textContent ?? ''), null, { timeout: 60_000 });
  });
  await phase('prepare_problems', async () => {
    await tab(page, 'problems');
    await page.fill('#families', 'knapsack');
    await page.fill('#count', '12');
    await page.fill('#eval-fraction', '0.34');
    await page.click('#prepare');
    await page.waitForSelector('#split-summary', { timeout: 120_000 });
  });
  await phase('evaluate', async () => {
    await tab(page, 'evaluate');
    await page.fill('#eval-batch', '4');
    await page.click('#evaluate');
    await page.waitForSelector('#eval-items tbody tr', { timeout: 600_000 });
    await idle(page);
  });
  await phase('train_one_step', async () => {
    await tab(page, 'train');
    for (const [k, v] of [['steps', '1'], ['group', '4'], ['promptsPerStep', '1'], ['maxNewTokens', '100'], ['microBatch', '4']] as const) await page.fill(`#set-${k}`, v);
    await page.click('#start');
    await page.waitForFunction(() => /: done\./.test(document.querySelector('#train-status')?.textContent ?? ''), null, { timeout: 900_000 });
  });
  console.log(JSON.stringify({ long_task_threshold_ms: 50, phases }));
} finally {
  await b.close();
  await app.server.close();
}
process.exit(0);
