// `npx evom …`: the command line. Command names, flags and JSON fields are a public contract
// (pinned by test/cli.test.ts).

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DEFAULTS, type ProtocolStrictness } from '../verifier/config.ts';
import { EvomError, UsageError, UnknownTargetError } from '../errors.ts';
import { loadBenchmarkFile, loadCompletionsFile, writeJsonl } from '../problems/benchmarks-node.ts';
import { buildMessages, PYTHON_TARGETS } from '../problems/prompt.ts';
import { evaluateCompletions, formatSummary } from '../verifier/evaluate.ts';
import type { RemoteVerifier } from '../verifier/remote.ts';
import { createNodePool } from '../verifier/pool-node.ts';
import { parseAnswer } from '../verifier/score.ts';
import { IN_BROWSER_TARGETS, isInBrowserTarget } from '../targets/target.ts';
import { isToleranceRule, TOLERANCE_RULES, type ToleranceRule } from '../verifier/tolerance.ts';
import { FAMILIES, parseFamilies } from '../problems/generator.ts';
import { generateBenchmark } from '../problems/generated.ts';
import { createTargets } from '../targets/runners.ts';
import { formatDemo, runVerifierDemo } from './demo-verifier.ts';
import { nodeSolverAssets } from '../targets/assets-node.ts';
import type { TrainSettings } from '../rl/run-card.ts';

const USAGE = `evom — execution-verified optimization modeling

Usage:
  evom verify --target T --answer NUMBER|infeasible [--tolerance R] [--protocol P] [--raw] [FILE|-]
      Verify one completion (from FILE or stdin); prints one JSON line.
  evom eval --benchmark FILE.jsonl --completions FILE.jsonl --target T [--tolerance R] [--protocol P]
            [--out FILE] [--json] [--workers N]
      Verify {"id","completion"} lines against a benchmark; writes per-item results (JSONL)
      and prints a summary (--json: one JSON object on stdout).
  evom eval --benchmark FILE.jsonl --model DIR|HUB_ID [--adapter DIR] --target T [--samples N]
            [--temperature T] [--max-new-tokens K] [--seed S] [--batch P] [--limit N] [--out FILE] [--json]
      End to end: the policy writes the completions (greedy unless --temperature > 0; P prompts
      decoded together), then they are verified as above. Writes FILE and FILE's .completions.jsonl.
  evom prompt --benchmark FILE.jsonl --target T
      Print the chat messages the policy sees for each item (JSONL).
  evom demo [--steps N] [--eval-count N] [--seed S] [--out DIR]
      The built-in demo: the tiny built-in policy's accuracy on held-out generated problems,
      GRPO training with solver rewards on other generated problems, accuracy again.
  evom demo --verifier [--count N] [--seed S]
      The reward environment alone: generated problems, gold and broken completions in every
      target, verified through the worker pool; prints a table of outcome classes and rewards.
  evom generate --model DIR|HUB_ID --prompt TEXT [--chat] [--n N] [--temperature T] [--top-p P]
               [--top-k K] [--seed S] [--max-new-tokens K] [--json] [--runtime chromium|node] [--hub-url URL]
               [--adapter DIR]
      Sample from a causal LM (Qwen2/Qwen3/Llama) with the WGSL engine. --temperature 0 is greedy.
      --json: one line per sequence {"prompt_ids","ids","logprobs","text"}.
  evom train --model DIR|HUB_ID --data FILE.jsonl|generator[:FAMILIES] --target T --out DIR
             [--algo grpo|dapo] [--steps N] [--group G] [--prompts-per-step P] [--lr LR] [--kl BETA]
             [--lora-rank R] [--lora-alpha A] [--adapter DIR] [--max-new-tokens K] [--seed S]
             [--micro-batch M] [--updates-per-batch U] [--temperature T] [--checkpoint-every N] [--tolerance R]
  evom train --resume DIR [--steps N]
      Train a LoRA adapter with GRPO/DAPO, rewarded by solving the completions' models. Writes
      DIR/metrics.jsonl (one line per step), DIR/checkpoints/ and DIR/adapter/ (PEFT format).
  evom merge --model DIR|HUB_ID --adapter DIR --out DIR [--dtype same|f32]
      Merge a PEFT LoRA adapter into the base weights (W + alpha/r·B·A) and write a plain model
      folder (model.safetensors in the base's dtype, or f32; config and tokenizer files copied).
  evom plan --model DIR|HUB_ID [--batch B] [--context T] [--dtype f32|f16]
            [--train [--group G] [--micro-batch N] [--max-new-tokens N] [--prompt-tokens N]
                     [--lora-rank R] [--budget GIB]]
      Print the memory plan (weights, KV cache, activations per token) for a model's config; with
      --train, also LoRA GRPO/DAPO training's (trainer defaults) against WebGPU's default limits and
      the budget, and the nearest --micro-batch / --max-new-tokens that fits when it does not.
  evom serve [--host H] [--port P] [--tokens FILE] [--config FILE] [--workers N]
      Run the sandbox server for Python targets (pulp, scipy, gurobi, copt, ortools where installed).
  evom problems [--family F[,F…]|all] [--count N] [--seed S] [--difficulty D]
      Generate word problems with gold models and solved answers (benchmark-style JSONL).

Targets: ${IN_BROWSER_TARGETS.join(', ')} (in-browser); Python targets through --server URL[,URL…]
         with the token in EVOM_SERVER_TOKEN or --token-file FILE (verify, eval)
Tolerance rules: ${TOLERANCE_RULES.join(', ')} (default ${DEFAULTS.tolerance})
Protocol: strict (only <think>…</think><code>…</code>) or lenient (also one fenced block; default ${DEFAULTS.protocol})
Families: ${FAMILIES.join(', ')}`;

