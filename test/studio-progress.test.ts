// EVOM Studio's progress and charts, in headless Chromium (WebGPU on SwiftShader): an evaluation's
// bar from its first moment (loading, generating k of n, verifying k of n) with the time left, its
// Cancel (no error, "Cancelled", the next evaluation works), the previous result marked stale while
// a new one runs; a training step's phases in order under a "step k of N" bar; charts that fill
// their cards at two widths, with units, the reward's maximum as a dashed line, a hover readout,
// series told apart by dash pattern, larger type in presentation mode; past runs listed (with their
// charts) after a reload; a Hub download's bar with Cancel. axe-core's WCAG 2 A/AA checks on each
// screen. Screenshots go to test-results/studio-progress-*.png.
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStudio, type StudioSession } from './browser.ts';

const ROOT = join(import.meta.dirname, '..');
const TINY = join(ROOT, 'public', 'models', 'evom-tiny');
const SHOTS = 'test-results';
mkdirSync(SHOTS, { recursive: true });

let url: string;
let studio: StudioSession;
let context: BrowserContext;
let page: Page;
let pageErrors: string[] = [];

async function openTab(p: Page, id: string) {
  await p.click(`#tab-${id}`);
  await p.waitForSelector(`#panel[aria-labelledby="tab-${id}"]`);
}
const idle = (p: Page, timeout = 300_000) => p.waitForFunction(() => !document.querySelector('#busy'), null, { timeout });
const errorText = async (p: Page) => ((await p.locator('#error').count()) ? (await p.textContent('#error')) ?? '' : '');
const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `studio-progress-${name}.png`), fullPage: true });

/** axe-core's WCAG 2 A/AA violations on the page (or inside `within`), as readable lines. */
async function axeViolations(p: Page, within?: string): Promise<string[]> {
  if (!(await p.evaluate(() => 'axe' in window))) await p.addScriptTag({ path: join(ROOT, 'node_modules', 'axe-core', 'axe.min.js') });
  const r = await p.evaluate((ctx) => (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: { id: string; help: string; nodes: { target: string[] }[] }[] }> } })
    .axe.run(ctx ?? document, { runOnly: ['wcag2a', 'wcag2aa'] }), within ?? null);
  return r.violations.map((v) => `${v.id} (${v.help}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * Record, in the page, every text a progress bar shows (label · count), as it renders: a
 * MutationObserver on the document. Read with `seen(page, key)`. `cancelWhen`: a regular expression
 * on the label; the first time it matches, the bar's Cancel button is pressed (from inside the page,
 * as soon as that state is drawn).
 */
async function recordBar(p: Page, key: string, selector: string, cancelWhen?: string): Promise<void> {
  await p.evaluate(({ key, selector, cancelWhen }) => {
    const w = window as unknown as Record<string, string[]>;
    const texts: string[] = w[key] = [];
    let cancelled = false;
    const read = () => {
      const bar = document.querySelector(selector);
      if (!bar) return;
      const t = `${bar.querySelector('.progress-label')?.textContent ?? ''} · ${bar.querySelector('.progress-count')?.textContent ?? ''}`;
      if (texts[texts.length - 1] !== t) texts.push(t);
      if (cancelWhen && !cancelled && new RegExp(cancelWhen).test(bar.querySelector('.progress-label')?.textContent ?? '')) {
        const b = bar.querySelector<HTMLButtonElement>('.progress-cancel');
        if (b) { cancelled = true; b.click(); }
      }
    };
    new MutationObserver(read).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  }, { key, selector, cancelWhen: cancelWhen ?? null });
}
const seen = (p: Page, key: string) => p.evaluate((k) => (window as unknown as Record<string, string[]>)[k] ?? [], key);

/** Each chart's canvas width against its card's content width (CSS px). */
const chartWidths = (p: Page, within: string) => p.$$eval(`${within} figure.chart`, (figs) => figs.map((f) => {
  const cs = getComputedStyle(f);
  const content = f.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  return { id: f.id, canvas: f.querySelector('canvas')!.getBoundingClientRect().width, content };
}));

// ---- a Hub stand-in that sends model.safetensors slowly (8 KB every 100 ms), so a download can be watched and cancelled ----
let hub: Server;
let hubBase: string;
function startSlowHub(): Promise<void> {
  hub = createServer((req, res) => {
    const m = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(decodeURIComponent((req.url ?? '').split('?')[0]!));
    const headers = { 'content-type': 'application/octet-stream', 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-range, content-length, x-error-code' };
    let body: Buffer;
    try { if (m?.[1] !== 'slow/tiny') throw new Error('no repo'); body = readFileSync(join(TINY, m[2]!)); } catch {
      res.writeHead(404, { ...headers, 'x-error-code': 'EntryNotFound' });
      res.end('not found');
      return;
    }
    const range = /^bytes=(\d+)-/.exec(String(req.headers.range ?? ''));
    const start = range ? Number(range[1]) : 0;
    const part = body.subarray(start);
    res.writeHead(range ? 206 : 200, { ...headers, 'content-length': String(part.length), ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
    if (m[2] !== 'model.safetensors') { res.end(part); return; }
    let at = 0;
    const timer = setInterval(() => {
      if (res.destroyed) { clearInterval(timer); return; }
      res.write(part.subarray(at, at + 8192));
      at += 8192;
      if (at >= part.length) { clearInterval(timer); res.end(); }
    }, 100);
    res.on('close', () => clearInterval(timer));
  });
  return new Promise((r) => hub.listen(0, '127.0.0.1', () => { hubBase = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`; r(); }));
}

