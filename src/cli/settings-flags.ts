// `evom train`'s setting flags, generated from the settings table (src/rl/settings.ts): the
// parseArgs options, flags → TrainSettings with the table's bounds and per-model defaults, and the
// usage text. Nothing here restates a flag, a bound or a default.

import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.ts';
import {
  defaultRunOptions, defaultSettings, SETTING_TABLE, settingProblem, type Algorithm, type ModelKind, type RunOptions,
  type SettingFlag, type SettingInfo, type TrainSettings,
} from '../rl/settings.ts';
import { targetFlag } from './args.ts';

type StringOption = { readonly type: 'string' };
type BooleanOption = { readonly type: 'boolean' };
type Row = (typeof SETTING_TABLE)[number];

/** parseArgs options of every setting flag: each takes a value, but a boolean setting's (--recompute) is a bare flag. */
export const TRAIN_FLAG_OPTIONS = Object.fromEntries(
  (SETTING_TABLE as readonly SettingInfo[]).map((d) => [d.flag.slice(2), { type: d.kind === 'boolean' ? 'boolean' : 'string' }]),
) as { readonly [D in Row as D['flag'] extends `--${infer F extends SettingFlag}` ? F : never]: D['kind'] extends 'boolean' ? BooleanOption : StringOption };

/** `evom train`'s flags that are not settings: what to train, on what, where, and resuming. */
export const TRAIN_OTHER_OPTIONS = {
  model: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' }, resume: { type: 'string' },
  adapter: { type: 'string' }, 'hub-url': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** Every option `evom train` accepts (parseArgs). */
export const TRAIN_ALL_OPTIONS = { ...TRAIN_OTHER_OPTIONS, ...TRAIN_FLAG_OPTIONS } as const;

/** Whose defaults `evom train --model M` takes: the built-in policy's when M is its folder (builtinDir), else a Hub model's. */
export function modelKindOf(model: string, builtinDir: string): ModelKind {
  return resolve(model) === resolve(builtinDir) ? 'builtin' : 'hub';
}

export type FlagValues = { readonly [flag: string]: string | boolean | undefined };

const shownFlag = (v: unknown) => String(v);

/** One flag's value by the table (undefined: not given); UsageError naming the flag. */
function flagValue(d: SettingInfo, raw: string | boolean | undefined): string | number | boolean | undefined {
  if (raw === undefined) return undefined;
  if (d.key === 'target') return targetFlag(raw); // registered, runs here (not on a sandbox server)
  if (d.kind === 'boolean') {
    if (typeof raw !== 'boolean') throw new UsageError(`${d.flag} takes no value`);
    return raw;
  }
  if (typeof raw !== 'string') throw new UsageError(`${d.flag} takes a value`);
  if (d.kind === 'choice') {
    if (!d.choices!.includes(raw)) throw new UsageError(`${d.flag} must be one of ${d.choices!.join(', ')}; got ${raw}`);
    return raw;
  }
  const n = raw.trim() === '' ? NaN : Number(raw);
  // an integer above its maximum says only the maximum (as `evom train` always has)
  if (d.kind === 'int' && d.max !== undefined && Number.isInteger(n) && n > d.max) throw new UsageError(`${d.flag} must be at most ${d.max}; got ${shownFlag(raw)}`);
  const p = settingProblem(d, n, d.flag);
  if (p) throw new UsageError(p.replace(/; got .*$/, `; got ${shownFlag(raw)}`));
  return n;
}

/**
 * `evom train`'s setting flags → TrainSettings: the table's defaults for the model (`builtin`: the
 * built-in policy; `hub`: any other), its bounds (UsageError naming the flag), --lora-alpha 2 × the
 * rank when not given. --target is required.
 */
export function settingsFromFlags(values: FlagValues, model: ModelKind): TrainSettings {
  const table = SETTING_TABLE as readonly SettingInfo[];
  const get = (key: string) => {
    const d = table.find((x) => x.key === key)!;
    return flagValue(d, values[d.flag.slice(2)]);
  };
  const target = targetFlag(values.target);
  const algo = (get('algo') ?? 'grpo') as Algorithm;
  const d = defaultSettings(model, algo, target);
  const out = { ...d } as unknown as Record<string, unknown>;
  for (const info of table) {
    if (info.cliOnly || info.key === 'algo' || info.key === 'target') continue;
    const v = get(info.key);
    if (v !== undefined) out[info.key] = v;
  }
  if (values['lora-alpha'] === undefined) out.loraAlpha = 2 * (out.loraRank as number);
  return out as unknown as TrainSettings;
}

/** `evom train`'s flags that are not TrainSettings (--checkpoint-every), with their defaults for the model. */
export function runOptionsFromFlags(values: FlagValues, model: ModelKind): RunOptions {
  const out = { ...defaultRunOptions(model) } as unknown as Record<string, unknown>;
  for (const info of SETTING_TABLE as readonly SettingInfo[]) {
    if (!info.cliOnly) continue;
    const v = flagValue(info, values[info.flag.slice(2)]);
    if (v !== undefined) out[info.key] = v;
  }
  return out as unknown as RunOptions;
}

const fmt = (v: string | number | boolean) => (typeof v === 'number' && v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential() : String(v));

/** A setting's default as the usage text says it: a Hub model's, then the built-in policy's where it differs. */
export function defaultText(d: SettingInfo): string {
  if (!d.default) return d.derived === 'required' ? 'required' : `default ${d.derived}`;
  const { hub, builtin } = d.default;
  return hub === builtin ? `default ${fmt(hub)}` : `default ${fmt(hub)}; built-in model ${fmt(builtin)}`;
}

/** The flag and its value as the usage text shows it (--algo grpo|dapo|drgrpo, --steps N, --recompute). */
export function flagUsage(d: SettingInfo): string {
  return d.arg ? `${d.flag} ${d.arg}` : d.flag;
}

/**
 * The usage lines of `evom train` (both forms, then every setting flag with its defaults), in
 * src/cli/main.ts's usage format: each form starts with "  evom train ", the rest is indented more.
 */
export function trainUsage(): string {
  const table = SETTING_TABLE as readonly SettingInfo[];
  const width = Math.max(...table.map((d) => flagUsage(d).length)) + 2;
  return [
    '  evom train --model DIR|HUB_ID --data FILE.jsonl|generator[:FAMILIES] --target T --out DIR',
    '             [--adapter DIR] [--hub-url URL] [--SETTING VALUE …]',
    '  evom train --resume DIR [--steps N]',
    '      Train a LoRA adapter with GRPO, DAPO or Dr. GRPO, rewarded by solving the completions\' models.',
    '      Writes DIR/metrics.jsonl (one line per step), DIR/checkpoints/ and DIR/adapter/ (PEFT format).',
    '      --adapter DIR continues from a PEFT adapter. Settings (defaults for a Hub model, and for the',
    '      built-in model public/models/evom-tiny where they differ):',
    ...table.map((d) => `        ${flagUsage(d).padEnd(width)}${d.label}, ${defaultText(d)}`),
  ].join('\n');
}