type Io = { stdout: (s: string) => void; stderr: (s: string) => void; stdin: () => Promise<string>; stderrIsTty: boolean };

const defaultIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  stderrIsTty: Boolean(process.stderr.isTTY),
};

type Options = NonNullable<ParseArgsConfig['options']>;
function parse<const O extends Options>(args: string[], options: O, positionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals: positionals, strict: true as const });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function requireTarget(t: unknown, remote = false): string {
  if (typeof t !== 'string') throw new UsageError('--target is required');
  if (!isInBrowserTarget(t) && !remote) throw new UnknownTargetError(t, IN_BROWSER_TARGETS);
  return t;
}

/** Sandbox servers for Python targets: --server URL[,URL…] and the token from a file or EVOM_SERVER_TOKEN. */
async function remoteFrom(values: { server?: string; 'token-file'?: string }): Promise<RemoteVerifier | undefined> {
  if (!values.server) return undefined;
  let token = process.env.EVOM_SERVER_TOKEN ?? '';
  if (values['token-file']) {
    try { token = (await readFile(values['token-file'], 'utf8')).split(/\r?\n/).map((l) => l.trim()).find((l) => l && !l.startsWith('#')) ?? ''; } catch { throw new UsageError(`cannot read --token-file ${values['token-file']}`); }
  }
  if (!token) throw new UsageError('--server needs a token: EVOM_SERVER_TOKEN or --token-file FILE');
  const { RemoteVerifier } = await import('../verifier/remote.ts');
  return new RemoteVerifier({ urls: values.server.split(',').map((u) => u.trim()).filter(Boolean), token });
}

function toleranceOf(t: unknown): ToleranceRule {
  if (t === undefined) return DEFAULTS.tolerance;
  if (typeof t !== 'string' || !isToleranceRule(t)) throw new UsageError(`--tolerance must be one of ${TOLERANCE_RULES.join(', ')}; got ${String(t)}`);
  return t;
}

function protocolOf(p: unknown): ProtocolStrictness {
  if (p === undefined) return DEFAULTS.protocol;
  if (p !== 'strict' && p !== 'lenient') throw new UsageError(`--protocol must be strict or lenient; got ${String(p)}`);
  return p;
}