beforeAll(async () => {
  await startSlowHub();
  studio = await openStudio({ width: 1366, height: 900 });
  ({ url, context, page, pageErrors } = studio);
}, 300_000);

afterAll(async () => {
  await studio?.close();
  await new Promise((r) => hub?.close(r));
});

describe('Studio progress: evaluation', () => {
  it('prepares a few generated problems', async () => {
    await openTab(page, 'problems');
    await page.fill('#families', 'knapsack');
    await page.fill('#count', '12');
    await page.fill('#eval-fraction', '0.34');
    await page.click('#prepare');
    await page.waitForFunction(() => /8 for training, 4 held out/.test(document.querySelector('#split-summary')?.textContent ?? ''), null, { timeout: 180_000 });
    expect(await errorText(page)).toBe('');
  }, 240_000);

  it('shows a bar from the first moment: loading, generating k of 4, verifying k of 4, with the time left, to 4 of 4', async () => {
    await openTab(page, 'evaluate');
    await page.fill('#eval-batch', '1');
    await recordBar(page, 'evalBar', '#eval-bar');
    await page.click('#evaluate');
    // from the first moment, before the engine has said anything
    await page.waitForSelector('#eval-bar', { timeout: 5_000 });
    expect(await page.isVisible('#eval-bar .progress-cancel')).toBe(true);
    await idle(page);
    expect(await errorText(page)).toBe('');
    const texts = await seen(page, 'evalBar');
    expect(texts[0]).toBe('Loading the model · 0 of 4 completions');
    const generating = texts.filter((t) => /^Generating completions/.test(t));
    const verifying = texts.filter((t) => /^Verifying/.test(t));
    expect(generating.length).toBeGreaterThan(0);
    expect(verifying.length).toBeGreaterThan(0);
    // in order: loading, then generating, then verifying
    expect(texts.findIndex((t) => /^Loading/.test(t))).toBeLessThan(texts.indexOf(generating[0]!));
    expect(texts.indexOf(generating[generating.length - 1]!)).toBeLessThan(texts.indexOf(verifying[0]!));
    // counts with the unit, and the time left once there is a rate
    for (const t of [...generating, ...verifying]) expect(t).toMatch(/ · [0-4] of 4 completions/);
    expect(texts.some((t) => /of 4 completions · about .+ left$/.test(t))).toBe(true);
    expect(generating.some((t) => / · 4 of 4 completions/.test(t))).toBe(true);
    // it ends full: 4 of 4, and no Cancel once done
    expect(await page.textContent('#eval-bar .progress-count')).toBe('4 of 4 completions');
    expect(await page.locator('#eval-bar .progress-cancel').count()).toBe(0);
    expect(await page.textContent('#eval-progress')).toMatch(/^Done: 4 completions generated and verified in /);
    expect(await page.locator('#eval-items tbody tr').count()).toBe(4);
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, 'eval-done');
  }, 360_000);

  it('marks the previous result stale while a new evaluation runs', async () => {
    const before = await page.textContent('#eval-made');
    expect(await page.locator('#eval-stale').count()).toBe(0);
    expect(await page.getAttribute('#eval-results', 'aria-busy')).toBe('false');
    await page.click('#evaluate');
    await page.waitForSelector('#eval-stale', { timeout: 5_000 });
    expect(await page.getAttribute('#eval-results', 'aria-busy')).toBe('true');
    expect(await page.textContent('#eval-stale')).toMatch(/^Stale: a new evaluation is running\. These are the previous results \(.+\); they will be replaced when it finishes\.$/);
    expect(await page.textContent('#eval-results-h')).toMatch(/^Results: /);
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, 'eval-stale');
    await idle(page);
    expect(await errorText(page)).toBe('');
    expect(await page.locator('#eval-stale').count()).toBe(0);
    expect(await page.getAttribute('#eval-results', 'aria-busy')).toBe('false');
    expect(before).toMatch(/^Evaluated /);
  }, 360_000);

  it('Cancel stops an evaluation mid-way: no error, "Cancelled", and the next evaluation works', async () => {
    await recordBar(page, 'cancelBar', '#eval-bar', '^Generating completions');
    await page.click('#evaluate');
    await idle(page);
    expect(await errorText(page)).toBe('');
    expect(await page.textContent('#eval-progress')).toMatch(/^Cancelled/);
    const texts = await seen(page, 'cancelBar');
    expect(texts.some((t) => /^Generating completions/.test(t))).toBe(true);
    // it stopped before verifying everything, and the bar went away
    expect(texts.some((t) => /^Verifying.* · 4 of 4 completions/.test(t))).toBe(false);
    expect(await page.locator('#eval-bar').count()).toBe(0);
    // the previous results stay, not stale
    expect(await page.locator('#eval-stale').count()).toBe(0);
    expect(await page.locator('#eval-items tbody tr').count()).toBe(4);
    await shot(page, 'eval-cancelled');
    // a new evaluation then works
    await page.click('#evaluate');
    await idle(page);
    expect(await errorText(page)).toBe('');
    expect(await page.textContent('#eval-progress')).toMatch(/^Done: 4 completions/);
    expect(await page.textContent('#eval-bar .progress-count')).toBe('4 of 4 completions');
  }, 600_000);
});

