// EVOM Studio's Start tab for a first-time user, in headless Chromium (WebGPU on SwiftShader): the
// first screen on a fresh profile; the class demo end to end at a tiny size (?demo=8,1), its numbers
// checked against the run it saved and its problems against the command line's; Cancel; the transfer
// trial in one click; a disabled action's link to what it needs; a share link's checklist in a
// student's browser; no sideways page scroll at 800×900, the header across the window, the primary
// actions above the fold at 1366×900; presentation mode. axe-core's WCAG 2 A/AA checks on the Start
// screen, the demo card and the checklist. Screenshots go to test-results/studio-start-*.png.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunData, RunRecord } from '../src/host/run-store.ts';
import type { StoredEval } from '../src/studio/evaluate-panel.tsx';
import { accuracyOf, formatAccuracy, formatDifference, pairedDifference, pairItems, tallyByItem } from '../src/verifier/stats.ts';
import { DEMO, demoEvalDataSeed, demoSettings, demoTrainDataSeed } from '../src/rl/demo.ts';
import { generateBenchmark } from '../src/problems/generated.ts';
import { createRunners } from '../src/targets/runners.ts';
import { nodeAssets } from '../src/targets/assets-node.ts';
import { formatNumber } from '../src/studio/format.ts';
import { launchChromium, makeShareLink, openStudio, type StudioSession } from './browser.ts';

const ROOT = join(import.meta.dirname, '..');
const SHOTS = 'test-results';
mkdirSync(SHOTS, { recursive: true });
const TABS = ['start', 'playground', 'model', 'problems', 'targets', 'evaluate', 'train', 'transfer', 'export', 'classroom'] as const;
/** each tab's primary action: above the fold at 1366×900 */
const PRIMARY: Record<typeof TABS[number], string> = {
  start: '#start-demo', playground: '#pg-write', model: '#check-plan', problems: '#prepare', targets: '#target', evaluate: '#evaluate',
  train: '#start', transfer: '#transfer-run', export: '#export-all', classroom: '#make-link',
};

let url: string;
let studio: StudioSession;
let context: BrowserContext;
let page: Page;
let pageErrors: string[] = [];
/** the run the class demo trained (its evaluations fill the Evaluate tab's wide tables in the layout check) */
let demoRunId = '';

async function openTab(p: Page, id: string) {
  await p.click(`#tab-${id}`);
  await p.waitForSelector(`#panel[aria-labelledby="tab-${id}"]`);
}
const idle = (p: Page, timeout = 600_000) => p.waitForFunction(() => !document.querySelector('#busy'), null, { timeout });
const text = async (p: Page, sel: string) => ((await p.locator(sel).count()) ? (await p.textContent(sel)) ?? '' : '');
const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `studio-start-${name}.png`), fullPage: true });
const selectedTab = (p: Page) => p.$eval('[role=tab][aria-selected=true]', (b) => b.id);

