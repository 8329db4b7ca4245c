// EVOM Studio in headless Chromium (WebGPU on SwiftShader), driven like a user would: prepare
// generated problems, evaluate the built-in policy with a drill-down, train with live charts,
// reload mid-run and resume from the OPFS checkpoint, lose the GPU device mid-step and resume,
// export and re-import a run card, the solver-transfer wizard on two in-browser targets, a remote
// target on a real sandbox server on 127.0.0.1, offline use, and the error paths. Throughout, the page's main thread is watched: it
// renders only (no WebGPU, no WebAssembly; the engine and the solvers run in its workers). Its long
// tasks are measured by bench/studio-main-thread.ts. Screenshots go to test-results/studio-*.png.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig } from '../server/config.ts';
import { startFromConfig } from '../server/main.ts';
import type { SandboxServer } from '../server/http.ts';
import { BUILTIN_FILES } from '../src/host/engine-host.ts';
import { launchChromium, mainThreadWork, makeShareLink, MAIN_THREAD_PROBE, serveApp } from './browser.ts';

const ROOT = join(import.meta.dirname, '..');
const SHOTS = 'test-results';
mkdirSync(SHOTS, { recursive: true });
const TOKEN = 'studio-token-0123456789abcdef';

let url: string;
let stopApp: () => Promise<void>;
let context: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
const pageErrors: string[] = [];

/** The page's main thread did no engine or solver work: nothing on WebGPU, nothing in WebAssembly. */
async function expectRenderOnly(p: Page) {
  const w = await mainThreadWork(p);
  expect(w.webgpu).toEqual([]);
  expect(w.wasm).toEqual([]);
  return w;
}

async function openTab(p: Page, id: string) {
  await p.click(`#tab-${id}`);
  await p.waitForSelector(`#panel[aria-labelledby="tab-${id}"]`);
}
const idle = (p: Page, timeout = 600_000) => p.waitForFunction(() => !document.querySelector('#busy'), null, { timeout });
const errorText = async (p: Page) => (await p.locator('#error').count()) ? (await p.textContent('#error')) ?? '' : '';
/** Model tab: a Hub model on a Hub stand-in, then "Check the memory plan" (optionally with a budget in GiB). */
async function checkHubPlan(p: Page, id: string, hubBase: string, budgetGiB?: string) {
  await openTab(p, 'model');
  await p.check('input[name=model-kind][value=hub]');
  await p.fill('#hub-id', id);
  await p.fill('#hub-url', hubBase);
  if (budgetGiB) await p.fill('#budget', budgetGiB);
  await p.click('#check-plan');
}
const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `studio-${name}.png`), fullPage: true });

async function newPage(ctx: BrowserContext): Promise<Page> {
  const p = await ctx.newPage();
  await p.addInitScript(MAIN_THREAD_PROBE);
  p.on('pageerror', (e) => { pageErrors.push(String(e)); console.error('page error:', e); });
  return p;
}

beforeAll(async () => {
  const app = await serveApp();
  url = app.url;
  stopApp = () => app.server.close();
  const b = await launchChromium({ webgpu: true });
  context = b.context;
  closeBrowser = b.close;
  page = await newPage(context);
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.goto(url);
  await page.waitForSelector('#gpu-status');
  await page.waitForFunction(() => /GPU: /.test(document.querySelector('#gpu-status')?.textContent ?? ''), null, { timeout: 60_000 });
}, 240_000);

afterAll(async () => {
  await closeBrowser?.();
  await stopApp?.();
});

