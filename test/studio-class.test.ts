// A class on a real sandbox server (127.0.0.1, a classes_file with two classes), with the Studio in
// headless Chromium in three browsers: a student joins under a pseudonym and trains the built-in
// model; the teacher's view lists the run live, step by step, with the numbers the student's page
// shows; a second student who picks the same pseudonym is told it is taken, and is listed under
// another; the teacher deletes one student's runs, then the class's (with an inline confirmation).
// Screenshots: test-results/studio-class-{student-joined,teacher-live,teacher-deleted}.png.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig } from '../server/config.ts';
import { startFromConfig } from '../server/main.ts';
import type { SandboxServer } from '../server/http.ts';
import type { ClassListing } from '../src/studio/class-client.ts';
import { formatNumber } from '../src/studio/format.ts';
import { launchChromium, openStudio, type StudioSession } from './browser.ts';

const ROOT = join(import.meta.dirname, '..');
const SHOTS = 'test-results';
mkdirSync(SHOTS, { recursive: true });
const STUDENT = 'demo-student-token-0123456789ab';
const TEACHER = 'demo-teacher-token-0123456789ab';
const OTHER_TEACHER = 'other-teacher-token-0123456789';

let studio: StudioSession;
let srv: SandboxServer;
/** the teacher's and the second student's browsers */
const browsers: { context: BrowserContext; close: () => Promise<void> }[] = [];
let ada: Page, teacher: Page, grace: Page;
let dir: string;

async function openTab(p: Page, id: string) {
  await p.click(`#tab-${id}`);
  await p.waitForSelector(`#panel[aria-labelledby="tab-${id}"]`);
}
const idle = (p: Page, timeout = 300_000) => p.waitForFunction(() => !document.querySelector('#busy'), null, { timeout });
const text = async (p: Page, sel: string) => ((await p.locator(sel).count()) ? (await p.textContent(sel)) ?? '' : '');
const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `studio-class-${name}.png`), fullPage: true });

/** The class as the teacher's token reads it from the server. */
async function listing(token = TEACHER): Promise<ClassListing> {
  const r = await fetch(`${srv.url}/v1/class/runs`, { headers: { authorization: `Bearer ${token}` } });
  expect(r.status).toBe(200);
  return await r.json() as ClassListing;
}

/** The teacher's table, one array of cells per row (the row header first). */
const classRows = (p: Page) => p.$$eval('#class-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('th, td'), (c) => (c.textContent ?? '').trim())));
/** Wait until the teacher's table has a row for `who` with `steps` steps. */
const waitForRow = (p: Page, who: string, steps: number) => p.waitForFunction(([who, steps]) => Array.from(document.querySelectorAll('#class-table tbody tr'))
  .some((tr) => tr.querySelector('th')?.textContent === who && tr.querySelectorAll('td')[3]?.textContent === String(steps)), [who, steps] as const, { timeout: 60_000 });

async function axeViolations(p: Page, within: string): Promise<string[]> {
  if (!(await p.evaluate(() => 'axe' in window))) await p.addScriptTag({ path: join(ROOT, 'node_modules', 'axe-core', 'axe.min.js') });
  const r = await p.evaluate((ctx) => (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: { id: string; help: string; nodes: { target: string[] }[] }[] }> } })
    .axe.run(ctx, { runOnly: ['wcag2a', 'wcag2aa'] }), within);
  return r.violations.map((v) => `${v.id} (${v.help}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

/** The page does not scroll sideways. */
const scrollsSideways = (p: Page) => p.evaluate(() => document.scrollingElement!.scrollWidth > document.documentElement.clientWidth);

async function studioPage(webgpu: boolean, viewport = { width: 1366, height: 900 }): Promise<Page> {
  const b = await launchChromium({ webgpu });
  browsers.push(b);
  const p = await studio.newPage(b.context);
  await p.setViewportSize(viewport);
  await p.goto(studio.url);
  await p.waitForFunction(() => /GPU: |No WebGPU/.test(document.querySelector('#gpu-status')?.textContent ?? ''), null, { timeout: 120_000 });
  return p;
}

beforeAll(async () => {
  studio = await openStudio({ width: 1366, height: 900 });
  ada = studio.page;
  dir = mkdtempSync(join(tmpdir(), 'evom-studio-class-'));
  const classes = join(dir, 'classes');
  writeFileSync(classes, `# two classes\ndemo-class ${STUDENT} ${TEACHER}\nother-class other-student-token-0123456789 ${OTHER_TEACHER}\n`, { mode: 0o600 });
  srv = await startFromConfig(loadServerConfig({ env: {}, flags: {
    port: 0, workers: 1, classes_file: classes, class_data_dir: null, cors_origins: [studio.url.replace(/\/$/, '')],
    class_max_runs: 20, class_max_runs_per_student: 5, class_max_bytes: 4 * 1024 * 1024, class_max_upload_bytes: 512 * 1024, class_uploads_per_minute: 120,
  } }), () => {});
  // the teacher's browser has no WebGPU: the teacher view needs none
  teacher = await studioPage(false);
}, 300_000);