function intFlag(v: unknown, name: string, dflt: number, min = 0): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer ≥ ${min}; got ${String(v)}`);
  return n;
}

async function cmdVerify(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    target: { type: 'string' }, answer: { type: 'string' }, tolerance: { type: 'string' }, raw: { type: 'boolean' },
    protocol: { type: 'string' }, server: { type: 'string' }, 'token-file': { type: 'string' },
  }, true);
  const remote = await remoteFrom(values);
  const target = requireTarget(values.target, Boolean(remote));
  if (values.answer === undefined) throw new UsageError('--answer is required (a number, or "infeasible")');
  let answer;
  try { answer = parseAnswer(values.answer); } catch (e) { throw new UsageError(`--answer: ${(e as Error).message}`); }
  const tolerance = toleranceOf(values.tolerance);
  if (positionals.length > 1) throw new UsageError('verify takes one FILE (or - for stdin)');
  const file = positionals[0] ?? '-';
  let completion: string;
  if (file === '-') completion = await io.stdin();
  else {
    try { completion = await readFile(file, 'utf8'); } catch { throw new UsageError(`cannot read ${file}`); }
  }
  const pool = createNodePool({ size: 1, remote });
  try {
    const o = await pool.verify({ completion, target, answer, raw_code: Boolean(values.raw), config: { tolerance, protocol: protocolOf(values.protocol) } });
    io.stdout(JSON.stringify(o) + '\n');
  } finally {
    await pool.close();
  }
  return 0;
}

function progressBar(io: Io): (done: number, total: number) => void {
  let lastPct = -1;
  const t0 = Date.now();
  return (done, total) => {
    const pct = Math.floor((100 * done) / Math.max(1, total));
    if (io.stderrIsTty) {
      if (pct === lastPct && done !== total) return;
      const width = 30, fill = Math.round((width * done) / Math.max(1, total));
      const rate = done / Math.max(0.001, (Date.now() - t0) / 1000);
      io.stderr(`\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total} ${rate.toFixed(1)}/s`);
      if (done === total) io.stderr('\n');
    } else if (Math.floor(pct / 10) !== Math.floor(lastPct / 10) || done === total) {
      io.stderr(`progress ${done}/${total}\n`);
    }
    lastPct = pct;
  };
}

async function cmdEval(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, {
    benchmark: { type: 'string' }, completions: { type: 'string' }, target: { type: 'string' },
    tolerance: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, workers: { type: 'string' },
    protocol: { type: 'string' }, server: { type: 'string' }, 'token-file': { type: 'string' },
    model: { type: 'string' }, adapter: { type: 'string' }, samples: { type: 'string' }, temperature: { type: 'string' },
    'max-new-tokens': { type: 'string' }, seed: { type: 'string' }, batch: { type: 'string' }, limit: { type: 'string' },
    'hub-url': { type: 'string' },
  });
  if (!values.benchmark) throw new UsageError('--benchmark FILE.jsonl is required');
  if (values.model !== undefined && values.completions !== undefined) throw new UsageError('give --completions FILE (verify existing completions) or --model M (generate them), not both');
  if (values.model !== undefined) return evalPolicyCmd(values, io);
  const policyOnly = (['adapter', 'samples', 'temperature', 'max-new-tokens', 'seed', 'batch', 'limit', 'hub-url'] as const).filter((k) => values[k] !== undefined);
  if (policyOnly.length) throw new UsageError(`--${policyOnly[0]} needs --model (it applies when the policy generates the completions)`);
  if (!values.completions) throw new UsageError('--completions FILE.jsonl (or --model DIR|HUB_ID) is required');
  const remote = await remoteFrom(values);
  const target = requireTarget(values.target, Boolean(remote));
  const tolerance = toleranceOf(values.tolerance);
  const protocol = protocolOf(values.protocol);
  const items = await loadBenchmarkFile(values.benchmark);
  const completions = await loadCompletionsFile(values.completions);
  const out = values.out ?? join(dirname(values.completions), basename(values.completions).replace(/\.jsonl$/, '') + `.${target}.results.jsonl`);
  const pool = createNodePool({ ...(values.workers ? { size: intFlag(values.workers, '--workers', 1, 1) } : {}), remote });
  try {
    const { results, summary } = await evaluateCompletions(items, completions, pool, {
      target, tolerance, protocol, source: values.completions, onProgress: progressBar(io),
    });
    await writeJsonl(out, results);
    if (values.json) io.stdout(JSON.stringify({ ...summary, results_file: out }) + '\n');
    else io.stdout(formatSummary(summary) + `\nper-item results: ${out}\n`);
  } finally {
    await pool.close();
  }
  return 0;
}

async function evalPolicyCmd(values: Record<string, string | boolean | undefined>, io: Io): Promise<number> {
  const remote = await remoteFrom(values as { server?: string; 'token-file'?: string });
  const target = requireTarget(values.target, Boolean(remote));
  const tolerance = toleranceOf(values.tolerance);
  if (values.protocol !== undefined) throw new UsageError('--protocol applies to --completions; a policy is evaluated under the default protocol it was trained with');
  const { evaluatePolicy } = await import('./eval-policy.ts');
  const { adapterSource, resolveModelSource } = await import('./generate.ts');
  const hubUrl = String(values['hub-url'] ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co');
  const source = resolveModelSource(String(values.model), hubUrl, io);
  const adapter = adapterSource(values.adapter as string | undefined);
  let items = await loadBenchmarkFile(String(values.benchmark));
  if (values.limit !== undefined) items = items.slice(0, intFlag(values.limit, '--limit', items.length, 1));
  const sampling = {
    n: intFlag(values.samples, '--samples', 1, 1),
    temperature: numFlag(values.temperature, '--temperature', 0, 0, 10),
    maxNewTokens: intFlag(values['max-new-tokens'], '--max-new-tokens', 256, 1),
    seed: intFlag(values.seed, '--seed', 0, 0),
  };
  if (sampling.n > 1 && sampling.temperature === 0) throw new UsageError('--samples > 1 needs --temperature > 0 (greedy samples are all the same)');
  const batchPrompts = intFlag(values.batch, '--batch', Math.max(1, Math.floor(16 / sampling.n)), 1);
  const out = String(values.out ?? `evom-eval.${target}.results.jsonl`);
  const pool = createNodePool({ ...(values.workers ? { size: intFlag(values.workers, '--workers', 1, 1) } : {}), remote });
  try {
    const bar = progressBar(io);
    const r = await evaluatePolicy(source, adapter, items, pool, { target, tolerance, sampling, batchPrompts }, { generate: bar });
    const compFile = out.replace(/(\.results)?\.jsonl$/, '') + '.completions.jsonl';
    await writeJsonl(compFile, r.completions);
    await writeJsonl(out, r.results);
    const g = r.generation;
    io.stderr(`${g.adapter}: ${g.tokens} tokens generated in ${(g.generate_ms / 1000).toFixed(1)} s (${(g.tokens / Math.max(0.001, g.generate_ms / 1000)).toFixed(1)} tokens/s)\n`);
    if (values.json) io.stdout(JSON.stringify({ ...r.summary, model: values.model, adapter: values.adapter ?? null, generation: g, results_file: out, completions_file: compFile }) + '\n');
    else io.stdout(formatSummary(r.summary) + `\ncompletions: ${compFile}\nper-item results: ${out}\n`);
  } finally {
    await pool.close();
  }
  return 0;
}

async function cmdPrompt(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, { benchmark: { type: 'string' }, target: { type: 'string' } });
  if (!values.benchmark) throw new UsageError('--benchmark FILE.jsonl is required');
  const target = requireTarget(values.target, (PYTHON_TARGETS as readonly string[]).includes(String(values.target)));
  const items = await loadBenchmarkFile(values.benchmark);
  for (const it of items) io.stdout(JSON.stringify({ id: it.id, messages: buildMessages(it.question, target), answer: it.answer }) + '\n');
  return 0;
}

async function cmdProblems(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, {
    family: { type: 'string' }, count: { type: 'string' }, seed: { type: 'string' }, difficulty: { type: 'string' },
  });
  let families;
  try { families = parseFamilies(values.family ?? 'all'); } catch (e) { throw new UsageError((e as Error).message); }
  const count = intFlag(values.count, '--count', 10, 1);
  const seed = intFlag(values.seed, '--seed', 1, 0);
  const difficulty = intFlag(values.difficulty, '--difficulty', 2, 1);
  if (difficulty > 5) throw new UsageError(`--difficulty must be between 1 and 5; got ${difficulty}`);
  const targets = createTargets(nodeSolverAssets);
  for (const line of await generateBenchmark({ families, count, seed, difficulty }, targets)) io.stdout(JSON.stringify(line) + '\n');
  return 0;
}

async function cmdDemo(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, { count: { type: 'string' }, seed: { type: 'string' }, verifier: { type: 'boolean' }, steps: { type: 'string' }, out: { type: 'string' }, 'eval-count': { type: 'string' } });
  if (!values.verifier) {
    if (values.count !== undefined) throw new UsageError('--count belongs to the verifier demo (evom demo --verifier); the training demo takes --eval-count');
    const { runTrainingDemo, DEMO } = await import('./demo.ts');
    await runTrainingDemo({
      steps: intFlag(values.steps, '--steps', DEMO.steps, 1), seed: intFlag(values.seed, '--seed', DEMO.seed, 0),
      evalCount: intFlag(values['eval-count'], '--eval-count', DEMO.evalCount, 1), ...(values.out ? { out: values.out } : {}),
    }, io);
    return 0;
  }
  if (values.steps !== undefined || values.out !== undefined || values['eval-count'] !== undefined) throw new UsageError('--steps, --eval-count and --out belong to the training demo (evom demo without --verifier)');
  const count = intFlag(values.count, '--count', 12, 1);
  const seed = intFlag(values.seed, '--seed', 2026, 0);
  const pool = createNodePool();
  try {
    const t0 = Date.now();
    const rows = await runVerifierDemo(pool, createTargets(nodeSolverAssets), { count, seed });
    io.stdout(formatDemo(rows, count) + `\n\n${pool.stats().completed} verifications on ${pool.size} workers in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  } finally {
    await pool.close();
  }
  return 0;
}