describe('EVOM Studio', () => {
  it('knows the built-in model\'s files (nothing else is requested, so it loads offline)', () => {
    expect([...BUILTIN_FILES].sort()).toEqual(readdirSync(join(import.meta.dirname, '..', 'public', 'models', 'evom-tiny')).sort());
  });

  it('prepares generated problems with a preview and a train/evaluation split', async () => {
    await openTab(page, 'problems');
    await page.fill('#families', 'knapsack');
    await page.fill('#count', '12');
    await page.fill('#eval-fraction', '0.34');
    await page.click('#prepare');
    await page.waitForSelector('#split-summary', { timeout: 120_000 });
    expect(await errorText(page)).toBe('');
    expect(await page.textContent('#split-summary')).toMatch(/8 for training, 4 held out for evaluation/);
    const rows = await page.$$eval('#preview tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
    expect(rows.filter((r) => r[0] === 'eval')).toHaveLength(4);
    for (const r of rows) expect(Number(r[3])).toBeGreaterThan(0); // answers solved in the browser
    await shot(page, 'problems');
  }, 180_000);

  it('reports a malformed data file with its line and reason, keeping the prepared problems', async () => {
    await page.selectOption('#data-kind', 'upload');
    await page.setInputFiles('#data-file', { name: 'mine.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from('{"id":"a","question":"Maximize x","answer":3}\n{"id":"b","question":"Minimize y","answer":"lots"}\n') });
    await page.click('#prepare');
    await page.waitForSelector('#error');
    const msg = await errorText(page);
    expect(msg).toMatch(/mine\.jsonl/);
    expect(msg).toMatch(/line 2/);
    expect(msg).toMatch(/"answer" must be a number/);
    expect(await page.textContent('#split-summary')).toMatch(/8 for training/); // nothing lost
    await page.selectOption('#data-kind', 'generator');
    await page.fill('#families', 'knapsack');
    await page.fill('#count', '12');
  }, 60_000);

  it('evaluates the built-in policy: results table and a per-item drill-down', async () => {
    await openTab(page, 'evaluate');
    await page.fill('#eval-batch', '4');
    await page.click('#evaluate');
    await page.waitForSelector('#eval-items tbody tr', { timeout: 300_000 });
    await idle(page);
    expect(await errorText(page)).toBe('');
    const summary = await page.$$eval('table.summary tbody tr td', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(summary[1]).toBe('4'); // items
    expect(summary[2]).toMatch(/%$/);
    // accuracy with its 95 % interval (Wilson over the 4 items)
    expect(summary[3]).toMatch(/^\d+\.\d % \[\d+\.\d, \d+\.\d\]$/);
    const classCounts = summary.slice(6).map(Number);
    expect(classCounts.reduce((a, b) => a + b, 0)).toBe(4);
    await page.click('#eval-items tbody tr:first-child button');
    const drill = await page.textContent('#drill');
    expect(drill).toMatch(/Problem/);
    expect(drill).toMatch(/Extracted model/);
    expect(drill).toMatch(/Reward breakdown/);
    await shot(page, 'evaluate');
    // the problems were generated and solved, and the policy ran, in the page's workers
    expect((await expectRenderOnly(page)).workers).toEqual(expect.arrayContaining(['evom-problems', 'evom-engine']));
  }, 360_000);

  it('trains with live charts; a reload mid-run, or the GPU device lost mid-step, loses nothing and the run resumes from its checkpoint', async () => {
    await openTab(page, 'train');
    await page.fill('#run-title', 'studio test run');
    for (const [k, v] of [['steps', '3'], ['group', '4'], ['promptsPerStep', '1'], ['maxNewTokens', '100'], ['microBatch', '4']] as const) await page.fill(`#set-${k}`, v);
    await page.click('#start');
    await page.waitForFunction(() => document.querySelectorAll('#metrics tbody tr').length >= 1, null, { timeout: 300_000 });
    expect(await page.getAttribute('#chart-reward', 'data-points')).toBe('1');
    const step1 = await page.$$eval('#metrics tbody tr:first-child td', (tds) => tds.map((td) => td.textContent));
    await expectRenderOnly(page);
    await shot(page, 'train-step1');
    await page.reload();
    await openTab(page, 'train');
    await page.waitForSelector('#resume-notice', { timeout: 30_000 });
    expect(await page.textContent('#resume-notice')).toMatch(/interrupted/);
    expect(await page.inputValue('#set-group')).toBe('4'); // settings survived the reload
    await page.click('#resume-saved');
    // pause during step 2, stop while paused, then resume to the end
    await page.waitForFunction(() => /: running\./.test(document.querySelector('#train-status')?.textContent ?? ''), null, { timeout: 120_000 });
    await page.click('#pause');
    await page.waitForFunction(() => /: paused\. Paused after step 2/.test(document.querySelector('#train-status')?.textContent ?? ''), null, { timeout: 300_000 });
    expect(await page.locator('#metrics tbody tr').count()).toBe(2);
    await page.click('#stop');
    await page.waitForFunction(() => /: stopped\./.test(document.querySelector('#train-status')?.textContent ?? ''), null, { timeout: 30_000 });
    // resumed, and the engine worker's GPU device destroyed in the middle of step 3: the run stops
    // with what happened and a Resume button, step 2 stays its checkpoint
    const engine = page.workers().find((w) => w.url().includes('engine-worker.browser'))!;
    await engine.evaluate(() => (self as unknown as { evomHost: { testLoseDeviceInStep(step: number): Promise<void> } }).evomHost.testLoseDeviceInStep(3));
    await page.click('#resume');
    await page.waitForFunction(() => /: failed\./.test(document.querySelector('#train-status')?.textContent ?? ''), null, { timeout: 300_000 });
    await idle(page, 30_000);
    expect(await page.textContent('#train-status')).toMatch(/: failed\. The GPU device was lost during step 3 \(destroyed: Device was destroyed\): the run stopped; steps up to 2 are saved\. Press Resume to continue from the last checkpoint on a new GPU device\.$/);
    expect(await errorText(page)).toMatch(/^The GPU device was lost during step 3/);
    expect(await page.locator('#metrics tbody tr').count()).toBe(2);
    await shot(page, 'train-device-lost');
    // Resume: a new device, from the checkpoint of step 2, to the end
    expect(await page.isEnabled('#resume')).toBe(true);
    await page.click('#resume');
    await page.waitForFunction(() => /: done\./.test(document.querySelector('#train-status')?.textContent ?? ''), null, { timeout: 600_000 });
    expect(await errorText(page)).toBe('');
    const rows = await page.$$eval('#metrics tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)));
    expect(rows.map((r) => r[0])).toEqual(['1', '2', '3']);
    expect(rows[0]).toEqual(step1); // step 1 as it was before the reload
    for (const id of ['chart-reward', 'chart-rates', 'chart-no-model', 'chart-kl', 'chart-entropy', 'chart-length', 'chart-clip', 'chart-tps', 'chart-time']) {
      expect(await page.getAttribute(`#${id}`, 'data-points')).toBe('3');
    }
    // rollout inspector: G = 4 completions of a problem, with rewards and advantages summing to ~0
    const ro = await page.$$eval('#rollout-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
    expect(ro).toHaveLength(4);
    expect(Math.abs(ro.reduce((a, r) => a + Number(r[3]), 0))).toBeLessThan(1e-2);
    await page.click('#rollout-table tbody tr:first-child button');
    expect((await page.textContent('#rollout-text'))!.length).toBeGreaterThan(0);
    // trained after a reload: the new page's main thread rendered only, too
    expect((await expectRenderOnly(page)).workers).toContain('evom-engine');
    await shot(page, 'train');
    // the probe does see main-thread WebAssembly: compile a module on the page's thread (then reload)
    await page.evaluate(() => WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])));
    expect((await mainThreadWork(page)).wasm).toEqual(['compile']);
    await page.reload();
    await page.waitForSelector('#gpu-status');
  }, 900_000);

  it('evaluates the trained run\'s adapter', async () => {
    await openTab(page, 'evaluate');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#eval-adapter option')).some((o) => /studio test run/.test(o.textContent ?? '')), null, { timeout: 30_000 });
    const run = await page.$eval('#eval-adapter', (s) => Array.from((s as HTMLSelectElement).options).find((o) => /studio test run/.test(o.textContent ?? ''))!.value);
    await page.selectOption('#eval-adapter', run);
    await page.click('#evaluate');
    await page.waitForFunction((r) => (document.querySelector('#eval-results-h')?.textContent ?? '').includes(r) && !document.querySelector('#busy'), run, { timeout: 300_000 });
    expect(await errorText(page)).toBe('');
    expect(await page.textContent('#eval-results-h')).toMatch(/\(step 3\)/);
  }, 360_000);

  it('exports the run (card, metrics, adapter) and re-imports the card in the compare view', async () => {
    await openTab(page, 'export');
    const dl = async (sel: string) => {
      const [d] = await Promise.all([page.waitForEvent('download'), page.click(sel)]);
      return readFileSync((await d.path())!);
    };
    const card = JSON.parse(String(await dl('#export-card')));
    expect(card.format).toBe('evom-run-card');
    expect(card.metrics).toHaveLength(3);
    expect(card.settings).toMatchObject({ group: 4, steps: 3, maxNewTokens: 100 });
    expect(card.cli.train).toMatch(/^npx evom train .*--data train\.jsonl/);
    expect(card.cli.train).toMatch(/--group 4/);
    expect(JSON.stringify(card)).not.toContain(TOKEN);
    expect(card.evaluations).toHaveLength(1);
    const evalLines = String(await dl('#export-evals')).trim().split('\n').map((l) => JSON.parse(l));
    expect(evalLines).toHaveLength(4);
    for (const l of evalLines) expect(l).toMatchObject({ id: expect.any(String), completion: expect.any(String), outcome: { class: expect.any(String) } });
    const csv = String(await dl('#export-metrics-csv')).trim().split('\n');
    expect(csv).toHaveLength(4);
    expect(csv[0]).toMatch(/step/);
    const zip = unzipSync(new Uint8Array(await dl('#export-all')));
    expect(Object.keys(zip).sort()).toEqual(expect.arrayContaining(['run-card.json', 'train.jsonl', 'eval.jsonl', 'metrics.jsonl', 'metrics.csv', 'adapter/adapter_config.json', 'adapter/adapter_model.safetensors']));
    expect(strFromU8(zip['train.jsonl']!).trim().split('\n')).toHaveLength(8);
    expect(JSON.parse(strFromU8(zip['adapter/adapter_config.json']!)).peft_type).toBe('LORA');
    // the run card reproduces the run from the command line: its first step, from the exported files
    const cliDir = mkdtempSync(join(tmpdir(), 'evom-studio-cli-'));
    for (const f of ['train.jsonl', 'eval.jsonl']) writeFileSync(join(cliDir, f), zip[f]!);
    symlinkSync(join(ROOT, 'public'), join(cliDir, 'public'));
    const cmd = String(card.cli.train).replace(/^npx evom /, `${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, 'bin', 'evom.js'))} `).replace(/--steps 3\b/, '--steps 1');
    expect(cmd).toMatch(/--steps 1/);
    const cli = spawnSync('sh', ['-c', cmd], { cwd: cliDir, encoding: 'utf8', timeout: 400_000 });
    expect(cli.status, cli.stderr).toBe(0);
    const cliStep1 = JSON.parse(readFileSync(join(cliDir, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n')[0]!);
    for (const k of ['reward_mean', 'accuracy', 'format_rate', 'exec_rate', 'completion_length', 'loss', 'entropy']) expect(cliStep1[k], k).toBeCloseTo(card.metrics[0][k], 4);
    const merged = unzipSync(new Uint8Array(await dl('#export-merged')));
    expect(Object.keys(merged)).toEqual(expect.arrayContaining(['model.safetensors', 'config.json', 'tokenizer.json']));
    // the run folder (the run store's layout, what `evom train --resume` continues) …
    const runId = await page.inputValue('#export-run');
    const folder = unzipSync(new Uint8Array(await dl('#export-run-folder')));
    expect(Object.keys(folder)).toEqual(expect.arrayContaining([`${runId}/run.json`, `${runId}/data.json`, `${runId}/metrics.jsonl`, `${runId}/checkpoints/latest`, `${runId}/checkpoints/step-000003/optimizer.safetensors`]));
    expect(strFromU8(folder[`${runId}/checkpoints/latest`]!)).toBe('step-000003');
    // … and the folder `evom train` wrote from the card just now opens in the Studio as a run
    await page.setInputFiles('#import-run-folder', join(cliDir, 'run'));
    await page.waitForFunction(() => [...document.querySelectorAll('#export-run option')].some((o) => /^run\b.*1 step\b/.test(o.textContent ?? '')), undefined, { timeout: 60_000 });
    expect(await errorText(page)).toBe('');
    expect(await page.inputValue('#export-run')).toBe('run');
    await page.selectOption('#export-run', runId);
    await shot(page, 'export');

    const dir = mkdtempSync(join(tmpdir(), 'evom-studio-'));
    writeFileSync(join(dir, 'alice.json'), JSON.stringify(card));
    writeFileSync(join(dir, 'bob.jsonl'), strFromU8(zip['metrics.jsonl']!));
    await openTab(page, 'classroom');
    await page.setInputFiles('#compare-files', [join(dir, 'alice.json'), join(dir, 'bob.jsonl')]);
    await page.waitForSelector('#compare-table tbody tr:nth-child(2)');
    expect(await page.textContent('#compare-table')).toMatch(/studio test run/);
    expect(await page.getAttribute('#compare-reward', 'data-points')).toBe('3');
    // a broken card is refused with its reason
    writeFileSync(join(dir, 'broken.json'), JSON.stringify({ ...card, settings: { ...card.settings, group: 'eight' } }));
    await page.setInputFiles('#compare-files', [join(dir, 'broken.json')]);
    await page.waitForSelector('#error');
    expect(await errorText(page)).toMatch(/broken\.json/);
    await shot(page, 'classroom');
  }, 600_000);

  it('a share link pre-fills the whole configuration in another browser tab, without the token', async () => {
    await openTab(page, 'targets');
    await page.fill('#server-token', TOKEN);
    await openTab(page, 'classroom');
    const link = await makeShareLink(page);
    expect(link).toContain('#run=');
    expect(link).not.toContain(TOKEN);
    const other = await (await launchChromium()).context.newPage();
    try {
      await other.goto(link);
      await other.waitForSelector('#shared-notice');
      await openTab(other, 'train');
      expect(await other.inputValue('#set-group')).toBe('4');
      expect(await other.inputValue('#set-maxNewTokens')).toBe('100');
      await openTab(other, 'problems');
      expect(await other.inputValue('#count')).toBe('12');
      expect(await other.evaluate(() => localStorage.getItem('evom-studio-server-token'))).toBeNull();
    } finally {
      await other.context().close();
    }
  }, 120_000);

  it('runs the solver-transfer wizard on two in-browser targets', async () => {
    await openTab(page, 'transfer');
    await page.selectOption('#transfer-a', 'highs');
    await page.selectOption('#transfer-b', 'glpk-json');
    await page.fill('#transfer-steps-a', '1');
    await page.fill('#transfer-steps-b', '1');
    await page.click('#transfer-run');
    await page.waitForFunction(() => document.querySelector('#transfer-progress')?.textContent === 'Done.' || !!document.querySelector('#error'), null, { timeout: 900_000 });
    expect(await errorText(page)).toBe('');
    const rows = await page.$$eval('#transfer-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('th,td'), (td) => td.textContent ?? '')));
    // six evaluations: base under A and B, A's adapter under A and B, k steps under B from A and from the base
    expect(rows.map((r) => r[1])).toEqual(['highs', 'glpk-json', 'highs', 'glpk-json', 'glpk-json', 'glpk-json']);
    for (const r of rows) {
      expect(r[2]).toBe('4');
      expect(r[3]).toMatch(/^\d+\.\d % \[\d+\.\d, \d+\.\d\]$/);
    }
    expect(rows[3]![0]).toMatch(/1 step GRPO under highs, evaluated under glpk-json \(zero-shot\)/);
    // five paired comparisons on the same 4 items
    const cmp = await page.$$eval('#transfer-comparisons tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-key'), tr.querySelector('td')?.textContent ?? '']));
    expect(cmp.map((c) => c[0])).toEqual(['gain_under_a', 'transfer_to_b', 'adapt_from_a_vs_base', 'adapt_from_a', 'adapt_from_base']);
    for (const [, d] of cmp) expect(d).toMatch(/points \[.+\], n = 4 paired, detectable ≥ \d/);
    expect(await page.locator('#transfer-chart rect').count()).toBe(12);
    expect(await page.locator('#transfer-chart line.ci').count()).toBe(6);
    // the training stages' charts: reward and accuracy per step of each of the three runs
    for (const id of ['#transfer-chart-reward', '#transfer-chart-accuracy']) {
      expect(await page.getAttribute(id, 'data-points')).toBe('1');
      expect(await page.$$eval(`${id} thead th`, (ths) => ths.length)).toBe(4); // step + three runs
      expect(await page.$$eval(`${id} tbody td`, (tds) => tds.slice(1).every((td) => /^\d/.test(td.textContent ?? '')))).toBe(true);
    }
    // three runs: A, B from A (adapted from A's run), B from the base
    const titles = await page.evaluate(async () => {
      const root = await navigator.storage.getDirectory();
      const out: string[] = [];
      for await (const [, h] of (await root.getDirectoryHandle('evom-runs') as any).entries()) {
        try { out.push(JSON.parse(await (await (await (h as FileSystemDirectoryHandle).getFileHandle('run.json')).getFile()).text()).title); } catch { /* not a run */ }
      }
      return out;
    });
    expect(titles).toEqual(expect.arrayContaining(['transfer: A (highs)', 'transfer: B (glpk-json) from A', 'transfer: B (glpk-json) from the base']));
    await expectRenderOnly(page);
    await shot(page, 'transfer');
    // the CLI's set-up in one click: evom demo --transfer's problems (100 held out, the rest of 256 for
    // training), the multi-language policy and the built-in defaults with seed 1; then back to this file's
    await page.click('#transfer-demo-setup');
    await idle(page);
    expect(await errorText(page)).toBe('');
    expect(await page.locator('#transfer-table td.acc', { hasText: 'pending' }).count()).toBe(6);
    await openTab(page, 'problems');
    expect(await page.textContent('#split-summary')).toMatch(/\b(2[45]\d|256) for training, 100 held out for evaluation/);
    await openTab(page, 'model');
    expect(await page.isChecked('input[name=model-kind][value=builtin-multi]')).toBe(true);
    const form = JSON.parse(await page.evaluate(() => localStorage.getItem('evom-studio-form') ?? '{}'));
    expect(form.settings).toMatchObject({ seed: 1, target: 'highs', lr: 0.0005, steps: 10, group: 8, maxNewTokens: 112 });
    await page.check('input[name=model-kind][value=builtin]');
    await openTab(page, 'problems');
    await page.click('#prepare');
    await page.waitForFunction(() => /8 for training, 4 held out/.test(document.querySelector('#split-summary')?.textContent ?? ''), null, { timeout: 120_000 });
  }, 900_000);
});

describe('EVOM Studio: remote target on a real sandbox server', () => {
  let srv: SandboxServer;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evom-studio-server-'));
    writeFileSync(join(dir, 'tokens'), `${TOKEN}\n`, { mode: 0o600 });
    srv = await startFromConfig(loadServerConfig({ env: {}, flags: { port: 0, tokens_file: join(dir, 'tokens'), workers: 2, cors_origins: [url.replace(/\/$/, '')] } }), () => {});
  }, 60_000);
  afterAll(() => srv?.stop());

  it('connects with the token, lists the server targets and evaluates under pulp', async () => {
    await openTab(page, 'targets');
    await page.fill('#server-url', srv.url);
    await page.fill('#server-token', 'wrong-token-0123456789abcdef');
    await page.click('#check-server');
    await page.waitForSelector('#error');
    expect(await errorText(page)).toMatch(/rejected the token/);
    await page.fill('#server-url', 'http://127.0.0.1:9');
    await page.click('#check-server');
    await page.waitForFunction(() => /Could not reach/.test(document.querySelector('#error')?.textContent ?? ''), null, { timeout: 30_000 });
    await page.fill('#server-url', srv.url);
    await page.fill('#server-token', TOKEN);
    await page.click('#check-server');
    await page.waitForSelector('#server-targets');
    expect(await page.textContent('#server-targets')).toMatch(/pulp\s*yes/);
    await page.selectOption('#target', 'pulp');
    expect(await page.evaluate(() => localStorage.getItem('evom-studio-form'))).not.toContain(TOKEN);
    await openTab(page, 'evaluate');
    await page.selectOption('#eval-adapter', '');
    await page.click('#evaluate');
    await page.waitForFunction(() => /on pulp/.test(document.querySelector('#eval-results-h')?.textContent ?? ''), null, { timeout: 300_000 });
    await idle(page);
    expect(await errorText(page)).toBe('');
    const summary = await page.$$eval('table.summary tbody tr td', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(summary[0]).toBe('pulp');
    // the built-in policy writes LP text, not Python: the server ran it and Python rejected it
    await page.click('#eval-items tbody tr:first-child button');
    expect(await page.textContent('#drill')).toMatch(/error|Error/);
    await shot(page, 'remote');
    await openTab(page, 'targets');
    await page.selectOption('#target', 'highs');
  }, 400_000);
});

describe('EVOM Studio: offline and failures', () => {
  it('works offline after the first visit: reload and evaluate with the network off', async () => {
    await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: 60_000 });
    await context.setOffline(true);
    try {
      await page.reload();
      await page.waitForSelector('#gpu-status');
      await openTab(page, 'evaluate');
      await page.click('#evaluate');
      await page.waitForFunction(() => !!document.querySelector('#error') || (/on highs/.test(document.querySelector('#eval-results-h')?.textContent ?? '') && !document.querySelector('#busy')), null, { timeout: 300_000 });
      expect(await errorText(page)).toBe('');
      await shot(page, 'offline');
    } finally {
      await context.setOffline(false);
    }
  }, 360_000);

  it('refuses a Hub model that cannot fit this adapter before downloading it', async () => {
    // a 7B-class Qwen2 configuration: an MLP projection alone exceeds the adapter's buffer limits
    const hub = await startFakeHub({ 'big/model': join(ROOT, 'test', 'fixtures', 'configs', 'qwen2-7b-class') });
    try {
      await checkHubPlan(page, 'big/model', hub.base);
      await page.waitForSelector('#plan');
      expect(await errorText(page)).toMatch(/cannot be trained on this GPU adapter/);
      expect(await page.isDisabled('#download')).toBe(true);
      expect(hub.requests.some((r) => r.includes('safetensors'))).toBe(false);
      expect(await page.locator('#no-fit').count()).toBe(1); // no micro-batch or length makes a 7B fit
      expect(await page.locator('#use-fit').count()).toBe(0);
      await shot(page, 'model-refused');
    } finally {
      await hub.close();
    }
  }, 120_000);

  it('offers the nearest settings that fit when only the micro-batch is too big (Qwen2.5-0.5B on a 4 GiB budget), and applies them', async () => {
    // Qwen2.5-0.5B-Instruct's config.json (as published)
    const hub = await startFakeHub({ 'Qwen/Qwen2.5-0.5B-Instruct': join(ROOT, 'public', 'configs', 'qwen2.5-0.5b-instruct') });
    await openTab(page, 'train');
    const before = { microBatch: await page.inputValue('#set-microBatch'), maxNewTokens: await page.inputValue('#set-maxNewTokens') };
    try {
      await page.fill('#set-microBatch', '8');
      await checkHubPlan(page, 'Qwen/Qwen2.5-0.5B-Instruct', hub.base, '4');
      await page.waitForSelector('#plan.bad');
      expect(await errorText(page)).toMatch(/over the 4\.00 GiB budget/);
      const offer = (await page.textContent('#use-fit')) ?? '';
      const mb = Number(/micro-batch (\d+)/.exec(offer)?.[1]);
      expect(mb).toBeGreaterThanOrEqual(1);
      expect(mb).toBeLessThan(8);
      await shot(page, 'model-offer');
      await page.click('#use-fit');
      await page.waitForSelector('#plan.ok');
      expect(await errorText(page)).toBe('');
      expect(await page.textContent('#plan')).toMatch(new RegExp(`micro-batch ${mb}\\)`));
      expect(hub.requests.some((r) => r.includes('safetensors'))).toBe(false);
      await shot(page, 'model-fit');
      await openTab(page, 'train');
      expect(await page.inputValue('#set-microBatch')).toBe(String(mb)); // the setting itself changed, not just the plan
      // 1 GiB: recomputation is not enough; the offer adds a quantized frozen base, and applying it sets the form
      await checkHubPlan(page, 'Qwen/Qwen2.5-0.5B-Instruct', hub.base, '1');
      await page.waitForSelector('#plan.bad');
      expect((await page.textContent('#use-fit')) ?? '').toMatch(/activation recomputation, a [48]-bit base/);
      await page.click('#use-fit');
      await page.waitForSelector('#plan.ok');
      expect(await page.textContent('#plan')).toMatch(/q[48] matrices/);
      await shot(page, 'model-fit-quant');
      await openTab(page, 'train');
      expect(await page.inputValue('#set-quant')).toMatch(/^q[48]$/);
      expect(await page.isChecked('#set-recompute')).toBe(true);
    } finally {
      await hub.close();
      await openTab(page, 'train');
      await page.fill('#set-microBatch', before.microBatch);
      await page.fill('#set-maxNewTokens', before.maxNewTokens);
      await page.selectOption('#set-quant', 'none');
      await page.setChecked('#set-recompute', false);
      await openTab(page, 'model');
      await page.fill('#budget', '4');
      await page.check('input[name=model-kind][value=builtin]');
    }
  }, 120_000);

  it('reports an interrupted download and resumes it on the next try; the storage panel lists and deletes it', async () => {
    const tiny = join(ROOT, 'public', 'models', 'evom-tiny');
    const hub = await startFakeHub({ 'me/tiny': tiny });
    try {
      await checkHubPlan(page, 'me/tiny', hub.base);
      await page.waitForSelector('#plan.ok');
      hub.cutting = true;
      await page.click('#download');
      await page.waitForSelector('#error', { timeout: 120_000 });
      expect(await errorText(page)).toMatch(/interrupted|could not be reached|resume/i);
      hub.cutting = false;
      const seen = hub.requests.length;
      await page.click('#download');
      await page.waitForSelector('#download-done', { timeout: 60_000 });
      expect(await errorText(page)).toBe('');
      expect(hub.requests.slice(seen).filter((r) => r.includes('model.safetensors'))[0]).toMatch(/bytes=[1-9]/); // resumed, not restarted
      await page.waitForFunction(() => /me\/tiny/.test(document.querySelector('#storage-table')?.textContent ?? ''), null, { timeout: 30_000 });
      await shot(page, 'model-storage');
      page.once('dialog', (d) => void d.accept());
      await page.click('button[aria-label^="Delete model me/tiny"]');
      await page.waitForFunction(() => !/me\/tiny/.test(document.querySelector('#storage-table')?.textContent ?? ''), null, { timeout: 30_000 });
    } finally {
      await hub.close();
      await page.check('input[name=model-kind][value=builtin]');
    }
  }, 180_000);

  it('reads a model folder picked from this computer', async () => {
    await openTab(page, 'model');
    await page.check('input[name=model-kind][value=local]');
    await page.setInputFiles('#local-files', join(ROOT, 'public', 'models', 'evom-tiny'));
    await page.click('#check-plan');
    await page.waitForSelector('#plan.ok');
    expect(await page.textContent('#plan')).toMatch(/local files: 0\.22 M parameters, 4 layers/);
    await page.check('input[name=model-kind][value=builtin]');
  }, 60_000);

  it('every tab passes axe-core\'s WCAG 2 A/AA checks (labels, contrast, roles, keyboard)', async () => {
    await page.addScriptTag({ path: join(ROOT, 'node_modules', 'axe-core', 'axe.min.js') });
    const problems: string[] = [];
    for (const tab of ['model', 'problems', 'targets', 'evaluate', 'train', 'transfer', 'export', 'classroom']) {
      await openTab(page, tab);
      const r = await page.evaluate(() => (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: { id: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] }));
      for (const v of r.violations) problems.push(`${tab}: ${v.id} (${v.help}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
    }
    expect(problems).toEqual([]);
    // the tabs work from the keyboard
    await page.focus('#tab-model');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-problems');
    expect(await page.getAttribute('#tab-problems', 'aria-selected')).toBe('true');
  }, 120_000);

  it('prepares a bundled benchmark (served with the app, with its license)', async () => {
    await openTab(page, 'problems');
    await page.selectOption('#data-kind', 'bundled');
    expect(await page.textContent('#bundled')).toMatch(/NL4OPT \(245\) — Apache-2\.0/);
    await page.selectOption('#bundled', 'nl4opt.jsonl');
    await page.fill('#eval-fraction', '0.2');
    await page.click('#prepare');
    await page.waitForFunction(() => /bundled nl4opt/.test(document.querySelector('#split-summary')?.textContent ?? ''), null, { timeout: 60_000 });
    // 245 items (infeasible ones have the answer "infeasible"; items with no answer at all are left out)
    const m = /(\d+) for training, (\d+) held out for evaluation(?: \((\d+) without an answer left out\))?/.exec((await page.textContent('#split-summary'))!);
    expect(m).not.toBeNull();
    const dropped = Number(m![3] ?? 0);
    expect(Number(m![1]) + Number(m![2]) + dropped).toBe(245);
    expect(Number(m![2])).toBe(Math.round((245 - dropped) * 0.2));
    const preview = await page.$$eval('#preview tbody tr', (trs) => trs.map((tr) => tr.querySelectorAll('td')[1]!.textContent ?? ''));
    expect(preview.every((id) => /^nl4opt-\d+$/.test(id))).toBe(true);
    // the benchmark's errata are known, and used only when asked for
    expect(await page.textContent('#split-summary')).toMatch(/3 items have errata; scored with the benchmark's own answers/);
    await page.check('#errata');
    await page.click('#prepare');
    await page.waitForFunction(() => /3 answers corrected \(errata\)/.test(document.querySelector('#split-summary')?.textContent ?? ''), null, { timeout: 60_000 });
    await page.uncheck('#errata');
  }, 90_000);

  it('a crashed engine worker fails its job with a clear message and is replaced', async () => {
    await openTab(page, 'evaluate');
    await page.selectOption('#eval-adapter', '');
    await page.click('#evaluate');
    const engine = page.workers().find((w) => w.url().includes('engine-worker.browser'))!;
    expect(engine).toBeTruthy();
    await engine.evaluate(() => { setTimeout(() => { throw new Error('simulated crash'); }, 0); });
    await page.waitForSelector('#error', { timeout: 60_000 });
    expect(await errorText(page)).toMatch(/The engine worker stopped \(.*simulated crash/);
    await page.waitForFunction(() => !document.querySelector('#busy'));
    // the next job gets a new worker (the dataset is now nl4opt: evaluate a few held-out items would be slow, so check the GPU report)
    await openTab(page, 'model');
    await page.click('#check-plan');
    await page.waitForSelector('#plan.ok', { timeout: 60_000 });
    expect(await errorText(page)).toBe('');
  }, 120_000);

  it('reports a full storage quota clearly', async () => {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: url.replace(/\/$/, ''), quotaSize: 1 });
    try {
      await openTab(page, 'problems');
      await page.click('#prepare');
      await page.waitForSelector('#error', { timeout: 120_000 });
      expect(await errorText(page)).toMatch(/storage is full/i);
    } finally {
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: url.replace(/\/$/, '') });
    }
  }, 150_000);

  it('a browser without WebGPU gets a clear message with what to do', async () => {
    const b = await launchChromium(); // no WebGPU flags: headless Linux Chromium has no adapter
    try {
      const p = await b.context.newPage();
      await p.goto(url);
      await p.waitForSelector('#no-webgpu', { timeout: 60_000 });
      const msg = await p.textContent('#no-webgpu');
      expect(msg).toMatch(/WebGPU/);
      expect(msg).toMatch(/Chrome: update to version 113|--enable-unsafe-webgpu/);
      await openTab(p, 'problems'); // the rest of the app still works
      expect(await p.isVisible('#prepare')).toBe(true);
      await p.screenshot({ path: join(SHOTS, 'studio-no-webgpu.png'), fullPage: true });
    } finally {
      await b.close();
    }
    expect(pageErrors).toEqual([]);
  }, 120_000);
});

/** A Hub stand-in that can cut model.safetensors mid-body (download interrupted). */
async function startFakeHub(repos: Record<string, string>): Promise<{ base: string; requests: string[]; cutting: boolean; close: () => Promise<void> }> {
  const state = { base: '', requests: [] as string[], cutting: false, close: async () => {} };
  let cuts = 0;
  const server: Server = createServer((req, res) => {
    state.requests.push(`${req.method} ${req.url}${req.headers.range ? ` ${req.headers.range}` : ''}`);
    const m = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(decodeURIComponent((req.url ?? '').split('?')[0]!));
    const dir = m ? repos[m[1]!] : undefined;
    let body: Buffer;
    try { body = readFileSync(join(dir!, m![2]!)); } catch {
      res.writeHead(404, { 'x-error-code': 'EntryNotFound', 'access-control-allow-origin': '*', 'access-control-expose-headers': 'x-error-code' });
      res.end('not found');
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes', 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-range, content-length, x-error-code' };
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
    const start = range ? Number(range[1]) : 0;
    const part = body.subarray(start);
    res.writeHead(range ? 206 : 200, { ...headers, 'content-length': String(part.length), ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
    if (state.cutting && m![2] === 'model.safetensors') {
      // the network goes away mid-file: half of the first answer, then every connection drops
      if (cuts++ === 0) res.write(part.subarray(0, Math.floor(part.length / 2)));
      setTimeout(() => res.destroy(), 50);
      return;
    }
    res.end(part);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  state.close = () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); });
  return state;
}