describe('Studio progress: the solver-transfer wizard', () => {
  it('shows its stage (k of 6) and the evaluation inside it, marks the previous trial\'s rows stale and the one recomputed, and cancels', async () => {
    // a previous trial whose first two stages are done (the last evaluation stands in for both), then New trial
    await page.evaluate(async () => {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('evom-studio');
      const e = JSON.parse(await (await (await dir.getFileHandle('last-eval.json')).getFile()).text());
      localStorage.setItem('evom-studio-transfer-v2', JSON.stringify({ a: 'highs', b: 'glpk-json', stepsA: 1, stepsB: 1, evals: { base_on_a: e, base_on_b: e } }));
    });
    await openTab(page, 'transfer');
    expect(await page.textContent('#transfer-table tr[data-stage="base_on_a"] td.acc')).toMatch(/^\d+\.\d % \[/);
    await page.click('#transfer-reset');
    // New trial keeps the results, marked as the previous trial's, until each stage is recomputed
    expect(await page.textContent('#transfer-table tr[data-stage="base_on_a"] th')).toMatch(/\(stale: from the previous trial\)$/);
    expect(await page.textContent('#transfer-table tr[data-stage="base_on_a"] td.acc')).toMatch(/^\d+\.\d % \[/);
    expect(await page.textContent('#transfer-table tr[data-stage="a_on_a"] td.acc')).toBe('pending');
    await page.click('#transfer-run');
    await page.waitForSelector('#transfer-stage', { timeout: 5_000 });
    expect(await page.textContent('#transfer-stage .progress-label')).toBe('Stage 1 of 6: base model, evaluated under highs');
    expect(await page.textContent('#transfer-stage .progress-count')).toBe('0 of 6 stages');
    await page.waitForSelector('#transfer-inner', { timeout: 5_000 });
    expect(await page.getAttribute('#transfer-table tr[data-stage="base_on_a"]', 'aria-busy')).toBe('true');
    expect(await page.textContent('#transfer-table tr[data-stage="base_on_a"] th')).toMatch(/\(recomputing: the previous trial's result, stale\)$/);
    expect(await page.getAttribute('#transfer-table tr[data-stage="base_on_b"]', 'aria-busy')).toBe('false');
    await page.waitForFunction(() => /^Generating completions/.test(document.querySelector('#transfer-inner .progress-label')?.textContent ?? ''), null, { timeout: 120_000 });
    expect(await axeViolations(page, '#panel')).toEqual([]);
    await shot(page, 'transfer-running');
    await page.click('#transfer-stage .progress-cancel');
    await idle(page);
    expect(await errorText(page)).toBe('');
    expect(await page.textContent('#transfer-progress')).toMatch(/^Cancelled\. The finished stages are kept/);
    expect(await page.locator('#transfer-stage').count()).toBe(0);
    // nothing recomputed: the previous result is still there, still marked
    expect(await page.textContent('#transfer-table tr[data-stage="base_on_a"] th')).toMatch(/\(stale: from the previous trial\)$/);
    expect(await page.getAttribute('#transfer-table tr[data-stage="base_on_a"]', 'aria-busy')).toBe('false');
    await page.click('#transfer-reset');
  }, 300_000);
});

describe('Studio progress: training and charts', () => {
  it('a training step shows its phases in order under a "step k of N" bar', async () => {
    await openTab(page, 'train');
    await page.fill('#run-title', 'progress test run');
    for (const [k, v] of [['steps', '2'], ['group', '4'], ['promptsPerStep', '1'], ['maxNewTokens', '64'], ['microBatch', '4']] as const) await page.fill(`#set-${k}`, v);
    await recordBar(page, 'phases', '#step-phase');
    await recordBar(page, 'steps', '#train-steps');
    await page.click('#start');
    await page.waitForSelector('#step-phase', { timeout: 60_000 });
    await page.waitForFunction(() => /^Step 1: /.test(document.querySelector('#step-phase .progress-label')?.textContent ?? ''), null, { timeout: 300_000 });
    expect(await axeViolations(page, '#panel')).toEqual([]);
    await shot(page, 'train-step');
    await page.waitForFunction(() => /: done\./.test(document.querySelector('#train-status')?.textContent ?? ''), null, { timeout: 600_000 });
    await idle(page);
    expect(await errorText(page)).toBe('');
    const phases = (await seen(page, 'phases')).filter((t) => /^Step 1: /.test(t));
    const kinds = phases.map((t) => /^Step 1: (Generating|Verifying|Reference|Backward|Updating|Saving)/.exec(t)?.[1] ?? 'other')
      .filter((k, i, a) => k !== 'other' && k !== a[i - 1]);
    // the phases of a step, in order (a KL term adds reference passes before the backward)
    expect(kinds.filter((k) => k !== 'Reference')).toEqual(['Generating', 'Verifying', 'Backward', 'Updating', 'Saving']);
    expect(phases.some((t) => /^Step 1: Generating completions · [0-4] of 4 completions/.test(t))).toBe(true);
    expect(phases.some((t) => /^Step 1: Backward pass · 0 of 1 micro-batch/.test(t))).toBe(true);
    const steps = await seen(page, 'steps');
    expect(steps.some((t) => /step 1 of 2 · 0 of 2 steps$/.test(t))).toBe(true);
    expect(steps.some((t) => /step 2 of 2 · 1 of 2 steps · about .+ left$/.test(t))).toBe(true);
    // the bars go once the run is done
    expect(await page.locator('#train-progress').count()).toBe(0);
    expect(await page.getAttribute('#chart-reward', 'data-points')).toBe('2');
  }, 900_000);

  it('charts fill their cards at 1366 and 800 px, with units, the reward\'s maximum dashed, a hover readout and distinct dashes', async () => {
    const wide = await chartWidths(page, '#charts');
    expect(wide).toHaveLength(9);
    for (const c of wide) expect(Math.abs(c.canvas - c.content), c.id).toBeLessThanOrEqual(3);
    expect(wide[0]!.content).toBeGreaterThan(500); // two columns in a 1366 px window
    await shot(page, 'charts-1366');
    await page.setViewportSize({ width: 800, height: 900 });
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#charts figure.chart')).every((f) => {
      const cs = getComputedStyle(f);
      return Math.abs(f.querySelector('canvas')!.getBoundingClientRect().width - (f.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight))) <= 3;
    }), null, { timeout: 10_000 });
    const narrow = await chartWidths(page, '#charts');
    for (const c of narrow) expect(Math.abs(c.canvas - c.content), c.id).toBeLessThanOrEqual(3);
    expect(narrow[0]!.content).toBeLessThan(wide[0]!.content + 200); // one column, narrower than the window
    expect(narrow[0]!.content).toBeGreaterThan(500);
    await shot(page, 'charts-800');
    await page.setViewportSize({ width: 1366, height: 900 });

    // axes say their units and range
    const yLabels = Object.fromEntries(await page.$$eval('#charts figure.chart', (fs) => fs.map((f) => [f.id, f.getAttribute('data-y-label')])));
    expect(yLabels).toMatchObject({ 'chart-reward': 'reward (0–2)', 'chart-rates': 'share of completions (%)', 'chart-tps': 'tokens/s', 'chart-time': 'seconds', 'chart-entropy': 'entropy (nats per token)', 'chart-length': 'tokens per completion' });
    expect(await page.textContent('#chart-reward caption')).toMatch(/reward \(0–2\), maximum 2 marked/);
    // the reward's maximum: a dashed line drawn across the plot at 2
    expect(await page.getAttribute('#chart-reward', 'data-max-line')).toBe('2');
    const dashes = await page.$eval('#chart-reward', (f) => {
      const canvas = f.querySelector('canvas')!;
      const y = Math.floor(Number(f.getAttribute('data-max-line-y')) * devicePixelRatio);
      const row = canvas.getContext('2d')!.getImageData(0, y, canvas.width, 1).data;
      let runs = 0, dark = false;
      for (let i = 0; i < canvas.width; i++) {
        const d = row[4 * i + 3]! > 150 && row[4 * i]! < 110 && row[4 * i + 1]! < 110 && row[4 * i + 2]! < 120;
        if (d && !dark) runs++;
        dark = d;
      }
      return runs;
    });
    expect(dashes).toBeGreaterThan(15);
    // the hover readout: every series' value at the step under the mouse
    const over = page.locator('#chart-rates .u-over');
    await over.scrollIntoViewIfNeeded();
    const box = (await over.boundingBox())!;
    const readout = () => page.$$eval('#chart-rates .u-legend .u-series', (rows) => rows.map((r) => r.textContent ?? ''));
    // not hovering: the last step's values
    expect((await readout())[0]).toBe('step2');
    // over step 1 (the left edge): step 1's values, each with its unit
    await over.hover({ position: { x: box.width * 0.02, y: box.height / 2 } });
    await page.waitForFunction(() => document.querySelector('#chart-rates .u-legend .u-series .u-value')?.textContent === '1', null, { timeout: 5_000 });
    const atStep1 = await readout();
    expect(atStep1[0]).toBe('step1');
    for (const r of atStep1.slice(1)) expect(r).toMatch(/^(accuracy|format|executed)\d+(\.\d+)? %$/);
    expect(atStep1[1]).toBe(`accuracy${await page.$eval('#chart-rates figcaption tbody tr:first-child td:nth-child(2)', (td) => td.textContent)}`);
    await shot(page, 'charts-hover');
    // series told apart without colour: each its own dash pattern and point shape, drawn in the legend
    const styles = await page.$$eval('#chart-rates .u-legend .u-series[data-dash]', (rows) => rows.map((r) => ({
      dash: r.getAttribute('data-dash'), shape: r.getAttribute('data-shape'), svg: r.querySelector('svg line')?.getAttribute('stroke-dasharray'),
    })));
    expect(styles).toHaveLength(3);
    expect(new Set(styles.map((s) => s.dash)).size).toBe(3);
    expect(new Set(styles.map((s) => s.shape)).size).toBe(3);
    expect(new Set(styles.map((s) => s.svg)).size).toBe(3);
    expect(await axeViolations(page, '#panel')).toEqual([]);
  }, 120_000);

  it('presentation mode draws the charts with larger type', async () => {
    const legendPx = () => page.$eval('#chart-reward .u-legend', (l) => parseFloat(getComputedStyle(l).fontSize));
    expect(await page.getAttribute('#chart-reward', 'data-font-px')).toBe('13');
    const before = await legendPx();
    const canvasBefore = await page.$eval('#chart-reward canvas', (c) => (c as HTMLCanvasElement).height);
    await page.evaluate(() => document.body.classList.add('presentation'));
    await page.waitForFunction(() => document.querySelector('#chart-reward')?.getAttribute('data-font-px') === '20', null, { timeout: 5_000 });
    expect(await legendPx()).toBeGreaterThan(before);
    expect(await page.$eval('#chart-reward canvas', (c) => (c as HTMLCanvasElement).height)).toBeGreaterThan(canvasBefore); // redrawn, taller
    await shot(page, 'presentation');
    await page.evaluate(() => document.body.classList.remove('presentation'));
    await page.waitForFunction(() => document.querySelector('#chart-reward')?.getAttribute('data-font-px') === '13', null, { timeout: 5_000 });
  }, 60_000);

  it('lists past runs after a reload, each with its status, settings and charts', async () => {
    await page.reload();
    await page.waitForFunction(() => /GPU: /.test(document.querySelector('#gpu-status')?.textContent ?? ''), null, { timeout: 120_000 });
    await openTab(page, 'train');
    await page.waitForSelector('#history-table tbody tr', { timeout: 30_000 });
    // nothing trains here: no empty live charts, the saved runs (the latest one's charts) instead
    expect(await page.locator('#charts').count()).toBe(0);
    const row = page.locator('#history-table tbody tr', { hasText: 'progress test run' });
    expect(await row.count()).toBe(1);
    expect(await row.locator('td.run-status').textContent()).toBe('done (2 steps)');
    expect(await row.textContent()).toMatch(/GRPO, target highs, G 4 × 1 problem per step/);
    await row.locator('button', { hasText: 'Charts' }).click();
    expect(await row.locator('button', { hasText: 'Charts' }).getAttribute('aria-pressed')).toBe('true');
    await page.waitForSelector('#history-chart-reward');
    expect(await page.getAttribute('#history-chart-reward', 'data-points')).toBe('2');
    expect(await page.locator('#history-chart-grid figure.chart').count()).toBe(9);
    expect(await page.textContent('#history-charts-h')).toMatch(/^progress test run: done \(2 steps\)$/);
    const widths = await chartWidths(page, '#history-chart-grid');
    for (const c of widths) expect(Math.abs(c.canvas - c.content), c.id).toBeLessThanOrEqual(3);
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, 'history');
  }, 180_000);
});

