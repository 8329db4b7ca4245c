// EVOM Studio for a first-time user, in headless Chromium: the Hub's answers in words (a missing
// model, a gated one and its token, an unreachable address), an unreachable benchmark URL, a JSONL
// line that is not JSON, a damaged share link, numbers and LaTeX as people read them, counts in the
// singular, the evaluation drill-down laid out like the verifier page, the rollout inspector's truth
// about groups with no learning signal, and a definition beside every metric and outcome class.
// Each screen passes axe-core's WCAG 2 A/AA checks. Screenshots go to test-results/studio-guide-*.png.
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../src/host/chromium.ts';
import { METRICS, OUTCOME_DEFINITIONS } from '../src/studio/labels.ts';
import type { StepRollouts } from '../src/host/run-store.ts';
import type { StoredEval } from '../src/studio/evaluate-panel.tsx';
import { createRunners } from '../src/targets/runners.ts';
import { nodeAssets } from '../src/targets/assets-node.ts';
import { verifyInThread } from '../src/verifier/verify.ts';
import { evaluateCompletions } from '../src/verifier/evaluate.ts';
import type { VerifierPool } from '../src/verifier/pool.ts';
import type { OutcomeClass } from '../src/verifier/outcome.ts';
import { callInPage, makeShareLink, openStudio, type StudioSession } from './browser.ts';

const ROOT = join(import.meta.dirname, '..');
const TINY = join(ROOT, 'public', 'models', 'evom-tiny');
const SHOTS = 'test-results';
mkdirSync(SHOTS, { recursive: true });
const HUB_TOKEN = 'hf_guide_token_0123456789';

let url: string;
let origin: string;
let studio: StudioSession;
let context: BrowserContext;
let page: Page;
let pageErrors: string[] = [];

// ---- a Hub stand-in: an open model, a gated one (needs HUB_TOKEN), a repository without config.json,
// and a benchmark file served without CORS headers ----
interface HubRequest { method: string; path: string; authorization: string | null }
const hubRequests: HubRequest[] = [];
let hub: Server;
let hubBase: string;
/** a port nothing listens on */
let closedPort: number;

function startHub(): Promise<void> {
  const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'authorization, range', 'access-control-expose-headers': 'x-error-code, content-length, content-range, etag' };
  hub = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '').split('?')[0]!);
    hubRequests.push({ method: req.method ?? '', path, authorization: req.headers.authorization ?? null });
    if (req.method === 'OPTIONS') { res.writeHead(204, cors); res.end(); return; }
    if (path === '/nocors/bench.jsonl') { res.writeHead(200, { 'content-type': 'application/jsonl' }); res.end('{"id":"a","question":"q","answer":1}\n'); return; }
    const m = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(path);
    const repo = m?.[1] ?? '', file = m?.[2] ?? '';
    const notFound = (code: string) => { res.writeHead(404, { ...cors, 'x-error-code': code }); res.end('not found'); };
    if (repo === 'gated/tiny') {
      const auth = req.headers.authorization;
      if (!auth) { res.writeHead(401, cors); res.end('unauthorized'); return; }
      if (auth !== `Bearer ${HUB_TOKEN}`) { res.writeHead(403, cors); res.end('forbidden'); return; }
    }
    if (repo === 'empty/repo') return notFound('EntryNotFound');
    if (repo !== 'gated/tiny' && repo !== 'open/tiny') return notFound('RepoNotFound');
    let body: Buffer;
    try { body = readFileSync(join(TINY, file)); } catch { return notFound('EntryNotFound'); }
    res.writeHead(200, { ...cors, 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
    res.end(body);
  });
  return new Promise((r) => hub.listen(0, '127.0.0.1', () => { hubBase = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`; r(); }));
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  return port;
}

// ---- page helpers (as in test/studio.test.ts) ----
async function openTab(p: Page, id: string) {
  await p.click(`#tab-${id}`);
  await p.waitForSelector(`#panel[aria-labelledby="tab-${id}"]`);
}
const idle = (p: Page, timeout = 120_000) => p.waitForFunction(() => !document.querySelector('#busy'), null, { timeout });
const text = async (p: Page, sel: string) => ((await p.locator(sel).count()) ? (await p.textContent(sel)) ?? '' : '');
const errorHead = (p: Page) => text(p, '#error-message');
const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `studio-guide-${name}.png`), fullPage: true });