function numFlag(v: unknown, name: string, dflt: number, lo: number, hi: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi) throw new UsageError(`${name} must be a number between ${lo} and ${hi}; got ${String(v)}`);
  return n;
}

async function cmdGenerate(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, {
    model: { type: 'string' }, prompt: { type: 'string' }, chat: { type: 'boolean' }, n: { type: 'string' },
    temperature: { type: 'string' }, 'top-p': { type: 'string' }, 'top-k': { type: 'string' }, seed: { type: 'string' },
    'max-new-tokens': { type: 'string' }, json: { type: 'boolean' }, runtime: { type: 'string' }, 'hub-url': { type: 'string' },
    adapter: { type: 'string' },
  });
  if (!values.model) throw new UsageError('--model DIR|HUB_ID is required');
  if (values.prompt === undefined) throw new UsageError('--prompt TEXT is required');
  const runtime = values.runtime ?? 'chromium';
  if (runtime !== 'chromium' && runtime !== 'node') throw new UsageError(`--runtime must be chromium or node; got ${runtime}`);
  const { runGenerate, GENERATE_DEFAULTS } = await import('./generate.ts');
  await runGenerate({
    model: values.model, prompt: values.prompt, chat: Boolean(values.chat), json: Boolean(values.json), runtime, adapterDir: values.adapter,
    hubUrl: values['hub-url'] ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co',
    params: {
      n: intFlag(values.n, '--n', 1, 1),
      temperature: numFlag(values.temperature, '--temperature', GENERATE_DEFAULTS.temperature, 0, 100),
      topP: numFlag(values['top-p'], '--top-p', GENERATE_DEFAULTS.topP, 0.000001, 1),
      topK: intFlag(values['top-k'], '--top-k', GENERATE_DEFAULTS.topK, 0),
      seed: intFlag(values.seed, '--seed', GENERATE_DEFAULTS.seed, 0),
      maxNewTokens: intFlag(values['max-new-tokens'], '--max-new-tokens', GENERATE_DEFAULTS.maxNewTokens, 1),
    },
  }, io);
  return 0;
}

