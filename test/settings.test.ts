// The settings table (src/rl/settings.ts) and what is generated from it: `evom train`'s flags,
// bounds and usage text (src/cli/settings-flags.ts), the defaults per model (the built-in policy's
// are `evom demo`'s), Dr. GRPO, and maxNewTokens kept once.
import { describe, expect, it } from 'vitest';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { main } from '../src/cli/main.ts';
import {
  defaultText, modelKindOf, runOptionsFromFlags, settingsFromFlags, TRAIN_ALL_OPTIONS, TRAIN_FLAG_OPTIONS, TRAIN_OTHER_OPTIONS, trainUsage,
} from '../src/cli/settings-flags.ts';
import {
  ALGORITHMS, defaultRunOptions, defaultSettings, SETTING_TABLE, SETTINGS, trainerConfigFrom, trainerDefaults, validateSettings,
  type SettingInfo, type TrainSettings,
} from '../src/rl/settings.ts';
import * as runCard from '../src/rl/run-card.ts';
import * as trainer from '../src/rl/trainer.ts';
import { DAPO_DEFAULTS, DR_GRPO_DEFAULTS, GRPO_DEFAULTS, overlongPenalty, policyLoss } from '../src/rl/grpo.ts';
import { OPTIMIZER_DEFAULTS } from '../src/rl/optimizer.ts';
import { DEFAULT_LORA } from '../src/rl/lora.ts';
import { UsageError } from '../src/errors.ts';

const TABLE = SETTING_TABLE as readonly SettingInfo[];
const flagName = (d: SettingInfo) => d.flag.slice(2);

/** A value in range that differs from both defaults (choices: another choice). */
function otherValue(d: SettingInfo): string {
  if (d.key === 'target') return 'glpk';
  if (d.kind === 'choice') return d.choices!.find((c) => c !== d.default?.hub && c !== d.default?.builtin)!;
  const lo = d.min!, hi = d.max ?? lo + 1000;
  const v = d.kind === 'int' ? Math.min(hi, lo + 3) : lo + (hi - lo) / 7;
  return String(v);
}

