// EVOM Studio's Playground in headless Chromium (WebGPU on SwiftShader, the built-in model): the
// policy writes a model for a generated example with its tokens streaming into the code area, and the
// verdict is the verifier's for exactly that text (recomputed here in Node); hand edits are judged
// again (the generator's reference model is correct, a broken one a parse error, a model that only
// states the answer earns no answer reward); Stop keeps the partial text without an error; the
// prompt is the evaluation's. No sideways scroll at 800 px, the primary action above the fold at
// 1366×900, axe-core's WCAG 2 A/AA checks. Screenshots go to test-results/studio-playground-*.png.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateProblem, type Family } from '../src/problems/generator.ts';
import { solveGold } from '../src/problems/generated.ts';
import { createRunners, type Runners } from '../src/targets/runners.ts';
import { nodeAssets } from '../src/targets/assets-node.ts';
import { verifyInThread } from '../src/verifier/verify.ts';
import { OUTCOME_CLASSES, type Outcome } from '../src/verifier/outcome.ts';
import { defaultForm } from '../src/studio/state.ts';
import { formatNumber } from '../src/studio/format.ts';
import { OUTCOME_DEFINITIONS } from '../src/studio/labels.ts';
import { EXAMPLE_FAMILIES, FIRST_EXAMPLE_SEED, protocolText } from '../src/studio/playground.ts';
import { openStudio, type StudioSession } from './browser.ts';

const ROOT = join(import.meta.dirname, '..');
const SHOTS = 'test-results';
mkdirSync(SHOTS, { recursive: true });
const TARGET = 'highs';
const TOLERANCE = defaultForm().tolerance;

let studio: StudioSession;
let page: Page;
let runners: Runners;
/** the example on screen: its generator instance and its answer (solved here) */
let example: { id: string; question: string; answer: number; gold: string };
/** the policy's completion for it (greedy), as the page showed it when the write ended */
let written = '';

const text = async (p: Page, sel: string) => ((await p.locator(sel).count()) ? (await p.textContent(sel)) ?? '' : '');
const idle = (p: Page, timeout = 180_000) => p.waitForFunction(() => !document.querySelector('#busy'), null, { timeout });
const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `studio-playground-${name}.png`), fullPage: true });