async function axeViolations(p: Page, within?: string): Promise<string[]> {
  if (!(await p.evaluate(() => 'axe' in window))) await p.addScriptTag({ path: join(ROOT, 'node_modules', 'axe-core', 'axe.min.js') });
  const r = await p.evaluate((ctx) => (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: { id: string; help: string; nodes: { target: string[] }[] }[] }> } })
    .axe.run(ctx ?? document, { runOnly: ['wcag2a', 'wcag2aa'] }), within ?? null);
  return r.violations.map((v) => `${v.id} (${v.help}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

const newPage = (ctx: BrowserContext): Promise<Page> => studio.newPage(ctx);

/** A run's file from the page's OPFS run store (evom-runs/<id>/<name>), as text or parsed. */
const runText = (p: Page, id: string, name: string): Promise<string> => p.evaluate(async ([id, name]) => {
  const runs = await (await navigator.storage.getDirectory()).getDirectoryHandle('evom-runs');
  const f = await (await (await runs.getDirectoryHandle(id!)).getFileHandle(name!)).getFile();
  return f.text();
}, [id, name]);
const runFile = async <T>(p: Page, id: string, name: string): Promise<T> => JSON.parse(await runText(p, id, name)) as T;
const runIds = (p: Page): Promise<string[]> => p.evaluate(async () => {
  const root = await navigator.storage.getDirectory();
  let runs: FileSystemDirectoryHandle;
  try { runs = await root.getDirectoryHandle('evom-runs'); } catch { return []; }
  const ids: string[] = [];
  for await (const [name] of (runs as unknown as { entries(): AsyncIterable<[string, unknown]> }).entries()) ids.push(name);
  return ids.sort();
});

/** The page does not scroll sideways, and the header spans the window. */
async function layoutProblems(p: Page, where: string): Promise<string[]> {
  const m = await p.evaluate(() => ({
    scroll: document.scrollingElement!.scrollWidth, client: document.documentElement.clientWidth, inner: innerWidth,
    header: document.querySelector('header.top')!.getBoundingClientRect().width,
  }));
  const out: string[] = [];
  if (m.scroll > m.client) out.push(`${where}: the page scrolls sideways (scrollWidth ${m.scroll} > ${m.client})`);
  if (Math.abs(m.header - m.client) > 0.5) out.push(`${where}: header ${m.header} px wide, window ${m.client} px`);
  return out;
}

beforeAll(async () => {
  studio = await openStudio({ width: 1366, height: 900 });
  ({ url, context, page, pageErrors } = studio);
}, 300_000);

afterAll(async () => {
  await studio?.close();
});

describe('Studio start: the first screen', () => {
  it('opens on Start on a fresh profile: what it is, two big buttons, what to do next', async () => {
    expect(await page.evaluate(() => localStorage.getItem('evom-studio-tab'))).toBe('start');
    expect(await selectedTab(page)).toBe('tab-start');
    expect(await page.$eval('[role=tab]', (b) => b.id)).toBe('tab-start'); // placed first
    const intro = await text(page, '.intro');
    expect(intro).toMatch(/writes an optimization model/);
    expect(intro).toMatch(/solver running in this browser/);
    expect(intro).toMatch(/reward/);
    expect(await page.isEnabled('#start-demo')).toBe(true);
    expect(await text(page, '#start-demo')).toBe('Run the class demo');
    expect(await text(page, '#start-transfer')).toBe('Try a transfer trial');
    // quick is the default, the full size is the command line's, each with its time
    expect(await page.isChecked('input[name=demo-size][value=quick]')).toBe(true);
    const sizes = await text(page, '.demo-size');
    expect(sizes).toMatch(/40 held-out problems, 4 steps \(about 2 minutes/);
    expect(sizes).toMatch(new RegExp(`${DEMO.evalCount} held-out problems, ${demoSettings(1, 10).steps} steps \\(about 6 minutes`));
    expect(await text(page, '.start-action code')).toBe('npx evom demo --eval-count 40 --steps 4');
    await page.check('input[name=demo-size][value=full]');
    expect(await text(page, '.start-action code')).toBe('npx evom demo');
    await page.check('input[name=demo-size][value=quick]');
    // "what to do next" links to every other tab
    const next = await page.$$eval('ol.next button', (bs) => bs.map((b) => b.textContent));
    expect(next).toEqual(['Playground', 'Model', 'Problems', 'Targets', 'Evaluate', 'Train', 'Solver transfer', 'Export', 'Classroom']);
    await page.click('ol.next button:text-is("Problems")');
    expect(await selectedTab(page)).toBe('tab-problems');
    // a tab the user chose is remembered; with none chosen (a first visit) Start comes back
    await page.reload();
    await page.waitForSelector('#panel');
    expect(await selectedTab(page)).toBe('tab-problems');
    await page.evaluate(() => localStorage.removeItem('evom-studio-tab'));
    await page.reload();
    await page.waitForSelector('#panel');
    expect(await selectedTab(page)).toBe('tab-start');
    await shot(page, 'first-1366');
    expect(await axeViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 800, height: 900 });
    await shot(page, 'first-800');
    expect(await layoutProblems(page, 'start at 800')).toEqual([]);
    await page.setViewportSize({ width: 1366, height: 900 });
  }, 120_000);

  it('presentation mode: larger type, a class on <body>, remembered', async () => {
    const size = () => page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('.intro p')!).fontSize));
    const before = await size();
    expect(await page.getAttribute('#presentation-toggle', 'aria-pressed')).toBe('false');
    await page.click('#presentation-toggle');
    // the class is set by an effect after the render: wait for it
    await page.waitForFunction(() => document.body.classList.contains('presentation'), null, { timeout: 10_000 });
    expect(await page.getAttribute('#presentation-toggle', 'aria-pressed')).toBe('true');
    expect(await size()).toBeGreaterThan(before * 1.2);
    await shot(page, 'presentation-1366');
    expect(await layoutProblems(page, 'presentation at 1366')).toEqual([]);
    await page.reload();
    await page.waitForSelector('#presentation-toggle');
    expect(await page.evaluate(() => document.body.classList.contains('presentation'))).toBe(true);
    expect(await page.getAttribute('#presentation-toggle', 'aria-pressed')).toBe('true');
    await page.click('#presentation-toggle');
    await page.waitForFunction(() => !document.body.classList.contains('presentation'), null, { timeout: 10_000 });
    expect(await page.evaluate(() => localStorage.getItem('evom-studio-presentation'))).toBeNull();
    expect(await size()).toBeCloseTo(before, 1);
  }, 60_000);

  it('a disabled action links to the tab that provides what it needs', async () => {
    await openTab(page, 'export');
    expect(await page.isDisabled('#export-all')).toBe(true); // no runs yet
    expect(await text(page, '#export-needs-run')).toBe('No runs yet: train one (or run the class demo on the Start tab) → Train');
    await page.click('#export-needs-run');
    expect(await selectedTab(page)).toBe('tab-train');
    // no problems prepared yet: Start training is disabled too, and the keyboard lands on what it needs
    expect(await page.isDisabled('#start')).toBe(true);
    await page.waitForFunction(() => document.activeElement?.id === 'train-needs-problems');
    expect(await text(page, '#train-needs-problems')).toBe('Prepare problems first → Problems');
    await page.click('#train-needs-problems');
    expect(await selectedTab(page)).toBe('tab-problems');
    await page.waitForFunction(() => document.activeElement?.id === 'prepare');
    await openTab(page, 'start');
  }, 30_000);
});

describe('Studio start: the class demo', () => {
  it('runs end to end at a tiny size: progress through every stage, then the before/after card with intervals and n', async () => {
    await page.goto(`${url}?demo=8,1`);
    await page.waitForFunction(() => /GPU: /.test(document.querySelector('#gpu-status')?.textContent ?? ''), null, { timeout: 60_000 });
    expect(await page.isChecked('input[name=demo-size][value=custom]')).toBe(true);
    expect(await text(page, '.start-action code')).toBe('npx evom demo --eval-count 8 --steps 1');
    const runsBefore = await runIds(page);
    await page.click('#start-demo');
    // the progress bar through the stages, with Cancel
    const seen = async (re: RegExp) => {
      await page.waitForFunction((src) => new RegExp(src).test(document.querySelector('#demo-progress .progress-label')?.textContent ?? ''), re.source, { timeout: 300_000 });
      expect(await page.locator('#demo-progress .progress-cancel').count()).toBe(1);
    };
    await seen(/before training/);
    expect(await text(page, '#demo-progress .progress-count')).toMatch(/^\d of 8 problems/);
    await seen(/^Training: /);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'demo-progress-1366');
    await page.waitForSelector('#demo-card', { timeout: 600_000 });
    await idle(page);
    expect(await text(page, '#error')).toBe('');
    // the run is in the run store like any Train run, with both evaluations
    const added = (await runIds(page)).filter((id) => !runsBefore.includes(id));
    expect(added).toHaveLength(1);
    const id = added[0]!;
    demoRunId = id;
    expect(await text(page, '#demo-run-id')).toBe(id);
    const run = await runFile<RunRecord>(page, id, 'run.json');
    expect(run.settings).toEqual(demoSettings(DEMO.seed, 1));
    expect(run.model).toEqual({ kind: 'builtin', id: 'evom-tiny' });
    // the command line's problems: the same generator seeds, the same items (solved here in Node)
    const data = await runFile<RunData>(page, id, 'data.json');
    const runners = await createRunners(nodeAssets);
    const heldOut = await generateBenchmark({ families: DEMO.families, count: 8, seed: demoEvalDataSeed(DEMO.seed), difficulty: DEMO.difficulty }, runners);
    expect(data.eval.map((i) => [i.id, i.question, i.answer])).toEqual(heldOut.map((i) => [i.id, i.question, i.answer]));
    const train = await generateBenchmark({ families: DEMO.families, count: DEMO.trainCount, seed: demoTrainDataSeed(DEMO.seed), difficulty: DEMO.difficulty }, runners);
    const held = new Set(heldOut.map((i) => i.question));
    expect(data.train.map((i) => i.id)).toEqual(train.filter((i) => !held.has(i.question)).map((i) => i.id));
    // the card's numbers are those of the saved evaluations
    const evals = await runFile<StoredEval[]>(page, id, 'evals.json');
    expect(evals.map((e) => e.adapterRun)).toEqual([null, id]);
    expect(evals.map((e) => e.report.items.length)).toEqual([8, 8]);
    const tally = (e: StoredEval) => tallyByItem(e.report.items.map((i) => i.result));
    const [before, after] = evals.map((e) => accuracyOf([...tally(e).values()]));
    expect(before!.items).toBe(8);
    expect(await text(page, '#demo-before .demo-accuracy')).toBe(formatAccuracy(before!));
    expect(await text(page, '#demo-after .demo-accuracy')).toBe(formatAccuracy(after!));
    const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
    expect(await text(page, '#demo-before .demo-big')).toBe(pct(before!.value));
    expect(await text(page, '#demo-before .demo-interval')).toBe(`95 % interval ${pct(before!.ci95[0])} to ${pct(before!.ci95[1])}, n = 8 problems`);
    expect(await text(page, '#demo-after .demo-interval')).toBe(`95 % interval ${pct(after!.ci95[0])} to ${pct(after!.ci95[1])}, n = 8 problems`);
    const gain = pairedDifference([pairItems(tally(evals[0]!), tally(evals[1]!))]);
    expect(await text(page, '#demo-gain')).toBe(`Paired gain: ${formatDifference(gain)}`);
    expect(await text(page, '#demo-meaning')).toMatch(gain.ci95[0] > 0 ? /lies above 0/ : gain.ci95[1] < 0 ? /lies below 0/ : /^The interval includes 0: this run cannot tell a gain from noise/);
    const rewards = (await runText(page, id, 'metrics.jsonl')).trim().split('\n').map((l) => (JSON.parse(l) as { reward_mean: number }).reward_mean);
    expect(rewards).toHaveLength(1);
    expect(await text(page, '#demo-rewards')).toBe(`Mean reward per training step: ${rewards.map((x) => formatNumber(x, 3)).join(', ')}.`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'demo-card-1366');
    expect(await axeViolations(page)).toEqual([]);
    expect(await axeViolations(page, '#demo-card')).toEqual([]);
    await page.setViewportSize({ width: 800, height: 900 });
    await shot(page, 'demo-card-800');
    expect(await layoutProblems(page, 'demo card at 800')).toEqual([]);
    await page.setViewportSize({ width: 1366, height: 900 });
    // the card stays after a reload; the run is listed for export
    await page.reload();
    await page.waitForSelector('#demo-card');
    await openTab(page, 'export');
    await page.waitForFunction((id) => Array.from(document.querySelectorAll('#export-run option')).some((o) => (o as HTMLOptionElement).value === id), id);
    expect(await page.locator('#export-needs-run').count()).toBe(0);
    await openTab(page, 'start');
  }, 900_000);

  it('Cancel stops it: no card, nothing trained', async () => {
    const runsBefore = await runIds(page);
    await page.click('#start-demo');
    await page.waitForSelector('#demo-card', { state: 'detached' }); // the old card goes while it runs
    await page.waitForFunction(() => /before training/.test(document.querySelector('#demo-progress .progress-label')?.textContent ?? ''), null, { timeout: 300_000 });
    await page.click('#demo-progress .progress-cancel');
    await idle(page, 300_000);
    expect(await text(page, '#demo-status')).toBe('Cancelled. Nothing was saved.');
    expect(await page.locator('#demo-card').count()).toBe(0);
    expect(await page.locator('#demo-progress').count()).toBe(0);
    expect(await text(page, '#error')).toBe('');
    expect(await runIds(page)).toEqual(runsBefore); // stopped in the first evaluation: no run was made
    expect(await page.isEnabled('#start-demo')).toBe(true);
  }, 400_000);
});

describe('Studio start: the transfer trial', () => {
  it('lands on the wizard with the demo\'s set-up loaded', async () => {
    await page.click('#start-transfer');
    await page.waitForSelector('#tab-transfer[aria-selected=true]');
    await page.waitForSelector('#hint');
    expect(await text(page, '#hint')).toMatch(/press "Run the trial"/);
    await idle(page, 300_000);
    expect(await text(page, '#error')).toBe('');
    expect(await page.isEnabled('#transfer-run')).toBe(true); // problems prepared by the set-up
    const form = JSON.parse((await page.evaluate(() => localStorage.getItem('evom-studio-form')))!) as { model: { builtinId: string } };
    expect(form.model.builtinId).toBe('evom-tiny-multi');
    await shot(page, 'transfer-1366');
    // leaving the tab takes the hint away
    await openTab(page, 'start');
    expect(await page.locator('#hint').count()).toBe(0);
  }, 300_000);
});

describe('Studio start: a share link opens the students\' checklist', () => {
  it('ticks each step as it gets done, in a student\'s fresh browser', async () => {
    // the teacher: a title and a problem set of their own, then the link
    await openTab(page, 'train');
    await page.fill('#run-title', 'Week 3 lab');
    await openTab(page, 'problems');
    await page.selectOption('#data-kind', 'generator');
    await page.fill('#families', 'knapsack');
    await page.fill('#count', '10');
    await openTab(page, 'classroom');
    const link = await makeShareLink(page);
    const student = await launchChromium({ webgpu: true });
    try {
      const p = await newPage(student.context);
      await p.setViewportSize({ width: 1366, height: 900 });
      await p.goto(link);
      await p.waitForSelector('#checklist');
      expect(await selectedTab(p)).toBe('tab-start');
      expect(await text(p, '#checklist-h')).toBe('Your checklist: Week 3 lab');
      const done = () => p.$$eval('#checklist li', (lis) => lis.map((li) => `${li.id}:${(li as HTMLElement).dataset.done}`));
      expect(await done()).toEqual(['check-config:yes', 'check-prepare:no', 'check-evaluate:no', 'check-train:no', 'check-export:no']);
      expect(await text(p, '#check-config .check-title')).toMatch(/^Configuration loaded: Week 3 lab/);
      // before the problems, the later steps link to what they need
      expect(await text(p, '#check-evaluate .needs-link')).toBe('Prepare problems first → Problems');
      await shot(p, 'checklist-1366');
      expect(await axeViolations(p)).toEqual([]);
      expect(await axeViolations(p, '#checklist')).toEqual([]);
      await p.setViewportSize({ width: 800, height: 900 });
      await shot(p, 'checklist-800');
      expect(await layoutProblems(p, 'checklist at 800')).toEqual([]);
      await p.setViewportSize({ width: 1366, height: 900 });
      // step 2, done from the checklist: ticked, the link's problems prepared
      await p.click('#checklist-prepare');
      await p.waitForSelector('#check-prepare[data-done=yes]', { timeout: 120_000 });
      await idle(p);
      expect(await text(p, '#error')).toBe('');
      expect(await done()).toEqual(['check-config:yes', 'check-prepare:yes', 'check-evaluate:no', 'check-train:no', 'check-export:no']);
      // the next step's button goes to its tab
      await p.click('#check-evaluate button');
      expect(await selectedTab(p)).toBe('tab-evaluate');
      expect(await text(p, '#evaluate')).toBe('Evaluate on 3 held-out problems'); // 10 knapsack problems, a quarter held out
      // the checklist stays through a reload (the link has left the address)
      await p.reload();
      await openTab(p, 'start');
      await p.waitForSelector('#check-prepare[data-done=yes]');
      await p.click('#checklist-close');
      expect(await p.locator('#checklist').count()).toBe(0);
    } finally {
      await student.close();
    }
  }, 300_000);
});

describe('Studio start: layout', () => {
  it('no tab scrolls the page sideways at 800×900, and the header spans the window', async () => {
    // the Evaluate tab with a result (its summary table has a column per outcome class)
    expect(demoRunId).not.toBe('');
    const evals = await runText(page, demoRunId, 'evals.json');
    await page.evaluate(async (json) => {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('evom-studio', { create: true });
      const w = await (await dir.getFileHandle('last-eval.json', { create: true })).createWritable();
      await w.write(JSON.stringify(JSON.parse(json)[0]));
      await w.close();
    }, evals);
    await page.reload();
    await page.waitForSelector('#panel');
    await page.setViewportSize({ width: 800, height: 900 });
    const problems: string[] = [];
    for (const tab of TABS) {
      await openTab(page, tab);
      if (tab === 'evaluate') await page.waitForSelector('#eval-items');
      problems.push(...await layoutProblems(page, `${tab} at 800`));
      if (tab === 'evaluate' || tab === 'train' || tab === 'classroom') await shot(page, `${tab}-800`);
    }
    for (const width of [360, 1920]) {
      await page.setViewportSize({ width, height: 900 });
      problems.push(...await layoutProblems(page, `classroom at ${width}`));
    }
    expect(problems).toEqual([]);
    await page.setViewportSize({ width: 1366, height: 900 });
  }, 120_000);

  it('each tab\'s primary action is above the fold at 1366×900', async () => {
    const below: string[] = [];
    for (const tab of TABS) {
      await openTab(page, tab);
      await page.evaluate(() => window.scrollTo(0, 0));
      const box = await page.locator(PRIMARY[tab]).boundingBox();
      const ok = box !== null && box.y >= 0 && box.y + box.height <= 900;
      const line = `${tab}: ${PRIMARY[tab]} ${box ? `at y ${Math.round(box.y)}–${Math.round(box.y + box.height)}` : 'not shown'}`;
      if (!ok) below.push(line);
    }
    expect(below).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