describe('the settings table', () => {
  it('names every TrainSettings key once, plus --checkpoint-every; run-card and trainer re-export the same functions', () => {
    expect(SETTINGS.map((d) => d.key).sort()).toEqual(Object.keys(defaultSettings('hub', 'grpo', 'highs')).sort());
    expect(TABLE.filter((d) => d.cliOnly).map((d) => [d.key, d.flag])).toEqual([['checkpointEvery', '--checkpoint-every']]);
    expect(new Set(TABLE.map((d) => d.key)).size).toBe(TABLE.length);
    expect(new Set(TABLE.map((d) => d.flag)).size).toBe(TABLE.length);
    for (const d of TABLE) {
      expect(d.flag, d.key).toMatch(/^--[a-z][a-z-]*$/);
      expect(d.help.length, d.key).toBeGreaterThan(30);
      if (d.kind === 'int' || d.kind === 'number') expect(typeof d.min, d.key).toBe('number');
      // a default for both kinds of model, or a rule for it
      expect(d.default !== undefined || d.derived !== undefined, d.key).toBe(true);
    }
    expect(runCard.defaultSettings).toBe(defaultSettings);
    expect(runCard.SETTINGS).toBe(SETTINGS);
    expect(runCard.trainerConfigFrom).toBe(trainerConfigFrom);
    expect(trainer.trainerDefaults).toBe(trainerDefaults);
    expect(defaultRunOptions('hub')).toEqual({ checkpointEvery: 10 });
  });

  it('defaults per model: the built-in policy gets the demo\'s, a Hub model the CLI\'s', () => {
    expect(defaultSettings('builtin', 'grpo', 'highs')).toEqual({
      algo: 'grpo', target: 'highs', tolerance: 'rel5pct', steps: 10, group: 8, promptsPerStep: 2, lr: 5e-4, kl: 0,
      loraRank: 8, loraAlpha: 16, maxNewTokens: 112, temperature: 1, seed: 0, microBatch: 16, updatesPerBatch: 1, quant: 'none', recompute: false,
    });
    expect(defaultSettings('hub', 'dapo', 'glpk')).toEqual({
      algo: 'dapo', target: 'glpk', tolerance: 'rel5pct', steps: 100, group: 8, promptsPerStep: 2, lr: 1e-5, kl: 0,
      loraRank: 8, loraAlpha: 16, maxNewTokens: 256, temperature: 1, seed: 0, microBatch: 4, updatesPerBatch: 1, quant: 'none', recompute: false,
    });
    for (const model of ['builtin', 'hub'] as const) for (const algo of ALGORITHMS) expect(validateSettings(defaultSettings(model, algo, 'highs'))).toEqual([]);
  });

  it('the built-in defaults build exactly the TrainerConfig and LoRA config `evom demo` built by hand', () => {
    for (const [seed, steps] of [[1, 10], [7, 3]] as const) {
      // src/cli/demo.ts before the settings table: the old trainerDefaults('grpo', 'highs', 'rel5pct'), then the demo's values
      const old = {
        algo: 'grpo', target: 'highs', tolerance: 'rel5pct', group: 8, promptsPerStep: 2, seed: 0, maxNewTokens: 256,
        temperature: 1, topP: 1, topK: 0, loss: { ...GRPO_DEFAULTS, maxNewTokens: 256 },
        optimizer: { ...OPTIMIZER_DEFAULTS, lr: 1e-5 }, updatesPerBatch: 1, microBatch: 4,
        dynamicSampling: false, maxRefill: 0, overlongBuffer: 0,
      };
      Object.assign(old, { group: 8, promptsPerStep: 2, seed, maxNewTokens: 112, microBatch: 16 });
      old.loss.maxNewTokens = 112;
      old.optimizer.lr = 5e-4; // 2e-3 until the five-seed demo measurements (README: Does the gain hold?)
      old.optimizer.totalSteps = steps;
      const oldLora = { ...DEFAULT_LORA, rank: 8, alpha: 16 };

      const { cfg, lora } = trainerConfigFrom({ ...defaultSettings('builtin', 'grpo', 'highs'), seed, steps });
      expect(cfg).toStrictEqual(old);
      expect(lora).toStrictEqual(oldLora);
      // and JSON (run.json) has the same fields
      expect(Object.keys(cfg)).toEqual(Object.keys(old));
      expect(JSON.parse(JSON.stringify(cfg))).toEqual(JSON.parse(JSON.stringify(old)));
    }
  });

  it('a Hub model\'s defaults build the trainer\'s defaults as before the table', () => {
    for (const algo of ['grpo', 'dapo'] as const) {
      const before = {
        algo, target: 'glpk', tolerance: 'rel5pct', group: 8, promptsPerStep: 2, seed: 0, maxNewTokens: 256,
        temperature: 1, topP: 1, topK: 0, loss: { ...(algo === 'dapo' ? DAPO_DEFAULTS : GRPO_DEFAULTS), maxNewTokens: 256 },
        optimizer: { ...OPTIMIZER_DEFAULTS, lr: 1e-5 }, updatesPerBatch: 1, microBatch: 4,
        dynamicSampling: algo === 'dapo', maxRefill: algo === 'dapo' ? 4 : 0, overlongBuffer: algo === 'dapo' ? 64 : 0,
      };
      expect(trainerDefaults(algo, 'glpk', 'rel5pct')).toStrictEqual(before);
    }
    // the built-in model's trainer defaults are its settings' defaults
    const b = trainerDefaults('grpo', 'highs', 'rel5pct', 'builtin');
    expect(b).toMatchObject({ maxNewTokens: 112, microBatch: 16, optimizer: { lr: 5e-4 }, loss: { maxNewTokens: 112 } });
  });

  it('DAPO\'s overlong buffer is the last quarter of the completion cap, for every model and cap', () => {
    // the built-in policy (112 new tokens): a 64-token buffer would penalize answers past 48 tokens
    const builtin = trainerConfigFrom(defaultSettings('builtin', 'dapo', 'highs')).cfg;
    expect(builtin).toMatchObject({ maxNewTokens: 112, overlongBuffer: 28 });
    expect(overlongPenalty(84, 112, builtin.overlongBuffer)).toBe(0);
    expect(overlongPenalty(98, 112, builtin.overlongBuffer)).toBeCloseTo(-0.5, 12);
    expect(trainerConfigFrom({ ...defaultSettings('hub', 'dapo', 'highs'), maxNewTokens: 512 }).cfg.overlongBuffer).toBe(128);
    expect(trainerConfigFrom({ ...defaultSettings('hub', 'dapo', 'highs'), maxNewTokens: 3 }).cfg.overlongBuffer).toBe(0);
    expect(trainerConfigFrom({ ...defaultSettings('builtin', 'grpo', 'highs'), maxNewTokens: 512 }).cfg.overlongBuffer).toBe(0);
  });

  it('Dr. GRPO is selectable and gives the DR_GRPO loss config', () => {
    expect(ALGORITHMS).toContain('drgrpo');
    expect(SETTINGS.find((d) => d.key === 'algo')!.choices).toEqual(['grpo', 'dapo', 'drgrpo']);
    const s = settingsFromFlags({ target: 'highs', algo: 'drgrpo', 'max-new-tokens': '200', kl: '0.01' }, 'hub');
    expect(s.algo).toBe('drgrpo');
    const { cfg } = trainerConfigFrom(s);
    expect(cfg.algo).toBe('drgrpo');
    expect(cfg.loss).toStrictEqual({ ...DR_GRPO_DEFAULTS, beta: 0.01, maxNewTokens: 200 });
    expect(cfg.loss).toMatchObject({ aggregation: 'seq-mean-token-sum-norm', advantages: 'drgrpo', epsHigh: 0.2 });
    expect(cfg).toMatchObject({ dynamicSampling: false, maxRefill: 0, overlongBuffer: 0, maxNewTokens: 200 });
    // Dr. GRPO's L_max is the completion cap: each token of a sequence weighs 1/(G·maxNewTokens)
    const pl = policyLoss([{ logp: [-1, -1], old: [-1, -1], ref: [-1, -1], advantage: 1 }], { ...cfg.loss, maxNewTokens: cfg.maxNewTokens });
    expect(pl.dlogp[0]![0]).toBeCloseTo(-1 / 200, 12);
  });
});

