// The training page in headless Chromium (WebGPU on SwiftShader): a few GRPO steps of the built-in
// policy on generated problems, with the per-step table and curves filled in; and a bad setting
// reported on the page without losing the form.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, serveApp } from './browser.ts';

let page: Page;
let close: () => Promise<void>;
let stopServer: () => Promise<void>;
const pageErrors: string[] = [];

beforeAll(async () => {
  const { url, server } = await serveApp();
  stopServer = () => server.close();
  const b = await launchChromium({ webgpu: true });
  close = b.close;
  page = await b.context.newPage();
  page.on('pageerror', (e) => { pageErrors.push(String(e)); console.error('page error:', e); });
  await page.goto(`${url}train.html`);
}, 180_000);

afterAll(async () => {
  await close?.();
  await stopServer?.();
});

describe('training page', () => {
  it('a bad family name is reported on the page and nothing starts', async () => {
    await page.fill('#families', 'knapsack,bakery');
    await page.click('#start');
    await page.waitForSelector('#error:not([hidden])', { timeout: 30_000 });
    expect(await page.textContent('#error')).toMatch(/bakery/);
    expect(await page.locator('#metrics tbody tr').count()).toBe(0);
    expect(await page.inputValue('#families')).toBe('knapsack,bakery');
  }, 60_000);

  it('trains the built-in policy for two steps and shows reward and accuracy per step', async () => {
    await page.fill('#families', 'knapsack');
    await page.fill('#steps', '2');
    await page.fill('#group', '4');
    await page.fill('#prompts', '1');
    await page.fill('#max-new', '100');
    await page.click('#start');
    await page.waitForFunction(() => /^(Done|Stopped)/.test(document.querySelector('#status')?.textContent ?? ''), null, { timeout: 600_000 });
    const err = await page.locator('#error:not([hidden])').count() ? await page.textContent('#error') : '';
    expect(err).toBe('');
    expect(await page.textContent('#status')).toMatch(/^Done: 2 steps/);
    const rows = await page.$$eval('#metrics tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
    expect(rows.map((r) => r[0])).toEqual(['1', '2']);
    for (const r of rows) {
      const [reward, acc, fmt] = [Number(r[1]), Number(r[2]), Number(r[3])];
      expect(reward).toBeGreaterThanOrEqual(0);
      expect(reward).toBeLessThanOrEqual(2);
      for (const v of [acc, fmt]) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
      expect(Number(r[6])).toBeGreaterThan(0); // completion length
    }
    // the warm-started policy writes well-formed models: rewards really come from the solver
    expect(Math.max(...rows.map((r) => Number(r[4])))).toBeGreaterThan(0);
    const pts = (await page.getAttribute('#reward-line', 'points'))!.trim().split(/\s+/);
    expect(pts).toHaveLength(2);
    expect(await page.getAttribute('#accuracy-line', 'points')).toMatch(/^[\d.]+,[\d.]+ [\d.]+,[\d.]+$/);
    await page.screenshot({ path: 'test-results/train-page.png', fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 700_000);
});