/** axe-core's WCAG 2 A/AA violations on the page (or inside `within`), as readable lines. */
async function axeViolations(p: Page, within?: string): Promise<string[]> {
  if (!(await p.evaluate(() => 'axe' in window))) await p.addScriptTag({ path: join(ROOT, 'node_modules', 'axe-core', 'axe.min.js') });
  const r = await p.evaluate((ctx) => (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: { id: string; help: string; nodes: { target: string[] }[] }[] }> } })
    .axe.run(ctx ?? document, { runOnly: ['wcag2a', 'wcag2aa'] }), within ?? null);
  return r.violations.map((v) => `${v.id} (${v.help}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

const newPage = (ctx: BrowserContext): Promise<Page> => studio.newPage(ctx);

/** Model tab: a Hub model at the stand-in, then "Check the memory plan"; waits for the plan or an error. */
async function checkHubModel(p: Page, id: string, base: string) {
  await openTab(p, 'model');
  if (await p.locator('#error').count()) await p.click('#error > button');
  await p.check('input[name=model-kind][value=hub]');
  await p.fill('#hub-id', id);
  await p.fill('#hub-url', base);
  await p.click('#check-plan');
  await p.waitForSelector('#error, #plan', { timeout: 60_000 });
  await idle(p);
}

beforeAll(async () => {
  await startHub();
  closedPort = await freePort();
  studio = await openStudio({ width: 1280, height: 800 });
  ({ url, context, page, pageErrors } = studio);
  origin = url.replace(/\/$/, '');
}, 300_000);

afterAll(async () => {
  await studio?.close();
  await new Promise((r) => hub?.close(r));
});

describe('Studio guide: the Hub in words', () => {
  it('a missing model says "no such model", with its id; the URL is in the details', async () => {
    await checkHubModel(page, 'nobody/no-such-model', hubBase);
    expect(await errorHead(page)).toBe('no such model on the Hub (404): check the id "nobody/no-such-model"');
    expect(await text(page, '#error-details')).toContain(`${hubBase}/nobody/no-such-model/resolve/main/config.json`);
    expect(await page.locator('#error details').getAttribute('open')).toBeNull(); // folded
    // a repository without config.json (the Hub's EntryNotFound) reads the same
    await checkHubModel(page, 'empty/repo', hubBase);
    expect(await errorHead(page)).toBe('no such model on the Hub (404): check the id "empty/repo"');
  }, 120_000);

  it('a gated model asks for a token from huggingface.co/settings/tokens in the token field, which then goes to the Hub only', async () => {
    await checkHubModel(page, 'gated/tiny', hubBase);
    expect(await errorHead(page)).toBe('the model "gated/tiny" is gated or private (401): paste a token from https://huggingface.co/settings/tokens in the Hub token field (Model tab)');
    expect(await text(page, '#error-details')).toContain(`${hubBase}/gated/tiny/resolve/main/config.json`);
    expect(await page.isVisible('#hub-token')).toBe(true);
    expect(await page.getAttribute('#hub-token', 'type')).toBe('password');
    await shot(page, 'hub-gated');
    expect(await axeViolations(page)).toEqual([]);
    // a wrong token: the Hub refused it
    await page.fill('#hub-token', 'hf_wrong');
    await page.click('#check-plan');
    await page.waitForFunction(() => /refused the token/.test(document.querySelector('#error-message')?.textContent ?? ''), null, { timeout: 60_000 });
    expect(await errorHead(page)).toBe('the model "gated/tiny" is gated or private (403) and the Hub refused the token: check that it has read access (https://huggingface.co/settings/tokens)');
    // the right one: sent as a bearer token, and the plan is read
    await page.fill('#hub-token', HUB_TOKEN);
    const seen = hubRequests.length;
    await page.click('#check-plan');
    await page.waitForSelector('#plan.ok', { timeout: 60_000 });
    expect(await text(page, '#error')).toBe('');
    const gets = hubRequests.slice(seen).filter((r) => r.method === 'GET' && r.path === '/gated/tiny/resolve/main/config.json');
    expect(gets.map((r) => r.authorization)).toEqual([`Bearer ${HUB_TOKEN}`]);
    // kept under its own key: not in the saved form, nor in a share link
    expect(await page.evaluate(() => localStorage.getItem('evom-studio-hub-token'))).toBe(HUB_TOKEN);
    expect(await page.evaluate(() => localStorage.getItem('evom-studio-form'))).not.toContain(HUB_TOKEN);
    await page.reload();
    await openTab(page, 'model');
    expect(await page.inputValue('#hub-token')).toBe(HUB_TOKEN);
    await openTab(page, 'classroom');
    const link = await makeShareLink(page);
    expect(link).toContain('#run=');
    expect(link).not.toContain(HUB_TOKEN);
    expect(Buffer.from(link.split('#run=')[1]!, 'base64url').toString()).not.toContain(HUB_TOKEN);
  }, 180_000);

  it('an unreachable Hub address is named, with the CORS hint', async () => {
    const dead = `http://127.0.0.1:${closedPort}`;
    await checkHubModel(page, 'open/tiny', dead);
    expect(await errorHead(page)).toBe(`Could not reach the Hub at ${dead}: is the address right, and does the server allow this page's origin (${origin}) through CORS (Access-Control-Allow-Origin)?`);
    expect(await text(page, '#error-details')).toMatch(/Failed to fetch/);
    await page.click('#error details summary');
    await shot(page, 'hub-unreachable');
    expect(await axeViolations(page)).toEqual([]);
    await page.fill('#hub-token', '');
    await page.check('input[name=model-kind][value=builtin]');
  }, 120_000);
});