describe('Studio progress: downloads', () => {
  it('a Hub download shows megabytes of total, speed and time left, and Cancel stops it without an error', async () => {
    await openTab(page, 'model');
    await page.check('input[name=model-kind][value=hub]');
    await page.fill('#hub-id', 'slow/tiny');
    await page.fill('#hub-url', hubBase);
    await page.click('#check-plan');
    await page.waitForSelector('#plan.ok', { timeout: 60_000 });
    await idle(page);
    await recordBar(page, 'download', '#download-model-safetensors');
    await page.click('#download');
    await page.waitForFunction(() => /left/.test(document.querySelector('#download-model-safetensors .progress-count')?.textContent ?? ''), null, { timeout: 60_000 });
    expect(await page.textContent('#download-model-safetensors .progress-label')).toMatch(/^Downloading model\.safetensors at [\d.]+ (kB|MB)\/s/);
    expect(await page.textContent('#download-model-safetensors .progress-count')).toMatch(/^[\d.]+ of 0\.9 megabytes · about .+ left$/);
    expect(await axeViolations(page, '#panel')).toEqual([]);
    await shot(page, 'download');
    expect((await seen(page, 'download')).length).toBeGreaterThan(1); // the bar moved
    await page.click('#download-model-safetensors .progress-cancel');
    await idle(page, 30_000);
    expect(await errorText(page)).toBe('');
    expect(await page.textContent('#download-done')).toMatch(/^Download cancelled\./);
    expect(await page.locator('#download-model-safetensors').count()).toBe(0);
    await page.check('input[name=model-kind][value=builtin]');
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
