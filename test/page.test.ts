// The first page in headless Chromium: paste a completion, verify it in a Web Worker with the
// wasm solvers, read the outcome and reward off the page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, mainThreadWork, MAIN_THREAD_PROBE, serveApp } from './browser.ts';
import { createNodePool } from '../src/verifier/pool-node.ts';

let page: Page;
let close: () => Promise<void>;
let stopServer: () => Promise<void>;

beforeAll(async () => {
  const { url, server } = await serveApp();
  stopServer = () => server.close();
  const b = await launchChromium();
  close = b.close;
  page = await b.context.newPage();
  await page.addInitScript(MAIN_THREAD_PROBE);
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(`${url}verify.html`);
}, 180_000);

afterAll(async () => {
  await close?.();
  await stopServer?.();
});

async function verify(target: string, completion: string, answer: string) {
  await page.selectOption('#target', target);
  await page.fill('#completion', completion);
  await page.fill('#answer', answer);
  await page.click('#verify');
  await page.waitForFunction(() => document.querySelector('#busy')?.textContent?.startsWith('Done'), null, { timeout: 60_000 });
  const text = async (id: string) => (await page.textContent(id))?.trim();
  const result = { cls: await text('#class'), reward: await text('#reward'), objective: await text('#objective'), messages: await text('#messages') };
  await page.evaluate(() => { document.querySelector('#busy')!.textContent = ''; });
  return result;
}

describe('verify page', () => {
  it('gives the same class and reward as the CLI\'s verifier pool (and so as the server: test/server-targets.test.ts)', async () => {
    const FIX = join(import.meta.dirname, 'fixtures');
    const hacks = JSON.parse(readFileSync(join(FIX, 'hacks', 'manifest.json'), 'utf8')) as { question: string; questions: Record<string, string> };
    const cases: [string, string, string, string][] = [ // file, target, answer, question
      ['hacks/gold.lp', 'highs', '224', hacks.question], ['hacks/lp-constant.lp', 'highs', '224', hacks.question],
      ['hacks/gold.mod', 'glpk', '224', hacks.question], ['hacks/gold.json', 'glpk-json', '224', hacks.question],
      ['hacks/json-zero-objective.json', 'glpk-json', '224', hacks.question],
      ['hacks/gold-inf.lp', 'highs', 'infeasible', hacks.questions['nl4opt-16']!], ['hacks/lp-inf-fresh-bounds.lp', 'highs', 'infeasible', hacks.questions['nl4opt-16']!],
      ['broken/highs-syntax-missing-rhs.lp', 'highs', '10', ''], ['broken/glpk-runtime-division-by-zero.mod', 'glpk', '10', ''],
      // MiniZinc's 18 MB wasm in the page's verifier worker, the same code as the CLI's worker_thread
      ['hacks/gold.mzn', 'minizinc', '224', hacks.question], ['hacks/mzn-domain-bound.mzn', 'minizinc', '224', hacks.question],
      ['hacks/gold-inf.mzn', 'minizinc', 'infeasible', hacks.questions['nl4opt-16']!], ['hacks/gold.mzn', 'minizinc-chuffed', '224', hacks.question],
    ];
    const pool = createNodePool({ size: 1 });
    const differences: string[] = [];
    try {
      for (const [file, target, answer, question] of cases) {
        const completion = `<code>\n${readFileSync(join(FIX, file), 'utf8')}\n</code>`;
        await page.fill('#question', question);
        const inPage = await verify(target, completion, answer);
        const cli = await pool.verify({ completion, target, answer: answer === 'infeasible' ? 'infeasible' : Number(answer), ...(question ? { question } : {}) });
        if (inPage.cls !== cli.class || Number(inPage.reward) !== cli.reward) differences.push(`${file}: page ${inPage.cls} ${inPage.reward}, CLI ${cli.class} ${cli.reward}`);
      }
    } finally {
      await pool.close();
      await page.fill('#question', '');
    }
    expect(differences).toEqual([]);
  }, 180_000);

  it.each(['highs', 'glpk', 'glpk-json'])('the built-in example is correct on %s', async (target) => {
    await page.selectOption('#target', target);
    await page.click('#example');
    await page.click('#verify');
    await page.waitForFunction(() => document.querySelector('#busy')?.textContent?.startsWith('Done'), null, { timeout: 60_000 });
    expect(await page.textContent('#class')).toBe('correct');
    expect(await page.textContent('#reward')).toBe('2');
    expect(await page.textContent('#objective')).toBe('11');
    await page.evaluate(() => { document.querySelector('#busy')!.textContent = ''; });
  });

  it('shows a wrong answer with reward 1', async () => {
    const r = await verify('highs', '<think>t</think><code>\nMaximize\n obj: x\nSubject To\n c: x <= 7\nEnd\n</code>', '11');
    expect(r).toMatchObject({ cls: 'wrong_answer', reward: '1', objective: '7' });
  });

  it('shows a line-numbered LP syntax error', async () => {
    const r = await verify('highs', '<code>\nMaximize\n obj: 3 x + 2 y\nSubject To\n c1: x + y <== 4\nEnd\n</code>', '11');
    expect(r.cls).toBe('parse_error');
    expect(r.messages).toMatch(/line 4/);
  });

  it('shows a MathProg error from GLPK with its line', async () => {
    const r = await verify('glpk', '<code>\nvar x >= 0;\nmaximize z: x + y;\nend;\n</code>', '1');
    expect(r.cls).toBe('parse_error');
    expect(r.messages).toMatch(/line 2: y not defined/);
  });

  it('shows a format error with reward 0', async () => {
    const r = await verify('glpk-json', 'I do not know.', '1');
    expect(r).toMatchObject({ cls: 'format_error', reward: '0' });
  });

  it('refuses a malformed expected answer without verifying', async () => {
    await page.fill('#answer', 'eleven');
    await page.click('#verify');
    expect(await page.textContent('#busy')).toMatch(/finite number or "infeasible"/);
  });
});