describe('evom train\'s flags, generated from the table', () => {
  it('every setting has a flag that parses (parseArgs) into its setting, for both kinds of model', () => {
    expect(Object.keys(TRAIN_FLAG_OPTIONS).sort()).toEqual(TABLE.map(flagName).sort());
    // a boolean setting (--recompute) is a bare flag; every other option takes a value
    for (const [f, o] of Object.entries(TRAIN_ALL_OPTIONS)) expect(o, f).toEqual({ type: TABLE.find((d) => flagName(d) === f)?.kind === 'boolean' ? 'boolean' : 'string' });
    expect(TABLE.filter((d) => d.kind === 'boolean').map((d) => d.flag)).toEqual(['--recompute']);
    expect(Object.keys(TRAIN_OTHER_OPTIONS).sort()).toEqual(['adapter', 'data', 'hub-url', 'model', 'out', 'resume']);
    for (const model of ['builtin', 'hub'] as const) {
      for (const d of TABLE) {
        const value = d.kind === 'boolean' ? true : otherValue(d);
        const args = ['--target', 'highs', d.flag, ...(d.kind === 'boolean' ? [] : [String(value)])];
        const { values } = parseArgs({ args, options: TRAIN_ALL_OPTIONS, strict: true });
        if (d.cliOnly) {
          expect(runOptionsFromFlags(values, model)).toEqual({ ...defaultRunOptions(model), [d.key]: Number(value) });
          continue;
        }
        const s = settingsFromFlags(values, model);
        const want = d.kind === 'choice' || d.kind === 'boolean' ? value : Number(value);
        expect(s[d.key as keyof TrainSettings], `${d.flag} ${value}`).toBe(want);
        // the others keep the model's defaults
        const base = defaultSettings(model, (d.key === 'algo' ? value : 'grpo') as 'grpo', d.key === 'target' ? String(value) : 'highs');
        const others = { ...s, [d.key]: base[d.key as keyof TrainSettings] };
        if (d.key === 'loraRank') others.loraAlpha = base.loraAlpha; // alpha follows the rank when not given
        expect(others, d.flag).toEqual(base);
      }
    }
  });

  it('the built-in folder takes the built-in defaults, anything else a Hub model\'s', () => {
    const dir = join(import.meta.dirname, '..', 'public', 'models', 'evom-tiny');
    expect(modelKindOf(dir, dir)).toBe('builtin');
    expect(modelKindOf(relative(process.cwd(), dir) + '/', dir)).toBe('builtin');
    expect(modelKindOf('Qwen/Qwen2.5-0.5B-Instruct', dir)).toBe('hub');
    expect(modelKindOf(join(dir, '..'), dir)).toBe('hub');
  });

  it('no flags: the model\'s defaults; --lora-alpha is 2 × the rank unless given', () => {
    expect(settingsFromFlags({ target: 'highs' }, 'builtin')).toEqual(defaultSettings('builtin', 'grpo', 'highs'));
    expect(settingsFromFlags({ target: 'glpk', algo: 'dapo' }, 'hub')).toEqual(defaultSettings('hub', 'dapo', 'glpk'));
    expect(settingsFromFlags({ target: 'highs', 'lora-rank': '4' }, 'hub')).toMatchObject({ loraRank: 4, loraAlpha: 8 });
    expect(settingsFromFlags({ target: 'highs', 'lora-rank': '4', 'lora-alpha': '3' }, 'hub')).toMatchObject({ loraRank: 4, loraAlpha: 3 });
    expect(runOptionsFromFlags({}, 'builtin')).toEqual({ checkpointEvery: 10 });
  });

  it('out-of-range and malformed values: a UsageError that names the flag', () => {
    const bad = (values: Record<string, string>, re: RegExp) => {
      expect(() => { settingsFromFlags({ target: 'highs', ...values }, 'hub'); runOptionsFromFlags(values, 'hub'); }, JSON.stringify(values)).toThrow(UsageError);
      expect(() => { settingsFromFlags({ target: 'highs', ...values }, 'hub'); runOptionsFromFlags(values, 'hub'); }, JSON.stringify(values)).toThrow(re);
    };
    for (const d of TABLE.filter((x) => x.kind === 'int' || x.kind === 'number')) {
      const f = flagName(d);
      const below = d.min! - (d.kind === 'int' ? 1 : 0.001);
      bad({ [f]: String(below) }, new RegExp(`^${d.flag} must be an? (integer|number) .*; got ${below}$`));
      if (d.max !== undefined) bad({ [f]: String(d.max + (d.kind === 'int' ? 1 : 0.001)) }, new RegExp(`^${d.flag} must be `));
      if (d.kind === 'int') bad({ [f]: String(d.min! + 0.5) }, new RegExp(`^${d.flag} must be an integer`));
      bad({ [f]: 'abc' }, new RegExp(`^${d.flag} must be an? (integer|number) .*; got abc$`));
      // the bounds themselves are accepted, as validateSettings accepts them
      for (const ok of [d.min!, ...(d.max !== undefined ? [d.max] : [])]) {
        if (d.cliOnly) expect(runOptionsFromFlags({ [f]: String(ok) }, 'hub')[d.key as 'checkpointEvery']).toBe(ok);
        else expect(settingsFromFlags({ target: 'highs', [f]: String(ok) }, 'hub')[d.key as keyof TrainSettings]).toBe(ok);
      }
    }
    bad({ algo: 'ppo' }, /^--algo must be one of grpo, dapo, drgrpo; got ppo$/);
    bad({ recompute: 'yes' }, /^--recompute takes no value$/);
    expect(() => parseArgs({ args: ['--recompute=yes'], options: TRAIN_ALL_OPTIONS, strict: true })).toThrow(/does not take an argument/);
    expect(settingsFromFlags({ target: 'highs', recompute: true }, 'hub').recompute).toBe(true);
    expect(trainerConfigFrom(settingsFromFlags({ target: 'highs', recompute: true }, 'hub')).cfg.recompute).toBe(true);
    // --quant: the frozen base's storage, passed to the trainer's engine; 'none' leaves the config as before
    expect(trainerConfigFrom(settingsFromFlags({ target: 'highs', quant: 'q4' }, 'hub')).cfg.quant).toBe('q4');
    expect('quant' in trainerConfigFrom(settingsFromFlags({ target: 'highs' }, 'hub')).cfg).toBe(false);
    bad({ quant: 'q2' }, /--quant must be one of none, q8, q4; got "?q2"?/);
    bad({ tolerance: 'loose' }, /^--tolerance must be one of rel5pct, rel1e-4, sirl, int; got loose$/);
    bad({ 'lora-rank': '65' }, /^--lora-rank must be at most 64; got 65$/);
    expect(() => settingsFromFlags({}, 'hub')).toThrow(/--target is required/);
    expect(() => settingsFromFlags({ target: 'cplex' }, 'hub')).toThrow(/unknown target "cplex"/);
  });

  it('the usage text lists every flag with its default (and the built-in model\'s where it differs)', async () => {
    const usage = trainUsage();
    let help = '';
    await main(['train', '--help'], { stdout: (s) => { help += s; }, stderr: () => undefined, stdin: async () => '', stderrIsTty: false });
    expect(help).toBe(`Usage:\n${usage}\n`);
    expect(usage).toMatch(/^ {2}evom train --model /);
    expect(usage).not.toMatch(/\n\n/);
    for (const d of TABLE) {
      const line = usage.split('\n').find((l) => l.trimStart().startsWith(`${d.flag} `));
      expect(line, d.flag).toBeDefined();
      expect(line, d.flag).toContain(d.arg);
      expect(line, d.flag).toContain(defaultText(d));
      if (d.default) {
        const { hub, builtin } = d.default;
        const n = (v: string | number | boolean) => (typeof v === 'number' && v !== 0 && v < 1e-3 ? v.toExponential() : String(v));
        expect(line, d.flag).toContain(`default ${n(hub)}`);
        if (builtin !== hub) expect(line, d.flag).toContain(`built-in model ${n(builtin)}`);
      }
    }
    expect(usage).toContain('--lr LR');
    expect(usage).toMatch(/--lr LR +Learning rate, default 1e-5; built-in model 5e-4/);
    expect(usage).toMatch(/--algo grpo\|dapo\|drgrpo +Algorithm, default grpo/);
    expect(usage).toMatch(/--lora-alpha A +LoRA alpha α, default 2 × rank/);
    expect(usage).toMatch(/--recompute +Recompute activations, default false/);
    expect(usage).toMatch(/--checkpoint-every N +.*default 10/);
    for (const f of Object.keys(TRAIN_OTHER_OPTIONS)) expect(usage, f).toContain(`--${f} `);
  });
});
