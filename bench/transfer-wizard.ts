// The Studio's solver-transfer wizard with "Use the demo's set-up", run to the end in headless
// Chromium (WebGPU on SwiftShader), beside `evom demo --transfer`'s transfer.json: both should give
// the same six evaluations (same problems, policy, settings and sampling seeds), so a class sees in
// the browser what the command line prints.
//
//   npx evom demo --transfer --out /tmp/t --json > /tmp/t.json
//   npx tsx bench/transfer-wizard.ts --cli /tmp/t/transfer.json
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium, serveApp } from '../test/browser.ts';
import { TRANSFER_STAGES, type TransferResult } from '../src/rl/transfer.ts';

const { values } = parseArgs({ options: { cli: { type: 'string' } } });
const cli: TransferResult | undefined = values.cli ? JSON.parse(readFileSync(values.cli, 'utf8')) : undefined;

const tab = async (p: Page, id: string) => { await p.click(`#tab-${id}`); await p.waitForSelector(`#panel[aria-labelledby="tab-${id}"]`); };
const t0 = performance.now();
const app = await serveApp();
const b = await launchChromium({ webgpu: true });
try {
  const page = await b.context.newPage();
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.goto(app.url);
  await page.waitForFunction(() => /GPU: /.test(document.querySelector('#gpu-status')?.textContent ?? ''), null, { timeout: 120_000 });
  await tab(page, 'transfer');
  await page.click('#transfer-demo-setup');
  await page.waitForFunction(() => !document.querySelector('#busy'), null, { timeout: 300_000 });
  const started = performance.now();
  await page.click('#transfer-run');
  await page.waitForFunction(() => document.querySelector('#transfer-progress')?.textContent === 'Done.' || !!document.querySelector('#error'), null, { timeout: 3_600_000 });
  const error = (await page.locator('#error').count()) ? await page.textContent('#error') : '';
  if (error) throw new Error(`the wizard stopped: ${error}`);
  const wall = (performance.now() - started) / 1000;
  const rows = await page.$$eval('#transfer-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('th,td'), (td) => td.textContent ?? '')));
  const cmp = await page.$$eval('#transfer-comparisons tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-key') ?? '', tr.querySelector('td')?.textContent ?? '']));
  console.log(`wizard: ${wall.toFixed(0)} s for the six stages (page load and set-up ${((started - t0) / 1000).toFixed(0)} s)`);
  let same = true;
  rows.forEach((r, i) => {
    const key = TRANSFER_STAGES[i]![0];
    const shown = r[3] ?? '';
    const mine = Number(/^([\d.]+) %/.exec(shown)?.[1]);
    const theirs = cli ? +(100 * cli.evaluations[key].accuracy).toFixed(1) : undefined;
    if (theirs !== undefined && theirs !== mine) same = false;
    console.log(`${key.padEnd(18)} wizard ${shown.padEnd(22)}${theirs === undefined ? '' : ` CLI ${theirs.toFixed(1)} %${theirs === mine ? '' : '  ← differs'}`}`);
  });
  for (const [key, text] of cmp) console.log(`${key.padEnd(22)} ${text}`);
  if (cli) console.log(same ? 'the wizard and the CLI give the same six accuracies' : 'the wizard and the CLI differ (see ← above)');
} finally {
  await b.close();
  await app.server.close();
}