describe('Studio guide: problems', () => {
  const guide = [
    { id: 'lp-1', question: 'Each unit of $X$ costs \\$50 and each unit of $Y$ costs \\$30; $X + Y \\leq 10$ and $\\frac{X}{2} \\geq 1$. Minimize the cost.', answer: 133.33333333333331 },
    { id: 'lp-2', question: 'A plant makes $3 \\times 4$ crates. Maximize the profit.', answer: 1234567 },
    { id: 'lp-3', question: 'The budget is $77 thousand. Maximize the payoff.', answer: 12 },
    { id: 'lp-4', question: 'Minimize $\\sum_i x_i$ subject to $x_1 \\geq 2$.', answer: 'infeasible' },
  ];
  const jsonl = (rows: unknown[]) => Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const upload = async (name: string, buffer: Buffer) => {
    await page.setInputFiles('#data-file', { name, mimeType: 'application/jsonl', buffer });
    await page.click('#prepare');
    await idle(page);
  };

  it('shows problem text without LaTeX and answers as people read them', async () => {
    await openTab(page, 'problems');
    await page.selectOption('#data-kind', 'upload');
    await upload('guide.jsonl', jsonl(guide));
    expect(await text(page, '#error')).toBe('');
    expect(await text(page, '#split-summary')).toMatch(/^uploaded guide\.jsonl: 3 for training, 1 held out for evaluation\.$/);
    const rows = Object.fromEntries(await page.$$eval('#preview tbody tr', (trs) => trs.map((tr) => {
      const td = Array.from(tr.querySelectorAll('td'), (c) => c.textContent ?? '');
      return [td[1]!, [td[2]!, td[3]!]];
    })));
    expect(rows['lp-1']).toEqual(['Each unit of X costs $50 and each unit of Y costs $30; X + Y ≤ 10 and X/2 ≥ 1. Minimize the cost.', '133.333']);
    expect(rows['lp-2']).toEqual(['A plant makes 3 × 4 crates. Maximize the profit.', '1,234,567']);
    expect(rows['lp-3']).toEqual(['The budget is $77 thousand. Maximize the payoff.', '12']);
    expect(rows['lp-4']).toEqual(['Minimize Σ_i x_i subject to x₁ ≥ 2.', 'infeasible']);
    await shot(page, 'problems-preview');
    // one problem held out: said in the singular
    await openTab(page, 'evaluate');
    expect(await text(page, '#evaluate')).toBe('Evaluate on 1 held-out problem');
  }, 120_000);

  it('a line that is not JSON is named once, with its column; the stale preview goes', async () => {
    await openTab(page, 'problems');
    await upload('bad.jsonl', Buffer.from('{"id":"a","question":"q","answer":1}\n{"id":"b" "question":"q","answer":1}\n'));
    expect(await errorHead(page)).toBe(`bad.jsonl, line 2: not valid JSON (Expected ',' or '}' after property value at column 11 of that line)`);
    expect(await text(page, '#error')).not.toMatch(/line 1 column/);
    expect(await page.locator('#preview').count()).toBe(0);
    expect(await text(page, '#preview-stale')).toBe('bad.jsonl was not loaded. The problems prepared before it are still the ones used for training and evaluation:');
    expect(await text(page, '#split-summary')).toMatch(/^uploaded guide\.jsonl:/);
    await shot(page, 'problems-bad-line');
    expect(await axeViolations(page)).toEqual([]);
    // one problem is not enough, and is said in the singular
    await upload('one.jsonl', jsonl([guide[2]]));
    expect(await errorHead(page)).toBe('only 1 problem with an answer: at least 2 are needed for a train/evaluation split');
    // a good file brings the preview back
    await upload('guide.jsonl', jsonl(guide));
    expect(await text(page, '#error')).toBe('');
    expect(await page.locator('#preview tbody tr').count()).toBe(4);
    expect(await page.locator('#preview-stale').count()).toBe(0);
  }, 120_000);

  it('an unreachable benchmark URL, or one whose server refuses this origin, is named with the CORS hint', async () => {
    await page.selectOption('#data-kind', 'url');
    for (const bench of [`http://127.0.0.1:${closedPort}/bench.jsonl`, `${hubBase}/nocors/bench.jsonl`]) {
      await page.fill('#data-url', bench);
      await page.click('#prepare');
      await page.waitForSelector('#error', { timeout: 60_000 });
      await idle(page);
      expect(await errorHead(page)).toBe(`Could not reach the benchmark file at ${bench}: is the address right, and does the server allow this page's origin (${origin}) through CORS (Access-Control-Allow-Origin)?`);
      expect(await text(page, '#error-details')).toMatch(/Failed to fetch/);
    }
    expect(hubRequests.some((r) => r.path === '/nocors/bench.jsonl')).toBe(true); // it answered; the browser withheld the answer
    await page.selectOption('#data-kind', 'upload');
  }, 120_000);
});

