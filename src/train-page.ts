// The training page (train.html): pick a policy, generated problems and a target, then run the
// EVOM loop in this tab (engine on WebGPU, verifiers in workers) and watch reward and accuracy.

import { acquireGpu } from './gpu.ts';
import * as Comlink from 'comlink';
import type { ProblemsApi } from '../workers/problems.browser.ts';
import { parseFamilies } from './generator.ts';
import { defaultBrowserCache, hubSource } from './hub.ts';
import { urlSource, type ModelSource } from './model-source.ts';
import { DEFAULT_LORA } from './lora.ts';
import { trainerDefaults, type StepMetrics } from './trainer.ts';
import { openTraining } from './train-host.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const num = (id: string) => Number($<HTMLInputElement>(id).value);
const status = $('status'), errorBox = $('error');
const points: StepMetrics[] = [];
let stopRequested = false;

$<HTMLSelectElement>('model').addEventListener('change', (e) => { $<HTMLInputElement>('hub-id').disabled = (e.target as HTMLSelectElement).value !== 'hub'; });
$('stop').addEventListener('click', () => { stopRequested = true; status.textContent = 'Stopping after this step…'; });

function showError(msg: string): void { errorBox.textContent = msg; errorBox.hidden = false; }

function draw(steps: number): void {
  const x = (i: number) => 40 + (550 * (i + 1)) / Math.max(steps, 1);
  const y = (v: number) => 180 - 170 * Math.min(1, Math.max(0, v));
  $('reward-line').setAttribute('points', points.map((m, i) => `${x(i).toFixed(1)},${y(m.reward_mean / 2).toFixed(1)}`).join(' '));
  $('accuracy-line').setAttribute('points', points.map((m, i) => `${x(i).toFixed(1)},${y(m.accuracy).toFixed(1)}`).join(' '));
  const m = points[points.length - 1]!;
  const row = document.createElement('tr');
  for (const v of [String(m.step), m.reward_mean.toFixed(3), m.accuracy.toFixed(3), m.format_rate.toFixed(3), m.exec_rate.toFixed(3), m.kl.toFixed(4), m.completion_length.toFixed(1), (m.ms.total / 1000).toFixed(1)]) {
    const td = document.createElement('td');
    td.textContent = v;
    row.append(td);
  }
  $('metrics').querySelector('tbody')!.append(row);
}

function modelSource(): ModelSource {
  if ($<HTMLSelectElement>('model').value === 'builtin') return urlSource(new URL('models/evom-tiny', document.baseURI).href, 'built-in evom-tiny');
  const id = $<HTMLInputElement>('hub-id').value.trim();
  if (!/^[\w.-]+\/[\w.-]+$/.test(id)) throw new Error(`"${id}" is not a Hugging Face repository id (owner/name)`);
  return hubSource(id, { cache: defaultBrowserCache() });
}

$<HTMLFormElement>('train-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void run();
});

async function run(): Promise<void> {
  errorBox.hidden = true;
  stopRequested = false;
  $<HTMLButtonElement>('start').disabled = true;
  $<HTMLButtonElement>('stop').disabled = false;
  points.length = 0;
  $('metrics').querySelector('tbody')!.replaceChildren();
  let close: (() => Promise<void>) | null = null;
  try {
    const algo = $<HTMLSelectElement>('algo').value as 'grpo' | 'dapo';
    const steps = num('steps'), maxNewTokens = num('max-new'), seed = num('seed');
    const families = parseFamilies($<HTMLInputElement>('families').value);
    const source = modelSource();
    status.textContent = 'Generating problems…';
    const worker = new Worker(new URL('../workers/problems.browser.ts', import.meta.url), { type: 'module', name: 'evom-problems' });
    const items = await Comlink.wrap<ProblemsApi>(worker).generate({ families, count: 64, seed: 3_000_000 + seed, difficulty: num('difficulty') }).finally(() => worker.terminate());
    const data = items.map((i) => ({ id: i.id, question: i.question, answer: i.answer }));
    const cfg = trainerDefaults(algo, $<HTMLSelectElement>('target').value, 'rel5pct');
    Object.assign(cfg, { group: num('group'), promptsPerStep: num('prompts'), seed, maxNewTokens, microBatch: num('group'), overlongBuffer: algo === 'dapo' ? Math.floor(maxNewTokens / 4) : 0 });
    cfg.loss.maxNewTokens = maxNewTokens;
    Object.assign(cfg.optimizer, { lr: Number($<HTMLInputElement>('lr').value), totalSteps: steps });
    if (!(cfg.optimizer.lr > 0 && cfg.optimizer.lr < 1)) throw new Error(`learning rate must be between 0 and 1; got ${$<HTMLInputElement>('lr').value}`);
    status.textContent = `Loading ${source.name}…`;
    const gpu = await acquireGpu();
    const session = await openTraining(gpu, source, data, cfg, DEFAULT_LORA);
    close = session.close;
    for (let s = 1; s <= steps && !stopRequested; s++) {
      status.textContent = `Step ${s}/${steps}: generating and verifying…`;
      points.push(await session.trainer.trainStep());
      draw(steps);
    }
    status.textContent = `Done: ${points.length} steps on ${gpu.caps.adapter}`;
  } catch (err) {
    showError((err as Error).message);
    status.textContent = 'Stopped by an error';
  } finally {
    await close?.();
    $<HTMLButtonElement>('start').disabled = false;
    $<HTMLButtonElement>('stop').disabled = true;
  }
}