/** `evom train`'s options (parseArgs); every TrainSettings flag is among them (test/run-card.test.ts). */
export const TRAIN_OPTIONS = {
  model: { type: 'string' }, data: { type: 'string' }, target: { type: 'string' }, algo: { type: 'string' },
  'lora-rank': { type: 'string' }, 'lora-alpha': { type: 'string' }, group: { type: 'string' }, steps: { type: 'string' },
  lr: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, resume: { type: 'string' }, kl: { type: 'string' },
  adapter: { type: 'string' }, 'max-new-tokens': { type: 'string' }, 'prompts-per-step': { type: 'string' },
  'checkpoint-every': { type: 'string' }, 'micro-batch': { type: 'string' }, 'updates-per-batch': { type: 'string' },
  temperature: { type: 'string' }, tolerance: { type: 'string' }, 'hub-url': { type: 'string' },
} as const satisfies Options;

/** `evom train`'s flags → TrainSettings (defaults from run-card.ts); UsageError naming the flag for a bad value. */
export async function trainSettingsFromFlags(values: { readonly [flag: string]: string | boolean | undefined }): Promise<TrainSettings> {
  const target = requireTarget(values.target);
  const algo = values.algo ?? 'grpo';
  if (algo !== 'grpo' && algo !== 'dapo') throw new UsageError(`--algo must be grpo or dapo; got ${String(algo)}`);
  const tolerance = toleranceOf(values.tolerance);
  const { defaultSettings, MAX_LORA_RANK } = await import('../rl/run-card.ts');
  const d = defaultSettings(algo, target);
  const group = intFlag(values.group, '--group', d.group, 2);
  const promptsPerStep = intFlag(values['prompts-per-step'], '--prompts-per-step', d.promptsPerStep, 1);
  const seed = intFlag(values.seed, '--seed', d.seed, 0);
  const maxNewTokens = intFlag(values['max-new-tokens'], '--max-new-tokens', d.maxNewTokens, 1);
  const microBatch = intFlag(values['micro-batch'], '--micro-batch', d.microBatch, 1);
  const updatesPerBatch = intFlag(values['updates-per-batch'], '--updates-per-batch', d.updatesPerBatch, 1);
  const temperature = numFlag(values.temperature, '--temperature', d.temperature, 0.01, 10);
  const lr = numFlag(values.lr, '--lr', d.lr, 0, 1);
  const kl = numFlag(values.kl, '--kl', d.kl, 0, 100);
  const steps = intFlag(values.steps, '--steps', d.steps, 1);
  const loraRank = intFlag(values['lora-rank'], '--lora-rank', d.loraRank, 1);
  if (loraRank > MAX_LORA_RANK) throw new UsageError(`--lora-rank must be at most ${MAX_LORA_RANK}; got ${loraRank}`);
  const loraAlpha = numFlag(values['lora-alpha'], '--lora-alpha', 2 * loraRank, 0.001, 1e6);
  return { algo, target, tolerance, steps, group, promptsPerStep, lr, kl, loraRank, loraAlpha, maxNewTokens, temperature, seed, microBatch, updatesPerBatch };
}