describe('verify page with a sandbox server (Python targets)', () => {
  it('connects with a token, lists Python targets and verifies a PuLP model', async () => {
    const { loadServerConfig } = await import('../server/config.ts');
    const { startFromConfig } = await import('../server/main.ts');
    const token = 'page-test-token-0123456789';
    const srv = await startFromConfig(loadServerConfig({ env: {}, flags: { port: 0, tokens: [token], workers: 1, cors_origins: ['*'] } }), () => {});
    try {
      await page.click('#remote-box summary');
      await page.fill('#server-url', srv.url);
      await page.fill('#server-token', token);
      await page.click('#connect');
      await page.waitForFunction(() => document.querySelector('#server-status')?.textContent?.startsWith('Connected'), null, { timeout: 30_000 });
      expect(await page.textContent('#server-status')).toMatch(/pulp/);
      await page.selectOption('#target', 'pulp');
      await page.click('#example');
      await page.click('#verify');
      await page.waitForFunction(() => document.querySelector('#busy')?.textContent?.startsWith('Done'), null, { timeout: 60_000 });
      expect(await page.textContent('#class')).toBe('correct');
      expect(await page.textContent('#objective')).toBe('11');
      // the token is kept in this browser, never in the URL
      expect(page.url()).not.toContain(token);
      expect(await page.evaluate(() => localStorage.getItem('evom.server.token'))).toBe(token);
      await page.evaluate(() => { document.querySelector('#busy')!.textContent = ''; });
    } finally {
      await srv.stop();
    }
  }, 120_000);
});

describe('verify page: its main thread', () => {
  it('ran no solver: every verification above went to a worker', async () => {
    const w = await mainThreadWork(page);
    expect(w.wasm).toEqual([]);
    expect(w.workers).toContain('evom-verifier');
  });
});