async function axeViolations(p: Page, within?: string): Promise<string[]> {
  if (!(await p.evaluate(() => 'axe' in window))) await p.addScriptTag({ path: join(ROOT, 'node_modules', 'axe-core', 'axe.min.js') });
  const r = await p.evaluate((ctx) => (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: { id: string; help: string; nodes: { target: string[] }[] }[] }> } })
    .axe.run(ctx ?? document, { runOnly: ['wcag2a', 'wcag2aa'] }), within ?? null);
  return r.violations.map((v) => `${v.id} (${v.help}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

/** The verifier in Node, on the job the page sends for the example. */
const nodeVerdict = (completion: string): Promise<Outcome> =>
  verifyInThread({ completion, target: TARGET, answer: example.answer, question: example.question, config: { tolerance: TOLERANCE } }, runners);

/** Wait until the policy is writing: tokens in the code area, Stop on screen. */
const writing = (p: Page) => p.waitForFunction(() => (document.querySelector<HTMLTextAreaElement>('#pg-code')?.value.length ?? 0) > 0 && !!document.querySelector('#pg-stop')
  && /^Writing:/.test(document.querySelector('#pg-status')?.textContent ?? ''), null, { timeout: 180_000 });

/** The verdict on screen: class (badge), reward, objective cell, where the text came from, whether it is stale. */
const shown = async (p: Page) => ({
  cls: await text(p, '#pg-verdict h3 .badge'),
  reward: await text(p, '#pg-reward'),
  objective: await text(p, '#pg-objective'),
  source: await text(p, '#pg-verdict-source'),
  stale: (await p.locator('#pg-verdict-stale').count()) > 0,
});

/** The verdict on screen is the Node verifier's for `completion`. */
async function expectVerdictOf(p: Page, completion: string): Promise<Outcome> {
  const o = await nodeVerdict(completion);
  const v = await shown(p);
  expect(v.cls).toBe(o.class);
  expect(v.reward).toBe(formatNumber(o.reward));
  expect(v.objective).toBe(`${o.objective === null ? 'none' : formatNumber(o.objective)} (solver status ${o.status})`);
  expect(v.stale).toBe(false);
  expect(await text(p, '#pg-class-definition')).toBe(`${o.class}: ${OUTCOME_DEFINITIONS[o.class]}.`);
  return o;
}

/** Put `completion` in the code area and check it (Ctrl+Enter, or the button); waits for its verdict. */
async function checkEdit(p: Page, completion: string, how: 'keys' | 'button') {
  await p.fill('#pg-code', completion);
  if (await p.locator('#pg-verdict').count()) await p.waitForSelector('#pg-verdict-stale'); // marked until checked
  const before = await p.locator('#pg-status').textContent();
  if (how === 'keys') { await p.focus('#pg-code'); await p.keyboard.press('Control+Enter'); } else await p.click('#pg-check');
  await p.waitForFunction((b) => { const s = document.querySelector('#pg-status')?.textContent ?? ''; return s !== b && /^Verdict/.test(s); }, before, { timeout: 60_000 });
  await p.waitForSelector('#pg-verdict:not(.stale)');
}

beforeAll(async () => {
  runners = await createRunners(nodeAssets);
  studio = await openStudio({ width: 1366, height: 900 });
  page = studio.page;
  await page.click('#tab-playground');
  await page.waitForSelector('#panel[aria-labelledby="tab-playground"]');
  // the first example, drawn in the problems worker
  await page.waitForFunction(() => /gen-/.test(document.querySelector('#pg-example-note code')?.textContent ?? ''), null, { timeout: 60_000 });
  const id = await text(page, '#pg-example-note code');
  const m = /^gen-(\w+)-s(\d+)-d(\d)$/.exec(id)!;
  const p = generateProblem(m[1] as Family, Number(m[2]), Number(m[3]));
  example = { id, question: p.question, answer: await solveGold(p, runners), gold: p.gold[TARGET]! };
}, 300_000);

afterAll(async () => { await studio?.close(); });

describe('Studio playground', () => {
  it('opens right after Start, on a generated example of the built-in policy\'s families with its known answer', async () => {
    expect(await page.$$eval('[role=tab]', (bs) => bs.slice(0, 3).map((b) => b.textContent))).toEqual(['Start', 'Playground', 'Model']);
    expect(EXAMPLE_FAMILIES.some((f) => example.id.startsWith(`gen-${f}-`))).toBe(true);
    expect(example.id).toMatch(/-d2$/);
    expect(await page.inputValue('#pg-question')).toBe(example.question);
    expect(Number(await page.inputValue('#pg-answer'))).toBeCloseTo(example.answer, 9);
    expect(await page.inputValue('#pg-target')).toBe(TARGET);
    expect(await page.inputValue('#pg-temperature')).toBe('0');
    // the primary action above the fold at 1366×900
    const box = (await page.locator('#pg-write').boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(900);
    // the same first example on every screen: the first family, drawn with the fixed seed
    expect(example.id.startsWith(`gen-${EXAMPLE_FAMILIES[0]}-`)).toBe(true);
    expect(FIRST_EXAMPLE_SEED).toBeGreaterThan(0);
  });

  it('the policy writes token by token, and the verdict is the verifier\'s on exactly that text', async () => {
    // record the code area's length as it changes (a textarea's value is no DOM mutation: polled)
    await page.evaluate(() => {
      const w = window as unknown as { __lengths: number[]; __poll: number };
      w.__lengths = [];
      const box = document.querySelector<HTMLTextAreaElement>('#pg-code')!;
      w.__poll = window.setInterval(() => { const n = box.isConnected ? box.value.length : -1; if (w.__lengths.at(-1) !== n) w.__lengths.push(n); }, 1);
    });
    await page.click('#pg-write');
    // mid-write: the Stop button and some text
    await writing(page);
    await shot(page, 'writing-1366');
    await page.waitForSelector('#pg-verdict', { timeout: 180_000 });
    await idle(page);
    const lengths = await page.evaluate(() => { const w = window as unknown as { __lengths: number[]; __poll: number }; clearInterval(w.__poll); return w.__lengths; });
    written = await page.inputValue('#pg-code');
    expect(written.length).toBeGreaterThan(0);
    expect(lengths.at(-1)).toBe(written.length);
    const intermediate = new Set(lengths.filter((n) => n > 0 && n !== written.length));
    expect(intermediate.size).toBeGreaterThanOrEqual(2); // streamed, not pasted at the end
    expect(await text(page, '#error')).toBe('');
    const v = await shown(page);
    expect(OUTCOME_CLASSES).toContain(v.cls);
    expect(v.source).toBe('from the policy\'s completion');
    expect(await text(page, '#pg-verdict-how')).toMatch(/^Written by evom-tiny \(built-in\) at temperature 0 \(greedy\), for target highs\. \d+ tokens?\.$/);
    await expectVerdictOf(page, written);
    expect(await text(page, '#pg-status')).toMatch(/^Verdict on the policy's model: /);
    expect(await page.getAttribute('#pg-status', 'role')).toBe('status');
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'verdict-1366');
    expect(await axeViolations(page)).toEqual([]);
  }, 240_000);

  it('hand edits are judged again: the reference model is correct, a broken one a parse error, a stated answer earns no answer reward', async () => {
    // the generator's reference model for this problem and target: correct, reward 2
    const gold = protocolText('Knapsack: one binary variable per item.', example.gold);
    await checkEdit(page, gold, 'keys');
    const o = await expectVerdictOf(page, gold);
    expect(o.class).toBe('correct');
    expect(o.reward).toBe(2);
    expect(await text(page, '#pg-verdict-source')).toBe('from a hand edit of the code');
    expect(await text(page, '#pg-expected')).toBe(formatNumber(example.answer));
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'edited-1366');
    // the reference-model button writes the same model
    await page.click('#pg-gold');
    expect(await page.inputValue('#pg-code')).toContain(example.gold);
    // a syntax error
    const broken = '<think>Hm.</think>\n<code>\nMaximize\n obj: 3 x +\nSubject To oops\n</code>';
    await checkEdit(page, broken, 'button');
    expect((await expectVerdictOf(page, broken)).class).toBe('parse_error');
    expect(await page.locator('#pg-messages li.error').count()).toBeGreaterThan(0);
    // a "model" that only states the expected number: no answer reward, as in training
    const stated = `<think>The answer is ${example.answer}.</think>\n<code>\nMaximize\n obj: x\nBounds\n x <= ${example.answer}\nEnd\n</code>`;
    await checkEdit(page, stated, 'button');
    const s = await expectVerdictOf(page, stated);
    expect(s.class).not.toBe('correct');
    expect(s.reward_breakdown.answer).toBe(0);
    // without an expected answer the objective is shown, and no verdict on it
    await page.fill('#pg-answer', '');
    await checkEdit(page, gold, 'button');
    expect(await text(page, '#pg-not-judged')).toBe('not judged');
    expect(await text(page, '#pg-expected')).toBe('none given (not judged)');
    expect(await text(page, '#pg-objective')).toBe(`${formatNumber(example.answer)} (solver status optimal)`);
    expect(await text(page, '#pg-breakdown')).toMatch(/answer 0 ×/);
    await page.fill('#pg-answer', String(example.answer));
    expect(studio.pageErrors).toEqual([]);
  }, 120_000);

  it('Stop ends a write without an error and keeps the partial text', async () => {
    // Stop is pressed from inside the page as soon as the first text shows (no round trip to lose the race)
    const stopped = page.evaluate(() => new Promise<number>((resolve) => {
      const t = window.setInterval(() => {
        const stop = document.querySelector<HTMLButtonElement>('#pg-stop'), n = document.querySelector<HTMLTextAreaElement>('#pg-code')!.value.length;
        if (stop && n > 0 && /^Writing:/.test(document.querySelector('#pg-status')?.textContent ?? '')) { clearInterval(t); stop.click(); resolve(n); }
      }, 1);
    }));
    await page.click('#pg-write');
    expect(await stopped).toBeGreaterThan(0);
    await idle(page);
    expect(await text(page, '#error')).toBe('');
    expect(await text(page, '#pg-status')).toMatch(/^Stopped after \d+ tokens?: the partial text is kept/);
    const partial = await page.inputValue('#pg-code');
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(written.length);
    expect(written.startsWith(partial)).toBe(true); // greedy: the same text, cut where it stopped
    expect(await page.locator('#pg-verdict').count()).toBe(0);
    expect(await page.isEnabled('#pg-write')).toBe(true);
  }, 240_000);

  it('no sideways scroll at 800 px', async () => {
    await checkEdit(page, written, 'button');
    await page.setViewportSize({ width: 800, height: 900 });
    const m = await page.evaluate(() => ({ scroll: document.scrollingElement!.scrollWidth, client: document.documentElement.clientWidth, panel: document.querySelector('#panel')!.scrollWidth - document.querySelector('#panel')!.clientWidth }));
    expect(m.scroll).toBeLessThanOrEqual(m.client);
    expect(m.panel).toBeLessThanOrEqual(0); // nothing scrolls inside the panel either
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'verdict-800');
    expect(await axeViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 1366, height: 900 });
    expect(studio.pageErrors).toEqual([]);
  }, 60_000);
});
