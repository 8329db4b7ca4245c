// Training settings, run cards, metrics export and share links (src/rl/run-card.ts), and that
// `evom train` builds the same TrainerConfig as the Studio for the same settings.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { main } from '../src/cli/main.ts';
import { TRAIN_ALL_OPTIONS as TRAIN_OPTIONS, settingsFromFlags, type FlagValues } from '../src/cli/settings-flags.ts';
import {
  cliCommands, defaultSettings, makeRunCard, metricsCsv, metricsJsonl, parseMetricsJsonl, parseRunCard, SETTINGS,
  shareConfigFromHash, shareLinkFor, shellQuote, trainerConfigFrom, validateSettings, type ShareConfig, type TrainSettings,
} from '../src/rl/run-card.ts';
import { DataError, UsageError } from '../src/errors.ts';
import { DEFAULT_LORA } from '../src/rl/lora.ts';
import { trainerDefaults, type StepMetrics } from '../src/rl/trainer.ts';

/** `evom train`'s flags → settings, a Hub model's defaults (what `evom train` reads for a Hub or local model). */
const trainSettingsFromFlags = async (values: FlagValues) => settingsFromFlags(values, 'hub');

const PKG = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { name: string; version: string };

/** argv as a real POSIX shell splits a command line (npx replaced by a function that prints its arguments). */
function shellArgv(line: string): string[] {
  const r = spawnSync('sh', ['-c', `npx() { printf '%s\\0' "$@"; }\n${line}`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\0').slice(0, -1);
}

/** `evom train`'s flags → TrainerConfig as cmdTrain built it before the refactor (copied, valid values only). */
function referenceConfig(v: Record<string, string | boolean | undefined>) {
  const n = (k: string, d: number) => (v[k] === undefined ? d : Number(v[k]));
  const cfg = trainerDefaults(v.algo as 'grpo' | 'dapo', v.target as string, (v.tolerance ?? 'rel5pct') as 'rel5pct');
  cfg.group = n('group', cfg.group);
  cfg.promptsPerStep = n('prompts-per-step', cfg.promptsPerStep);
  cfg.seed = n('seed', cfg.seed);
  cfg.maxNewTokens = n('max-new-tokens', cfg.maxNewTokens);
  cfg.loss.maxNewTokens = cfg.maxNewTokens;
  if (cfg.overlongBuffer > 0) cfg.overlongBuffer = Math.floor(cfg.maxNewTokens / 4); // DAPO: the cap's last quarter
  cfg.microBatch = n('micro-batch', cfg.microBatch);
  cfg.updatesPerBatch = n('updates-per-batch', cfg.updatesPerBatch);
  cfg.temperature = n('temperature', cfg.temperature);
  cfg.optimizer.lr = n('lr', cfg.optimizer.lr);
  cfg.loss.beta = n('kl', cfg.loss.beta);
  const steps = n('steps', 100);
  cfg.optimizer.totalSteps = steps;
  if (v.recompute) cfg.recompute = true; // added with the setting
  if (v.quant !== undefined && v.quant !== 'none') cfg.quant = v.quant as 'q8' | 'q4';
  const rank = n('lora-rank', 8);
  const lora = { ...DEFAULT_LORA, rank, alpha: n('lora-alpha', 2 * rank) };
  return { cfg, lora, steps };
}

function stepMetrics(step: number, over: Partial<StepMetrics> = {}): StepMetrics {
  return {
    step, reward_mean: 0.5 + step / 10, reward_std: 0.25, accuracy: 0.125 * step, format_rate: 0.75, exec_rate: 0.5,
    classes: { correct: step, wrong_answer: 1, no_model: 0, format_error: 2, parse_error: 0, runtime_error: 0, timeout: 0, infeasible: 0, unbounded: 0, solver_error: 0, not_evaluated: 0 },
    groups_used: 2, groups_dropped: 1, loss: -0.03, kl: 0.001, entropy: 1.5, clip_fraction: 0, completion_length: 87.5,
    grad_norm: 0.3, lr: 0.002, tokens_per_s: 120, ms: { generate: 900, verify_wait: 12, train: 300, update: 5, total: 1250 }, ...over,
  };
}

const SUMMARY = {
  target: 'highs', tolerance: 'rel5pct' as const, tolerance_rule: '|u − a| / max(|a|, 1e-6) ≤ 0.05 (EVOM main rule)', benchmark_items: 12, count: 12, scored: 12,
  missing: 0, not_evaluated: 0, execution_rate: 0.75, accuracy: 0.5, accuracy_ci95: [0.2538, 0.7462] as [number, number], items_scored: 12, accuracy_all_items: 0.5, format_rate: 0.9, mean_reward: 1.4,
  answers: 'original' as const, errata_items: 0, accuracy_all_items_other: null,
  counts: { correct: 6, wrong_answer: 3, no_model: 0, format_error: 1, parse_error: 2, runtime_error: 0, timeout: 0, infeasible: 0, unbounded: 0, solver_error: 0, not_evaluated: 0 }, wall_ms: 4321,
};

const NON_DEFAULT: TrainSettings[] = [
  // DAPO with max-new-tokens under its 64-token overlong buffer: the buffer is clamped to 48/4
  { algo: 'dapo', target: 'glpk', tolerance: 'int', steps: 37, group: 4, promptsPerStep: 3, lr: 0.0025, kl: 0.04, loraRank: 16, loraAlpha: 8, maxNewTokens: 48, temperature: 0.7, seed: 11, microBatch: 2, updatesPerBatch: 2, quant: 'q4', recompute: true },
  { algo: 'grpo', target: 'highs', tolerance: 'rel1e-4', steps: 1, group: 2, promptsPerStep: 1, lr: 1e-5, kl: 0, loraRank: 1, loraAlpha: 0.5, maxNewTokens: 300, temperature: 1.3, seed: 0, microBatch: 16, updatesPerBatch: 1, quant: 'none', recompute: false },
  { algo: 'dapo', target: 'glpk-json', tolerance: 'sirl', steps: 500, group: 16, promptsPerStep: 2, lr: 3.5e-7, kl: 100, loraRank: 64, loraAlpha: 1e6, maxNewTokens: 1024, temperature: 0.01, seed: 4294967295, microBatch: 1, updatesPerBatch: 4, quant: 'q8', recompute: false },
];

describe('settings', () => {
  it('defaults are trainerDefaults\', DEFAULT_LORA\'s and the CLI\'s', async () => {
    for (const algo of ['grpo', 'dapo'] as const) {
      const t = trainerDefaults(algo, 'glpk', 'rel5pct');
      expect(defaultSettings('hub', algo, 'glpk')).toEqual({
        algo, target: 'glpk', tolerance: 'rel5pct', steps: 100, group: t.group, promptsPerStep: t.promptsPerStep, lr: t.optimizer.lr, kl: t.loss.beta,
        loraRank: DEFAULT_LORA.rank, loraAlpha: 2 * DEFAULT_LORA.rank, maxNewTokens: t.maxNewTokens, temperature: t.temperature, seed: t.seed,
        microBatch: t.microBatch, updatesPerBatch: t.updatesPerBatch, quant: 'none', recompute: false,
      });
      // `evom train` without setting flags: steps 100, rank 8, alpha 16 (its documented defaults)
      expect(await trainSettingsFromFlags({ target: 'glpk', algo })).toMatchObject({ steps: 100, loraRank: 8, loraAlpha: 16, group: t.group, lr: t.optimizer.lr });
      // defaults build the plain trainerDefaults config (totalSteps aside)
      const { cfg, lora } = trainerConfigFrom(defaultSettings('hub', algo, 'glpk'));
      expect(cfg).toEqual({ ...t, optimizer: { ...t.optimizer, totalSteps: 100 } });
      expect(lora).toEqual({ ...DEFAULT_LORA, alpha: 16 });
    }
  });

  it('one descriptor per setting, each with a one-line help and a flag `evom train` accepts and documents', async () => {
    let help = '';
    await main(['--help'], { stdout: (s) => { help += s; }, stderr: () => undefined, stdin: async () => '', stderrIsTty: false });
    const trainHelp = help.slice(help.indexOf('evom train'), help.indexOf('evom merge'));
    expect(SETTINGS.map((d) => d.key).sort()).toEqual(Object.keys(defaultSettings('hub', 'grpo', 'highs')).sort());
    expect(new Set(SETTINGS.map((d) => d.flag)).size).toBe(SETTINGS.length);
    for (const d of SETTINGS) {
      expect(d.help.length, d.key).toBeGreaterThan(30);
      expect(d.help, d.key).not.toMatch(/\n/);
      expect(d.label.length, d.key).toBeGreaterThan(0);
      expect(Object.keys(TRAIN_OPTIONS), d.flag).toContain(d.flag.replace(/^--/, ''));
      expect(trainHelp, d.flag).toMatch(new RegExp(`${d.flag}\\b`));
      if (d.kind === 'choice') expect(d.choices!.length).toBeGreaterThan(1);
      else if (d.kind !== 'boolean') expect(typeof d.min).toBe('number');
    }
  });

  it('the CLI and validateSettings accept and reject the same values at every bound', async () => {
    const base = defaultSettings('hub', 'grpo', 'highs');
    for (const d of SETTINGS.filter((x) => x.kind === 'int' || x.kind === 'number')) {
      const flag = d.flag.slice(2);
      const ok = [d.min!, ...(d.max !== undefined ? [d.max] : [])];
      const bad = [d.min! - (d.kind === 'int' ? 1 : 0.001), ...(d.max !== undefined ? [d.max + (d.kind === 'int' ? 1 : 0.001)] : []), ...(d.kind === 'int' ? [d.min! + 0.5] : [])];
      for (const x of ok) {
        expect(validateSettings({ ...base, [d.key]: x }), `${d.key}=${x}`).toEqual([]);
        expect((await trainSettingsFromFlags({ target: 'highs', [flag]: String(x) }))[d.key], `${d.flag} ${x}`).toBe(x);
      }
      for (const x of bad) {
        expect(validateSettings({ ...base, [d.key]: x }), `${d.key}=${x}`).toHaveLength(1);
        await expect(trainSettingsFromFlags({ target: 'highs', [flag]: String(x) }), `${d.flag} ${x}`).rejects.toThrow(UsageError);
      }
    }
  });

  it('validation messages name the setting, the rule and the value', () => {
    const d = defaultSettings('hub', 'grpo', 'highs');
    expect(validateSettings({ ...d, group: 1.5 })).toEqual(['Group G must be an integer ≥ 2; got 1.5']);
    expect(validateSettings({ ...d, loraRank: 65 })).toEqual(['LoRA rank r must be an integer between 1 and 64; got 65']);
    expect(validateSettings({ ...d, temperature: 0 })).toEqual(['Temperature must be a number between 0.01 and 10; got 0']);
    expect(validateSettings({ ...d, lr: NaN })).toEqual(['Learning rate must be a number between 0 and 1; got NaN']);
    expect(validateSettings({ ...d, algo: 'ppo' as 'grpo' })).toEqual(['Algorithm must be one of grpo, dapo, drgrpo; got "ppo"']);
    expect(validateSettings({ ...d, tolerance: 'loose' as 'int' })[0]).toMatch(/^Tolerance must be one of rel5pct, rel1e-4, sirl, int; got "loose"$/);
    expect(validateSettings({ ...d, group: '8' as unknown as number })).toEqual(['Group G must be an integer ≥ 2; got "8"']);
    expect(validateSettings({ ...d, seed: -1, steps: 0 })).toEqual(['Steps must be an integer ≥ 1; got 0', 'Seed must be an integer ≥ 0; got -1']);
    expect(() => trainerConfigFrom({ ...d, microBatch: 0 })).toThrow(/invalid training settings: Micro-batch must be an integer ≥ 1; got 0/);
  });

  it('the CLI line of a run card builds the same TrainerConfig as trainerConfigFrom', async () => {
    for (const s of NON_DEFAULT) {
      const card = makeRunCard({ model: { kind: 'hub', id: 'Qwen/Qwen2.5-0.5B-Instruct' }, settings: s, data: { description: 'x', train_items: 3, eval_items: 1 } });
      const argv = shellArgv(card.cli.train);
      expect(argv.slice(0, 3)).toEqual(['evom', 'train', '--model']);
      const { values } = parseArgs({ args: argv.slice(2), options: TRAIN_OPTIONS, strict: true });
      expect(values).toMatchObject({ model: 'Qwen/Qwen2.5-0.5B-Instruct', data: 'train.jsonl', out: 'run' });
      const fromCli = await trainSettingsFromFlags(values);
      expect(fromCli).toEqual(s);
      const ref = referenceConfig(values);
      const built = trainerConfigFrom(fromCli);
      expect(built).toEqual({ cfg: ref.cfg, lora: ref.lora });
      expect(ref.steps).toBe(s.steps);
    }
    // spot checks against hand-computed values
    const { cfg, lora } = trainerConfigFrom(NON_DEFAULT[0]!);
    expect(cfg).toMatchObject({ algo: 'dapo', group: 4, maxNewTokens: 48, overlongBuffer: 12, temperature: 0.7, microBatch: 2, updatesPerBatch: 2, dynamicSampling: true });
    expect(cfg.loss).toMatchObject({ maxNewTokens: 48, beta: 0.04, epsHigh: 0.28 });
    expect(cfg.optimizer).toMatchObject({ lr: 0.0025, totalSteps: 37 });
    expect(lora).toMatchObject({ rank: 16, alpha: 8, dropout: 0 });
  });

  it('the eval line and arguments that need quoting', () => {
    const s = NON_DEFAULT[0]!;
    const c = cliCommands({ model: { kind: 'local', id: 'my files' }, settings: s, adapter_from: "anna's run" });
    expect(shellArgv(c.eval)).toEqual(['evom', 'eval', '--model', './model', '--adapter', 'run/adapter', '--benchmark', 'eval.jsonl', '--target', 'glpk', '--tolerance', 'int']);
    const train = shellArgv(c.train);
    expect(train.slice(0, 6)).toEqual(['evom', 'train', '--model', './model', '--data', 'train.jsonl']);
    expect(train[train.indexOf('--adapter') + 1]).toBe("anna's run/adapter");
    expect(train.slice(-2)).toEqual(['--out', 'run']);
    expect(shellArgv(cliCommands({ model: { kind: 'builtin', id: 'evom-tiny' }, settings: s }).train)[3]).toBe('public/models/evom-tiny');
    for (const x of ['a b', "it's", '$HOME', '`id`', 'x;rm -rf y', '', '*', 'a\nb', '"q"', '\\']) expect(shellArgv(`npx ${shellQuote(x)}`), JSON.stringify(x)).toEqual([x]);
  });
});

describe('run cards', () => {
  const card = () => makeRunCard({
    title: 'Anna\'s "first" run', model: { kind: 'hub', id: 'Qwen/Qwen2.5-0.5B-Instruct' }, settings: NON_DEFAULT[0]!,
    data: { description: 'generator: knapsack, production (difficulty 2, 48 items, seed 1)', train_items: 36, eval_items: 12, train_sha256: 'a'.repeat(64) },
    metrics: [stepMetrics(1), stepMetrics(2, { loss: NaN })], evaluations: [{ label: 'after training', target: 'highs', summary: SUMMARY }], adapter_from: 'run-1',
  });

  it('names the software, data files and settings; round-trips through JSON and parseRunCard', () => {
    const c = card();
    expect(c).toMatchObject({ format: 'evom-run-card', version: 1, software: { name: 'evom-web', version: PKG.version }, data: { train_file: 'train.jsonl', eval_file: 'eval.jsonl' } });
    expect(Date.parse(c.created)).toBeGreaterThan(Date.parse('2024-01-01'));
    expect(c.cli.train).toMatch(/^npx evom train --model Qwen\/Qwen2\.5-0\.5B-Instruct --data train\.jsonl /);
    expect(c.cli.train).toContain('--adapter run-1/adapter');
    const back = parseRunCard(JSON.stringify(c, null, 2), 'card.json');
    expect(back).toEqual(c);
    expect(Number.isNaN(back.metrics[1]!.loss)).toBe(true);
    const minimal = makeRunCard({ model: { kind: 'builtin', id: 'evom-tiny' }, settings: defaultSettings('hub', 'grpo', 'highs'), data: { description: 'd', train_items: 1, eval_items: 0 } });
    expect(parseRunCard(JSON.stringify(minimal), 'm.json')).toEqual(minimal);
    expect('title' in minimal || 'adapter_from' in minimal).toBe(false);
    // recompute: a bare --recompute when on; a card from before the setting reads as off
    expect(c.cli.train).toMatch(/ --recompute /);
    expect(minimal.cli.train).not.toContain('--recompute');
    const old = JSON.parse(JSON.stringify(c));
    delete old.settings.recompute;
    expect(parseRunCard(JSON.stringify(old), 'old.json').settings.recompute).toBe(false);
    expect(() => parseRunCard(JSON.stringify({ ...c, settings: { ...c.settings, recompute: 'yes' } }), 'bad.json')).toThrow(/Recompute activations must be true or false; got "yes"/);
    // the frozen base's storage: --quant in the command; a card from before it reads as 'none'
    expect(c.cli.train).toMatch(new RegExp(` --quant ${c.settings.quant} `));
    delete old.settings.quant;
    expect(parseRunCard(JSON.stringify(old), 'old.json').settings.quant).toBe('none');
    expect(() => parseRunCard(JSON.stringify({ ...c, settings: { ...c.settings, quant: 'q3' } }), 'bad.json')).toThrow(/Frozen base must be one of none, q8, q4; got "q3"/);
    // a card from before intervals: Wilson's over its scored completions (6 of 12: [0.2538, 0.7462])
    const noCi = JSON.parse(JSON.stringify(c));
    delete noCi.evaluations[0].summary.accuracy_ci95;
    delete noCi.evaluations[0].summary.items_scored;
    const s = parseRunCard(JSON.stringify(noCi), 'old.json').evaluations[0]!.summary;
    expect(s.items_scored).toBe(12);
    expect(s.accuracy_ci95[0]).toBeCloseTo(0.2538, 4);
    expect(s.accuracy_ci95[1]).toBeCloseTo(0.7462, 4);
    noCi.evaluations[0].summary.accuracy_ci95 = [0.8, 0.2];
    expect(() => parseRunCard(JSON.stringify(noCi), 'bad.json')).toThrow(/"evaluations\[0\]\.summary\.accuracy_ci95" must be \[low, high\]/);
  });

  it('malformed cards: a DataError that names the file, field and reason', () => {
    const cases: [(c: Record<string, any>) => unknown, RegExp][] = [
      [() => 'not json', /^card\.json: not valid JSON/],
      [() => [], /a run card must be a JSON object/],
      [(c) => { c.format = 'other'; }, /"format" must be "evom-run-card"; got "other"/],
      [(c) => { c.version = 2; }, /run card version 2 is not supported/],
      [(c) => { delete c.software; }, /"software" must be an object/],
      [(c) => { c.created = 'yesterday'; }, /"created" must be an ISO 8601 date/],
      [(c) => { c.title = 5; }, /"title" must be a string; got 5/],
      [(c) => { delete c.model; }, /"model" must be an object/],
      [(c) => { c.model.kind = 'remote'; }, /"model\.kind" must be one of builtin, hub, local; got "remote"/],
      [(c) => { delete c.model.id; }, /"model\.id" is missing/],
      [(c) => { c.data.train_items = -1; }, /"data\.train_items" must be an integer ≥ 0; got -1/],
      [(c) => { c.data.train_file = 'x.jsonl'; }, /"data\.train_file" must be one of train\.jsonl/],
      [(c) => { c.data.train_sha256 = 'abc'; }, /"data\.train_sha256" must be 64 lowercase hex digits/],
      [(c) => { c.settings = null; }, /"settings" must be an object; got null/],
      [(c) => { delete c.settings.lr; }, /"settings\.lr" is missing/],
      [(c) => { c.settings.group = 1; }, /"settings": Group G must be an integer ≥ 2; got 1/],
      [(c) => { c.settings.target = 'excel'; }, /"settings": Target must be one of highs, glpk/],
      [(c) => { c.metrics = {}; }, /"metrics" must be an array/],
      [(c) => { c.metrics[1].loss = 'x'; }, /"metrics\[1\]\.loss" must be a number; got "x"/],
      [(c) => { delete c.metrics[0].ms.train; }, /"metrics\[0\]\.ms\.train" is missing/],
      [(c) => { c.metrics[0].step = 1.5; }, /"metrics\[0\]\.step" must be an integer ≥ 0/],
      [(c) => { delete c.evaluations; }, /"evaluations" is missing/],
      [(c) => { delete c.evaluations[0].summary.accuracy; }, /"evaluations\[0\]\.summary\.accuracy" is missing/],
      [(c) => { c.evaluations[0].summary.tolerance = 'x'; }, /"evaluations\[0\]\.summary\.tolerance" must be one of/],
      [(c) => { delete c.cli.train; }, /"cli\.train" is missing/],
    ];
    for (const [edit, re] of cases) {
      const c = JSON.parse(JSON.stringify(card())) as Record<string, any>;
      const r = edit(c);
      const text = typeof r === 'string' ? r : JSON.stringify(r ?? c);
      let err: unknown;
      try { parseRunCard(text, 'card.json'); } catch (e) { err = e; }
      expect(err, String(re)).toBeInstanceOf(DataError);
      expect((err as Error).message, String(re)).toMatch(re);
      expect((err as Error).message).toMatch(/^card\.json: /);
    }
  });
});

describe('metrics export', () => {
  it('CSV: header with flattened classes.* and ms.*, one row per step', () => {
    const csv = metricsCsv([stepMetrics(1), stepMetrics(2)]);
    const lines = csv.split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(4);
    expect(lines[0]!.split(',')).toEqual([
      'step', 'reward_mean', 'reward_std', 'accuracy', 'format_rate', 'exec_rate',
      'classes.correct', 'classes.wrong_answer', 'classes.no_model', 'classes.format_error', 'classes.parse_error', 'classes.runtime_error', 'classes.timeout', 'classes.infeasible', 'classes.unbounded', 'classes.solver_error', 'classes.not_evaluated',
      'groups_used', 'groups_dropped', 'loss', 'kl', 'entropy', 'clip_fraction', 'completion_length', 'grad_norm', 'lr', 'tokens_per_s',
      'ms.generate', 'ms.verify_wait', 'ms.train', 'ms.update', 'ms.total',
    ]);
    expect(lines[2]!.split(',').slice(0, 7)).toEqual(['2', '0.7', '0.25', '0.25', '0.75', '0.5', '2']);
    expect(lines[2]!.split(',').at(-1)).toBe('1250');
    // no steps yet: the header alone
    expect(metricsCsv([])).toBe(lines[0] + '\r\n');
  });

  it('CSV quotes fields with commas, quotes and line breaks (RFC 4180)', () => {
    const odd = { ...stepMetrics(1), label: 'run 1, GRPO', note: 'a "b"', other: 'x\ny' } as unknown as StepMetrics;
    const csv = metricsCsv([odd]);
    expect(csv.split('\r\n')[0]!.endsWith(',label,note,other')).toBe(true);
    expect(csv).toContain(',"run 1, GRPO","a ""b""","x\ny"\r\n');
  });

  it('JSONL round trip, and errors that name the line', () => {
    const m = [stepMetrics(1), stepMetrics(2)];
    const text = metricsJsonl(m);
    expect(text.split('\n')).toHaveLength(3);
    expect(parseMetricsJsonl(text, 'm.jsonl')).toEqual(m);
    expect(() => parseMetricsJsonl(text + '{oops\n', 'm.jsonl')).toThrow(/^m\.jsonl:3: not valid JSON/);
    const { loss: _l, ...noLoss } = stepMetrics(3);
    expect(() => parseMetricsJsonl(text + '\n' + JSON.stringify(noLoss), 'm.jsonl')).toThrow(/^m\.jsonl:4: "loss" is missing/);
    expect(() => parseMetricsJsonl('[1]\n', 'm.jsonl')).toThrow(/^m\.jsonl:1: each line must be a JSON object/);
    expect(() => parseMetricsJsonl('\n', 'm.jsonl')).toThrow(DataError);
  });
});

describe('share links', () => {
  const config: ShareConfig = {
    settings: NON_DEFAULT[0]!, model: { kind: 'hub', id: 'Qwen/Qwen2.5-0.5B-Instruct' },
    data: { kind: 'generator', families: ['knapsack', 'production'], difficulty: 3, count: 48, seed: 7 }, evalFraction: 0.25, title: 'Week 3: knapsack ✓',
  };
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');

  it('round trip through the URL hash', () => {
    const link = shareLinkFor('https://studio.example/evom/?lang=en#old', config);
    expect(link).toMatch(/^https:\/\/studio\.example\/evom\/\?lang=en#run=[A-Za-z0-9_-]+$/);
    expect(shareConfigFromHash(new URL(link).hash)).toEqual(config);
    for (const data of [{ kind: 'bundled', file: 'nl4opt.jsonl' }, { kind: 'url', url: 'https://data.example/p.jsonl?v=2' }] as ShareConfig['data'][]) {
      const c = { ...config, data, model: { kind: 'builtin' as const, id: 'evom-tiny' } };
      expect(shareConfigFromHash(new URL(shareLinkFor('http://localhost:5173/', c)).hash)).toEqual(c);
    }
    expect(shareConfigFromHash('')).toBeNull();
    expect(shareConfigFromHash('#tab=train')).toBeNull();
    // the link's own credentials never travel
    expect(shareLinkFor('https://me:SECRET@studio.example/', config)).not.toContain('SECRET');
  });

  it('only whitelisted fields travel: a token in the config or the hash is dropped', () => {
    const tainted = {
      ...config, token: 'SECRET', remote: { url: 'http://127.0.0.1:8787', token: 'SECRET' },
      settings: { ...config.settings, serverToken: 'SECRET' }, model: { ...config.model, hubUrl: 'https://u:SECRET@hub.example' },
      data: { ...config.data, token: 'SECRET' },
    };
    const link = shareLinkFor('https://studio.example/', tainted as unknown as ShareConfig);
    expect(Buffer.from(link.split('#run=')[1]!, 'base64url').toString('utf8')).not.toContain('SECRET');
    const fromHash = shareConfigFromHash(`#run=${b64(tainted)}`);
    expect(fromHash).toEqual(config);
    expect(JSON.stringify(fromHash)).not.toContain('SECRET');
  });

  it('uploads and URLs with credentials cannot be shared', () => {
    expect(() => shareLinkFor('https://s/', { ...config, data: { kind: 'upload', name: 'mine.jsonl' } } as unknown as ShareConfig)).toThrow(/uploaded file cannot be shared in a link/);
    expect(() => shareLinkFor('https://s/', { ...config, data: { kind: 'upload', name: 'mine.jsonl' } } as unknown as ShareConfig)).toThrow(UsageError);
    expect(() => shareLinkFor('https://s/', { ...config, data: { kind: 'url', url: 'https://bob:pw@data.example/p.jsonl' } })).toThrow(/user name or password/);
    expect(() => shareLinkFor('https://s/', { ...config, data: { kind: 'url', url: 'https://data.example/p.jsonl?access_token=abc' } })).toThrow(/query parameter "access_token"/);
    expect(() => shareLinkFor('https://s/', { ...config, settings: { ...config.settings, group: 1 } })).toThrow(UsageError);
  });

  it('a malformed hash gives a DataError with the reason', () => {
    const cases: [string, RegExp][] = [
      ['#run=!!!', /not valid base64url/],
      ['#run=a', /not valid base64url/],
      [`#run=${Buffer.from('{oops').toString('base64url')}`, /not valid JSON/],
      [`#run=${b64([1])}`, /"config" must be an object/],
      [`#run=${b64({ ...config, settings: undefined })}`, /"settings" must be an object/],
      [`#run=${b64({ ...config, settings: { ...config.settings, lr: 5 } })}`, /Learning rate must be a number between 0 and 1; got 5/],
      [`#run=${b64({ ...config, data: { kind: 'upload', name: 'x' } })}`, /"data\.kind" must be one of generator, bundled, url; got "upload"/],
      [`#run=${b64({ ...config, data: { ...config.data, families: ['cooking'] } })}`, /"data\.families" must list families/],
      [`#run=${b64({ ...config, data: { kind: 'bundled', file: '../../etc/passwd' } })}`, /"data\.file"/],
      [`#run=${b64({ ...config, data: { kind: 'url', url: 'javascript:alert(1)' } })}`, /http\(s\) URL/],
      [`#run=${b64({ ...config, data: { kind: 'url', url: 'https://a:b@x.example/d.jsonl' } })}`, /user name or password/],
      [`#run=${b64({ ...config, model: { kind: 'hub', id: 'https://evil.example/m' } })}`, /"model\.id" is not a Hub model id/],
      [`#run=${b64({ ...config, evalFraction: 1 })}`, /"evalFraction" must be a number in \[0, 1\)/],
    ];
    for (const [hash, re] of cases) {
      let err: unknown;
      try { shareConfigFromHash(hash); } catch (e) { err = e; }
      expect(err, hash).toBeInstanceOf(DataError);
      expect((err as Error).message, hash).toMatch(/^shared link: /);
      expect((err as Error).message, hash).toMatch(re);
    }
  });
});