async function cmdTrain(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, TRAIN_OPTIONS);
  const train = await import('./train.ts');
  const { resolveModelSource } = await import('./generate.ts');
  if (values.resume !== undefined) {
    const other = Object.keys(values).filter((k) => k !== 'resume' && k !== 'steps');
    if (other.length) throw new UsageError(`--resume DIR continues the run saved there; it takes only --steps (got --${other.join(', --')})`);
    const { run } = train.loadRun(values.resume);
    const steps = values.steps === undefined ? undefined : intFlag(values.steps, '--steps', 1, 1);
    await train.resumeTrain(values.resume, resolveModelSource(run.model, run.hubUrl, io), io, steps);
    return 0;
  }
  if (!values.model) throw new UsageError('--model DIR|HUB_ID is required');
  if (!values.data) throw new UsageError('--data FILE.jsonl|generator[:FAMILIES] is required');
  if (!values.out) throw new UsageError('--out DIR is required');
  const settings = await trainSettingsFromFlags(values);
  const hubUrl = values['hub-url'] ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co';
  // the same TrainerConfig as the Studio builds for these settings
  const { trainerConfigFrom } = await import('../rl/run-card.ts');
  const { cfg, lora } = trainerConfigFrom(settings);
  const data = await train.loadTrainData(values.data, cfg.seed);
  await train.startTrain({
    run: { model: values.model, hubUrl, ...(values.adapter ? { adapterDir: values.adapter } : {}), cfg, lora, steps: settings.steps, checkpointEvery: intFlag(values['checkpoint-every'], '--checkpoint-every', 10, 1) },
    data, out: values.out,
  }, resolveModelSource(values.model, hubUrl, io), io);
  return 0;
}