describe('Studio guide: a damaged share link', () => {
  it('says so once, and Dismiss also clears the address', async () => {
    await openTab(page, 'problems');
    await page.selectOption('#data-kind', 'generator');
    await openTab(page, 'classroom');
    const link = await makeShareLink(page);
    for (const broken of [link.slice(0, link.length - 30), `${url}#run=%%%not-base64`]) {
      const other = await newPage(context);
      try {
        await other.goto(broken);
        await other.waitForSelector('#shared-link-error');
        expect(await text(other, '#shared-link-error strong')).toBe('This shared link is incomplete or damaged: ask for it again.');
        expect(await text(other, '#shared-link-error')).not.toMatch(/shared link: shared link/);
        expect(await other.locator('#shared-notice').count()).toBe(0);
        if (broken === link.slice(0, link.length - 30)) {
          await shot(other, 'shared-link-damaged');
          expect(await axeViolations(other)).toEqual([]);
        }
        await other.click('#shared-link-error button');
        expect(await other.locator('#shared-link-error').count()).toBe(0);
        expect(await other.evaluate(() => location.hash)).toBe('');
        await other.reload();
        await other.waitForSelector('#tab-model');
        expect(await other.locator('#shared-link-error').count()).toBe(0);
      } finally {
        await other.close();
      }
    }
  }, 120_000);
});