afterAll(async () => {
  for (const b of browsers) await b.close().catch(() => undefined);
  await studio?.close();
  await srv?.stop();
});

describe('Studio: a class on the teacher\'s sandbox server', () => {
  let runId = '';

  it('a student joins under a pseudonym; each training step appears live in the teacher\'s view, with the student\'s numbers', async () => {
    // the student: problems, then join (no run yet: nothing is sent)
    await openTab(ada, 'problems');
    await ada.fill('#families', 'knapsack');
    await ada.fill('#count', '8');
    await ada.fill('#eval-fraction', '0.25');
    await ada.click('#prepare');
    await ada.waitForFunction(() => /6 for training, 2 held out/.test(document.querySelector('#split-summary')?.textContent ?? ''), null, { timeout: 180_000 });
    await openTab(ada, 'classroom');
    await ada.fill('#class-url', srv.url);
    await ada.fill('#class-token', STUDENT);
    await ada.fill('#class-pseudonym', 'Ada L.');
    expect(await text(ada, '#class-pseudonym-help')).toBe('Choose a nickname, not your name: the teacher sees it; no account or e-mail.');
    await ada.click('#class-join');
    await ada.waitForFunction(() => /Joined the class at .* as "Ada L\."/.test(document.querySelector('#class-status')?.textContent ?? ''));
    expect(await text(ada, '#error')).toBe('');

    // the teacher: watching an empty class
    await openTab(teacher, 'classroom');
    await teacher.fill('#teacher-url', srv.url);
    await teacher.fill('#teacher-token', STUDENT); // the student token cannot list the class
    await teacher.click('#class-watch');
    await teacher.waitForSelector('#error');
    expect(await text(teacher, '#error')).toMatch(/listing a class needs its teacher token \(HTTP 403\)\. .*teacher token, not the student token/);
    await teacher.fill('#teacher-token', TEACHER);
    await teacher.click('#class-watch');
    await teacher.waitForSelector('#class-empty');
    expect(await text(teacher, '#class-summary')).toBe('Class demo-class: 0 runs from 0 students.');
    expect(await text(teacher, '#panel')).toMatch(/reported by each student's browser/);

    // the student trains; paused after step 1 (so the teacher sees step 1 before step 2 lands)
    await openTab(ada, 'train');
    for (const [k, v] of [['steps', '2'], ['group', '4'], ['promptsPerStep', '1'], ['maxNewTokens', '100'], ['microBatch', '4']] as const) await ada.fill(`#set-${k}`, v);
    await ada.click('#start');
    await ada.waitForFunction(() => /^Step 1: /.test(document.querySelector('#step-phase .progress-label')?.textContent ?? ''), null, { timeout: 300_000 });
    await ada.click('#pause');
    await ada.waitForFunction(() => /: paused\. Paused after step 1/.test(document.querySelector('#train-status')?.textContent ?? ''), null, { timeout: 300_000 });
    runId = (await text(ada, '#train-status')).split(':')[0]!;
    const step1 = await ada.$$eval('#metrics tbody tr:first-child td', (tds) => tds.map((td) => td.textContent ?? ''));

    // the teacher's view shows it within a poll or two: the server's numbers, which are the student's
    await waitForRow(teacher, 'Ada L.', 1);
    let l = await listing();
    expect(l.runs.map((r) => [r.pseudonym, r.run, r.card.metrics.length])).toEqual([['Ada L.', runId, 1]]);
    let row = (await classRows(teacher))[0]!;
    expect(row.slice(0, 5)).toEqual(['Ada L.', runId, 'evom-tiny', 'highs', '1']);
    expect(row[5]).toBe(formatNumber(l.runs[0]!.card.metrics[0]!.reward_mean, 4));
    expect(row[5]).toBe(step1[1]); // the reward the student's Train tab shows
    expect(await teacher.getAttribute('#class-reward', 'data-points')).toBe('1');

    // the student's status line: sent, with the step and the run
    await openTab(ada, 'classroom');
    expect(await text(ada, '#class-status')).toMatch(new RegExp(`^Sent step 1 of run ${runId} to the class at \\d\\d:\\d\\d \\(as "Ada L\\."\\)\\.$`));
    expect(await ada.locator('#class-leave').count()).toBe(1);
    // the class token stays in this browser's own key: not in the form (links, exports)
    expect(await ada.evaluate(() => localStorage.getItem('evom-studio-form'))).not.toContain(STUDENT);
    expect(await ada.evaluate(() => localStorage.getItem('evom-studio-class-token'))).toBe(STUDENT);
    await shot(ada, 'student-joined');

    // step 2 lands while the teacher watches
    await openTab(ada, 'train');
    await ada.click('#resume');
    await ada.waitForFunction(() => /: done\./.test(document.querySelector('#train-status')?.textContent ?? ''), null, { timeout: 300_000 });
    const step2 = await ada.$$eval('#metrics tbody tr:nth-child(2) td', (tds) => tds.map((td) => td.textContent ?? ''));
    await waitForRow(teacher, 'Ada L.', 2);
    l = await listing();
    row = (await classRows(teacher))[0]!;
    expect(row[5]).toBe(formatNumber(l.runs[0]!.card.metrics[1]!.reward_mean, 4));
    expect(row[5]).toBe(step2[1]);
    // the student's own Train table's accuracy cell (interval and n), and the server's accuracy in it
    expect(row[6]).toBe(step2[2]);
    expect(row[6]).toMatch(new RegExp(`^${(100 * l.runs[0]!.card.metrics[1]!.accuracy).toFixed(1)} % \\[`));
    await teacher.waitForFunction(() => document.querySelector('#class-reward')?.getAttribute('data-points') === '2');
    // an evaluation of the run's adapter is sent too: the teacher's Evaluations column
    await openTab(ada, 'evaluate');
    await ada.selectOption('#eval-adapter', runId);
    await ada.fill('#eval-batch', '2');
    await ada.click('#evaluate');
    await ada.waitForFunction((r) => (document.querySelector('#eval-results-h')?.textContent ?? '').includes(r) && !document.querySelector('#busy'), runId, { timeout: 300_000 });
    const label = (await text(ada, '#eval-results-h')).replace(/^Results: /, '');
    await teacher.waitForFunction(() => document.querySelectorAll('#class-table tbody tr td')[6]?.textContent !== '—', null, { timeout: 60_000 });
    l = await listing();
    expect(l.runs[0]!.card.evaluations.map((e) => e.label)).toEqual([label]);
    expect((await classRows(teacher))[0]![7]).toMatch(new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\d+\\.\\d % \\[[\\d.]+, [\\d.]+\\], n = 2 correct, \\d+\\.\\d % executed$`));
    await openTab(ada, 'classroom');
    expect(await text(ada, '#class-status')).toMatch(new RegExp(`^Sent step 2 of run ${runId} with the evaluation ".*" to the class at \\d\\d:\\d\\d`));
    // what the class holds has no token in it
    expect(JSON.stringify(l)).not.toContain(STUDENT);
    expect(await teacher.getAttribute('#class-accuracy', 'data-points')).toBe('2');
    expect(await teacher.getAttribute('#class-reward', 'data-y-label')).toMatch(/^reward \(0–2\)$/);
    expect(await text(teacher, '#class-usage')).toMatch(/^Stored on the server: 1 run of 20, .* kB of 4,096 kB\. Checked at \d\d:\d\d:\d\d\.$/);
    // the other class sees none of it
    expect((await listing(OTHER_TEACHER)).runs).toEqual([]);
    expect(await axeViolations(teacher, '#panel')).toEqual([]);
    await shot(teacher, 'teacher-live');
  }, 600_000);

  it('a second student who picks the same pseudonym is told it is taken, and is listed under another', async () => {
    // the run travels to the second student's browser as a run folder (Export tab)
    await openTab(ada, 'export');
    await ada.selectOption('#export-run', runId);
    const [d] = await Promise.all([ada.waitForEvent('download'), ada.click('#export-run-folder')]);
    const zip = join(dir, `${runId}-run.zip`);
    await d.saveAs(zip);
    grace = await studioPage(true);
    await openTab(grace, 'export');
    await grace.setInputFiles('#import-run-zip', zip);
    await idle(grace);
    expect(await text(grace, '#error')).toBe('');
    await openTab(grace, 'classroom');
    await grace.fill('#class-url', srv.url);
    await grace.fill('#class-token', STUDENT);
    await grace.fill('#class-pseudonym', 'ada l.'); // the same pseudonym, in other case
    await grace.click('#class-join');
    await grace.waitForSelector('#class-status.error');
    // the server's words, then what to do; sending stops until the student joins again
    expect(await text(grace, '#class-status')).toMatch(/^Not sent at \d\d:\d\d: the pseudonym "ada l\." is taken in this class: choose another \(or use the browser that chose it\) \(HTTP 409\)\. Choose another pseudonym and join again\. Sending is off until then\.$/);
    expect(await grace.locator('#class-leave').count()).toBe(0);
    await shot(grace, 'student-taken');
    await grace.fill('#class-pseudonym', 'Grace H.');
    await grace.click('#class-join');
    await grace.waitForFunction(() => /^Sent step 2 of run /.test(document.querySelector('#class-status')?.textContent ?? ''));
    await waitForRow(teacher, 'Grace H.', 2);
    expect((await classRows(teacher)).map((r) => r[0])).toEqual(['Ada L.', 'Grace H.']);
    expect(await text(teacher, '#class-summary')).toBe('Class demo-class: 2 runs from 2 students.');
    // no sideways scroll at 800 px (nor on a phone), for the student and the teacher
    for (const width of [360, 800]) {
      for (const p of [grace, teacher]) {
        await p.setViewportSize({ width, height: 900 });
        expect(await scrollsSideways(p), `${p === grace ? 'student' : 'teacher'} at ${width} px`).toBe(false);
      }
    }
    expect(await axeViolations(grace, '#panel')).toEqual([]);
  }, 300_000);

  it('the teacher deletes one student\'s runs, then the class\'s data, after an inline confirmation', async () => {
    // one student: the row's button, then Yes
    await teacher.click('#class-table button[aria-label="Delete Grace H.\'s runs"]');
    await teacher.waitForSelector('#class-confirm-q');
    expect(await text(teacher, '#class-confirm-q')).toBe('Delete the 1 run of "Grace H."? They leave the server for good.');
    // focus goes to No (set once the box is on screen)
    await teacher.waitForFunction(() => document.activeElement?.id === 'class-confirm-no', null, { timeout: 5_000 });
    await teacher.click('#class-confirm-yes');
    await teacher.waitForSelector('#class-deleted');
    expect(await text(teacher, '#class-deleted')).toBe('Deleted 1 run of "Grace H.".');
    expect((await classRows(teacher)).map((r) => r[0])).toEqual(['Ada L.']);
    expect((await listing()).runs.map((r) => r.pseudonym)).toEqual(['Ada L.']);
    // the class: No keeps it, Yes deletes it
    await teacher.click('#class-delete');
    await teacher.waitForSelector('#class-confirm-q');
    expect(await text(teacher, '#class-confirm-q')).toBe('Delete 1 run? They leave the server for good.');
    await teacher.click('#class-confirm-no');
    await teacher.waitForSelector('#class-confirm', { state: 'detached' });
    expect((await listing()).runs).toHaveLength(1);
    await teacher.click('#class-delete');
    await teacher.click('#class-confirm-yes');
    await teacher.waitForSelector('#class-empty');
    expect(await text(teacher, '#class-deleted')).toBe('Deleted 1 run: this class\'s data is gone from the server.');
    expect(await teacher.locator('#class-table').count()).toBe(0);
    const l = await listing();
    expect([l.runs.length, l.runs_used, l.bytes_used]).toEqual([0, 0, 0]);
    // still empty after the next polls
    await teacher.waitForFunction(() => /Checked at/.test(document.querySelector('#class-usage')?.textContent ?? ''));
    const checked = await text(teacher, '#class-usage');
    await teacher.waitForFunction((c) => document.querySelector('#class-usage')?.textContent !== c, checked, { timeout: 15_000 });
    expect(await text(teacher, '#class-summary')).toBe('Class demo-class: 0 runs from 0 students.');
    expect(await scrollsSideways(teacher)).toBe(false);
    await shot(teacher, 'teacher-deleted');
    expect(studio.pageErrors).toEqual([]);
  }, 120_000);
});