async function cmdServe(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, { host: { type: 'string' }, port: { type: 'string' }, tokens: { type: 'string' }, config: { type: 'string' }, workers: { type: 'string' } });
  const { serve } = await import('../../server/main.ts');
  await serve({
    file: values.config,
    flags: {
      host: values.host, tokens_file: values.tokens,
      port: values.port === undefined ? undefined : intFlag(values.port, '--port', 8787, 0),
      workers: values.workers === undefined ? undefined : intFlag(values.workers, '--workers', 1, 1),
    },
  }, io);
  return 0;
}

async function cmdMerge(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, { model: { type: 'string' }, adapter: { type: 'string' }, out: { type: 'string' }, dtype: { type: 'string' }, 'hub-url': { type: 'string' } });
  if (!values.model) throw new UsageError('--model DIR|HUB_ID is required');
  if (!values.out) throw new UsageError('--out DIR is required');
  const dtype = values.dtype ?? 'same';
  if (dtype !== 'same' && dtype !== 'f32') throw new UsageError(`--dtype must be same or f32; got ${dtype}`);
  const { adapterSource, resolveModelSource } = await import('./generate.ts');
  const adapter = adapterSource(values.adapter);
  if (!adapter) throw new UsageError('--adapter DIR (a PEFT LoRA adapter folder) is required');
  if (existsSync(join(values.out, 'model.safetensors'))) throw new UsageError(`--out ${values.out} already holds a model.safetensors; pick an empty folder`);
  const { mergeAdapter } = await import('../model/merge.ts');
  const files = await mergeAdapter(resolveModelSource(values.model, values['hub-url'] ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co', io), adapter, dtype === 'f32' ? { dtype: 'F32' } : {});
  await mkdir(values.out, { recursive: true });
  for (const [name, data] of Object.entries(files)) await writeFile(join(values.out, name), data);
  io.stdout(`merged ${values.adapter} into ${values.model}: ${values.out} (${Object.keys(files).join(', ')})\n`);
  return 0;
}

async function cmdPlan(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, {
    model: { type: 'string' }, batch: { type: 'string' }, context: { type: 'string' }, dtype: { type: 'string' }, 'hub-url': { type: 'string' },
    train: { type: 'boolean' }, group: { type: 'string' }, 'micro-batch': { type: 'string' }, 'max-new-tokens': { type: 'string' },
    'prompt-tokens': { type: 'string' }, 'lora-rank': { type: 'string' }, budget: { type: 'string' },
  });
  if (!values.model) throw new UsageError('--model DIR|HUB_ID is required');
  const dtype = values.dtype ?? 'f16';
  if (dtype !== 'f16' && dtype !== 'f32') throw new UsageError(`--dtype must be f16 or f32; got ${dtype}`);
  const { resolveModelSource } = await import('./generate.ts');
  const { loadModelConfig } = await import('../model/source.ts');
  const { memoryPlan, formatMemoryPlan, checkTrainingFit, fitTrainingShape, formatBytes } = await import('../gpu/memory-plan.ts');
  const cfg = await loadModelConfig(resolveModelSource(values.model, values['hub-url'] ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co', io));
  const bytes = dtype === 'f16' ? 2 : 4;
  const plan = memoryPlan(cfg, { weightBytesPerParam: bytes, kvBytesPerValue: bytes, batch: intFlag(values.batch, '--batch', 8, 1), contextTokens: intFlag(values.context, '--context', 1024, 1) });
  const limits = { maxStorageBufferBindingSize: 128 * 1048576, maxBufferSize: 256 * 1048576 }; // WebGPU's defaults
  io.stdout(formatMemoryPlan(plan, limits) + '\n');
  if (!values.train) {
    for (const f of ['group', 'micro-batch', 'max-new-tokens', 'prompt-tokens', 'lora-rank', 'budget'] as const) if (values[f] !== undefined) throw new UsageError(`--${f} describes training: add --train`);
    return 0;
  }
  const { defaultSettings } = await import('../rl/run-card.ts');
  const d = defaultSettings('grpo', 'highs');
  const shape = {
    group: intFlag(values.group, '--group', d.group, 2), microBatch: intFlag(values['micro-batch'], '--micro-batch', d.microBatch, 1),
    maxNewTokens: intFlag(values['max-new-tokens'], '--max-new-tokens', d.maxNewTokens, 1), promptTokens: intFlag(values['prompt-tokens'], '--prompt-tokens', 256, 1),
    loraRank: intFlag(values['lora-rank'], '--lora-rank', d.loraRank, 1),
  };
  const budget = values.budget === undefined ? Infinity : numFlag(values.budget, '--budget', 0, 1 / 1024, 1 << 20) * 2 ** 30;
  const fit = checkTrainingFit(cfg, shape, limits, budget), t = fit.training;
  io.stdout([
    '',
    `Training (LoRA r${shape.loraRank} GRPO/DAPO, G ${shape.group}, micro-batch ${shape.microBatch}, ${shape.promptTokens} prompt + ${shape.maxNewTokens} new tokens, f32 weights as the engine holds them):`,
    `  weights ${formatBytes(t.weights)} · KV cache ${formatBytes(t.kvCache)} · saved activations ${formatBytes(t.savedActivations)} · backward scratch ${formatBytes(t.backwardScratch)} · trainable ${formatBytes(t.trainable)}`,
    `  total ${formatBytes(t.total)}${budget < Infinity ? ` of a ${formatBytes(budget)} budget` : ''}`,
    ...(fit.problems.length ? fit.problems.map((p) => `  ! ${p}`) : ['  fits']),
  ].join('\n') + '\n');
  if (fit.problems.length) {
    const s = fitTrainingShape(cfg, shape, limits, budget);
    io.stdout(s ? `  nearest that fits: --micro-batch ${s.microBatch}${s.maxNewTokens < shape.maxNewTokens ? ` --max-new-tokens ${s.maxNewTokens}` : ''} (${formatBytes(s.training)})\n`
      : '  no micro-batch or completion length fits: this model needs larger buffer limits or more memory\n');
  }
  return 0;
}

const COMMANDS: Record<string, (args: string[], io: Io) => Promise<number>> = {
  verify: cmdVerify, eval: cmdEval, demo: cmdDemo, generate: cmdGenerate, train: cmdTrain, merge: cmdMerge, plan: cmdPlan, serve: cmdServe, prompt: cmdPrompt, problems: cmdProblems,
};

/** Run the CLI; returns the exit code (0 ok, 1 runtime failure, 2 usage or data error). */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.stdout(USAGE + '\n');
    return cmd ? 0 : 2;
  }
  const run = COMMANDS[cmd];
  if (!run) {
    io.stderr(`evom: unknown command "${cmd}"\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await run(rest, io);
  } catch (e) {
    if (e instanceof EvomError) {
      io.stderr(`evom ${cmd}: ${e.message}\n`);
      return 2;
    }
    io.stderr(`evom ${cmd}: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}