describe('Studio guide: the evaluation drill-down and the definitions', () => {
  const CORRECT = '<think>3 per x, 2 per y, at most 4 in all.</think>\n<code>\nMaximize\n obj: 3 x + 2 y\nSubject To\n c1: x + y <= 4\nEnd\n</code>';
  const WRONG = '<think>A third of 400.</think>\n<code>\nMaximize\n obj: x\nSubject To\n guide_row: 3 x <= 400\nEnd\n</code>';
  const BROKEN = '<think>Hm.</think>\n<code>\nMaximize\n obj: 3 x +\nSubject To oops\n</code>';
  const NO_CODE = 'The answer is 12.';

  /** 24 items, their outcomes scored in Node by the real verifier (HiGHS), as the Studio stores an evaluation. */
  async function storedEval(): Promise<StoredEval> {
    const runners = await createRunners(nodeAssets);
    const pool = { verify: (job: Parameters<typeof verifyInThread>[0]) => verifyInThread(job, runners) } as unknown as VerifierPool;
    const completions = [CORRECT, BROKEN, NO_CODE, WRONG];
    const items = Array.from({ length: 24 }, (_, i) => ({ id: `item-${String(i + 1).padStart(2, '0')}`, question: 'Maximize $3x + 2y$ with $x + y \\leq 4$ (each costs \\$1).', answer: i === 23 ? 1250 : 12, extra: {} }));
    const records = items.map((it, i) => ({ id: it.id, completion: completions[i % 4]! }));
    const { results, summary } = await evaluateCompletions(items, records, pool, { target: 'highs', tolerance: 'rel5pct' });
    return {
      label: 'evom-tiny (base) on highs', target: 'highs', adapterRun: null, created: new Date().toISOString(),
      report: { summary, items: results.map((r, i) => ({ id: r.id, question: items[i]!.question, completion: records[i]!.completion, result: r })), generation: { tokens: 0, adapter: 'none', load_ms: 0, generate_ms: 0 } },
    };
  }

  it('opens in view, with the outcome badge, its definition, messages, the code once and the log folded', async () => {
    const stored = await storedEval();
    expect(stored.report.items.map((i) => i.result.outcome?.class).slice(0, 4)).toEqual(['correct', 'parse_error', 'format_error', 'wrong_answer']);
    await page.evaluate(async (json) => {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('evom-studio', { create: true });
      const w = await (await dir.getFileHandle('last-eval.json', { create: true })).createWritable();
      await w.write(json);
      await w.close();
    }, JSON.stringify(stored));
    await page.setViewportSize({ width: 1280, height: 600 });
    await page.reload();
    await openTab(page, 'evaluate');
    await page.waitForSelector('#eval-items tbody tr:nth-child(24)');
    await page.evaluate(() => window.scrollTo(0, 0));
    // the items table: outcome classes with their definitions, numbers as people read them
    const last = await page.$$eval('#eval-items tbody tr:last-child td', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(last).toEqual(['item-24', 'wrong_answer', '1', '133.333', '1,250']);
    expect(await page.getAttribute('#eval-items tbody tr:last-child td:nth-child(2) abbr', 'title')).toBe(OUTCOME_DEFINITIONS.wrong_answer);
    await page.click('#eval-items tbody tr:last-child button');
    await page.waitForSelector('#drill');
    // scrolled into view: the drill-down starts in the upper half of the window (it opened far below it)
    await page.waitForFunction(() => { const r = document.querySelector('#drill')!.getBoundingClientRect(); return r.top > -2 && r.top < innerHeight / 2; }, null, { timeout: 5_000 });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('drill');
    expect(await text(page, '#drill .badge.wrong_answer')).toBe('wrong_answer');
    expect(await text(page, '#drill-class-definition')).toBe(`wrong_answer: ${OUTCOME_DEFINITIONS.wrong_answer}.`);
    const grid = await page.$$eval('#drill dl.grid dd', (dds) => dds.map((d) => d.textContent ?? ''));
    expect(grid[0]).toBe('1,250');
    expect(grid[1]).toBe('133.333 (solver status optimal)');
    expect(await text(page, '#drill .question')).toBe('Maximize 3x + 2y with x + y ≤ 4 (each costs $1).');
    const drill = await text(page, '#drill');
    expect(drill.split('guide_row: 3 x <= 400').length - 1).toBe(1); // the model's code, once
    expect(await text(page, '#drill-model')).toContain('guide_row: 3 x <= 400');
    expect(await page.$$eval('#drill-messages li', (lis) => lis.map((l) => l.textContent))).toEqual(['none']);
    expect(await page.locator('#drill-log').getAttribute('open')).toBeNull();
    expect(await text(page, '#drill-log summary')).toMatch(/^Solver log \(\d+ lines?\)$/);
    await shot(page, 'evaluate-drill');
    // a parse error lists its messages, as the verifier page does
    await page.click('#eval-items tbody tr:nth-child(2) button');
    await page.waitForFunction(() => /item-02/.test(document.querySelector('#drill-h')?.textContent ?? ''));
    expect(await text(page, '#drill .badge')).toBe('parse_error');
    expect(await page.locator('#drill-messages li.error').count()).toBeGreaterThan(0);
    // a completion with no code block: shown once, with no model
    await page.click('#eval-items tbody tr:nth-child(3) button');
    await page.waitForFunction(() => /item-03/.test(document.querySelector('#drill-h')?.textContent ?? ''));
    expect(await text(page, '#drill .badge')).toBe('format_error');
    expect(await text(page, '#drill-completion')).toBe('The answer is 12.');
    expect(await text(page, '#drill')).toContain('Extracted model: none');
    await page.click('#eval-items tbody tr:nth-child(2) button');
    // every column of the summary has its definition: in the header's title and in the list under the table
    expect(await page.getAttribute('table.summary thead abbr:text-is("Executed")', 'title')).toBe(METRICS.execution_rate.definition);
    expect(await page.getAttribute('table.summary thead abbr:text-is("no model")', 'title')).toBe(OUTCOME_DEFINITIONS.no_model);
    await page.click('#summary-glossary summary');
    const glossary = await page.$$eval('#summary-glossary dd', (dds) => dds.map((d) => d.textContent ?? ''));
    expect(glossary).toEqual(expect.arrayContaining([METRICS.accuracy.definition, METRICS.mean_reward.definition, OUTCOME_DEFINITIONS.no_model, OUTCOME_DEFINITIONS.not_evaluated]));
    expect(glossary).toHaveLength(5 + 11);
    expect(await page.isVisible('#summary-glossary dd >> nth=0')).toBe(true);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'evaluate-definitions');
    expect(await axeViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 800 });
  }, 180_000);

  it('each training chart says what its metrics mean, in visible text', async () => {
    await openTab(page, 'train');
    expect(await text(page, '#chart-kl .chart-note')).toBe(`KL: ${METRICS.kl.definition}.`);
    expect(await text(page, '#chart-entropy .chart-note')).toBe(`Entropy: ${METRICS.entropy.definition}.`);
    expect(await text(page, '#chart-rates .chart-note')).toBe(`Accuracy: ${METRICS.accuracy.definition}. Format (format rate): ${METRICS.format_rate.definition}. Executed (execution rate): ${METRICS.execution_rate.definition}.`);
    expect(await page.isVisible('#chart-kl .chart-note')).toBe(true);
    expect(await page.getAttribute('#metrics thead abbr:text-is("KL")', 'title')).toBe(METRICS.kl.definition);
    await shot(page, 'train-definitions');
    expect(await axeViolations(page)).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});

describe('Studio guide: the rollout inspector', () => {
  const completion = (cls: OutcomeClass, reward: number, advantage: number, objective: number | null) => ({ text: `<think>…</think><code>${cls}</code>`, tokens: 40, reward, advantage, class: cls, objective });
  const rollouts: StepRollouts[] = [{
    step: 1,
    groups: [
      { id: 'knapsack-1', question: 'Pick items of weight $3$ and $4$ within \\$7.', answer: 12, kept: true, completions: [completion('correct', 2, 0, 12), completion('correct', 2, 0, 12), completion('correct', 2, 0, 12), completion('correct', 2, 0, 12)] },
      { id: 'knapsack-2', question: 'q', answer: 133.33333333333331, kept: true, completions: [completion('wrong_answer', 1, 0, 100), completion('parse_error', 1, 0, null), completion('wrong_answer', 1, 0, 90.5)] },
      { id: 'knapsack-3', question: 'q', answer: 7, kept: true, completions: [completion('correct', 2, 0.866, 7), completion('wrong_answer', 1, -0.866, 6.499999999)] },
      { id: 'knapsack-4', question: 'q', answer: 7, kept: false, completions: [completion('correct', 2, 0, 7), completion('correct', 2, 0, 7)] },
    ],
  }];
  let dev: Awaited<ReturnType<typeof startDevServer>>;
  let p: Page;
  beforeAll(async () => {
    dev = await startDevServer();
    p = await newPage(context);
    await p.goto(`${dev.base}/engine-host.html`);
    await callInPage(p, '/test/studio-guide-page.tsx', 'renderInspector', rollouts);
    await p.waitForSelector('#rollout-table');
  }, 180_000);
  afterAll(async () => { await p?.close(); await dev?.server.close(); });

  it('never says "Used for the update" of a group whose rewards are all equal', async () => {
    const fate = async (group: number) => {
      await p.selectOption('#inspect-group', String(group));
      return text(p, '#group-fate');
    };
    expect(await fate(0)).toBe('Expected answer 12. All 4 correct: no learning signal from this group (every advantage is 0).');
    expect(await text(p, '#inspector .question')).toBe('Pick items of weight 3 and 4 within $7.');
    await shot(p, 'inspector-no-signal');
    expect(await fate(1)).toBe('Expected answer 133.333. All 3 wrong: no learning signal from this group (every advantage is 0).');
    expect(await fate(3)).toBe('Expected answer 7. Dropped by dynamic sampling: all 2 correct: no learning signal from this group (every advantage is 0).');
    expect(await fate(2)).toMatch(/^Expected answer 7\. Used for the update/);
    const rows = await p.$$eval('#rollout-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
    expect(rows.map((r) => r.slice(1, 5))).toEqual([['correct', '2', '0.866', '7'], ['wrong_answer', '1', '-0.866', '6.5']]);
    expect(await p.getAttribute('#rollout-table thead abbr:text-is("Advantage")', 'title')).toBe(METRICS.advantage.definition);
    expect(await p.$$eval('#inspector-glossary dd', (dds) => dds.map((d) => d.textContent))).toEqual([
      METRICS.reward.definition, METRICS.advantage.definition, METRICS.objective.definition, METRICS.tokens.definition, OUTCOME_DEFINITIONS.correct, OUTCOME_DEFINITIONS.wrong_answer,
    ]);
    expect(await p.$$eval('#inspect-group option', (os) => os.map((o) => o.textContent))).toEqual(['knapsack-1 (no signal)', 'knapsack-2 (no signal)', 'knapsack-3', 'knapsack-4 (dropped: no signal)']);
    await p.click('#inspector-glossary summary');
    await shot(p, 'inspector-signal');
    expect(await axeViolations(p, '#inspector')).toEqual([]);
  }, 60_000);
});
