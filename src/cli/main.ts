// `npx evom …`: the command line. One file per command in this folder, loaded when it runs; flag
// helpers in args.ts. Command names, flags and JSON fields are a public contract (pinned by
// test/cli.test.ts). Errors a user can cause are EvomErrors: printed as one line, exit code 2 (a run
// stopped by the machine, RunStoppedError: one line, exit code 1).

import { EvomError, RunStoppedError } from '../errors.ts';
import { FAMILIES } from '../problems/generator.ts';
import { loadTargetPlugins, sandboxTargetNames, workerTargetNames } from '../targets/registry.ts';
import { DEFAULTS } from '../verifier/config.ts';
import { TOLERANCE_RULES } from '../verifier/tolerance.ts';
import { defaultIo, type Io } from './args.ts';
import { trainUsage } from './settings-flags.ts';

const usage = () => `evom — execution-verified optimization modeling

Usage:
  evom verify --target T --answer NUMBER|infeasible [--question FILE|-] [--tolerance R] [--protocol P]
              [--raw] [FILE|-]
      Verify one completion (from FILE or stdin); prints one JSON line. --question gives the
      problem's text: the numbers it states may appear in the model (the integrity rule).
  evom eval --benchmark FILE.jsonl --completions FILE.jsonl --target T [--tolerance R] [--protocol P]
            [--out FILE] [--json] [--workers N] [--errata]
      Verify {"id","completion"} lines against a benchmark; writes per-item results (JSONL)
      and prints a summary (--json: one JSON object on stdout). --errata scores against the
      corrected answers of public/benchmarks/errata.jsonl (both are reported).
  evom eval --benchmark FILE.jsonl --model DIR|HUB_ID [--adapter DIR] --target T [--samples N]
            [--temperature T] [--max-new-tokens K] [--seed S] [--batch P] [--limit N] [--out FILE] [--json] [--errata]
      End to end: the policy writes the completions (greedy unless --temperature > 0; P prompts
      decoded together), then they are verified as above. Writes FILE and FILE's .completions.jsonl.
  evom prompt --benchmark FILE.jsonl --target T [--protocol P]
      Print the chat messages the policy sees for each item (JSONL): the target's language, the
      rules its checker enforces, an example.
  evom demo [--steps N] [--eval-count N] [--eval-samples K] [--seed S | --seeds 1-5] [--out DIR] [--json]
            [evom train's setting flags: --lr, --temperature, --algo, --prompts-per-step …]
      The built-in demo: the tiny built-in policy's accuracy on held-out generated problems,
      GRPO training with solver rewards on other generated problems, accuracy again; each with
      its 95 % interval and n, the paired gain with a bootstrap interval. --seeds runs one demo
      per seed and pools the gains; --json prints one object (before, after, gain, seeds).
  evom demo --transfer [--from highs] [--to glpk] [--steps 10] [--adapt-steps 3] [--eval-count 100] [--seed S]
            [--out DIR] [--json]
      Solver transfer on the multi-language built-in policy: evaluate under A and B; GRPO under A;
      evaluate under A and B (zero-shot transfer); k steps under B from A's adapter and k from the
      base, both evaluated under B; one table of paired differences with intervals.
  evom transfer --model DIR|HUB_ID --benchmark FILE.jsonl --from A --to B --out DIR [--data FILE|generator]
                [--steps N] [--adapt-steps K] [--eval-count N] [--eval-samples K] [--eval-temperature T]
                [--batch P] [--json] [--hub-url URL] [evom train's setting flags]
      The same experiment for any model and benchmark (evaluation items: the benchmark's; training
      items: --data, default generated problems); writes OUT/transfer.json and a run card per run.
  evom demo --verifier [--count N] [--seed S]
      The reward environment alone: generated problems, gold and broken completions in every
      target, verified through the worker pool; prints a table of outcome classes and rewards.
  evom generate --model DIR|HUB_ID --prompt TEXT [--chat] [--n N] [--temperature T] [--top-p P]
               [--top-k K] [--seed S] [--max-new-tokens K] [--json] [--runtime chromium|node] [--hub-url URL]
               [--adapter DIR]
      Sample from a causal LM (Qwen2/Qwen3/Llama) with the WGSL engine. --temperature 0 is greedy.
      --json: one line per sequence {"prompt_ids","ids","logprobs","text"}.
${trainUsage()}
  evom merge --model DIR|HUB_ID --adapter DIR --out DIR [--dtype same|f32]
      Merge a PEFT LoRA adapter into the base weights (W + alpha/r·B·A) and write a plain model
      folder (model.safetensors in the base's dtype, or f32; config and tokenizer files copied).
  evom plan --model DIR|HUB_ID [--batch B] [--context T] [--dtype auto|f16|f32] [--quant q4|q8]
            [--train [--group G] [--micro-batch N] [--max-new-tokens N] [--prompt-tokens N]
                     [--lora-rank R] [--budget GIB] [--recompute]]
      Print the memory plan (weights, KV cache, activations per token) for a model's config
      (--quant: the layers' matrices quantized in groups of 32, as evom train --quant loads them); with
      --train, also LoRA GRPO/DAPO training's (trainer defaults; --recompute: activations recomputed
      in the backward) against WebGPU's default limits and the budget, and the nearest --micro-batch
      / --recompute / --quant / --max-new-tokens that fits when it does not.
  evom serve [--host H] [--port P] [--tokens FILE] [--config FILE] [--workers N] [--classes FILE] [--class-data DIR]
      Run the sandbox server for Python targets (pulp, scipy, gurobi, copt, ortools where installed).
      --classes: collect students' runs (one "CLASS_ID STUDENT_TOKEN TEACHER_TOKEN" per line);
      --class-data: keep them in DIR across restarts (else in memory).
  evom class list|delete --server URL [--token TEACHER_TOKEN] [--student PSEUDONYM] [--json]
      A class's runs collected by a sandbox server (its classes_file): list prints pseudonym, run,
      model, target, steps, last reward, last accuracy and when received; delete removes every run
      and pseudonym of the class (--student: one student's). The token may be in EVOM_CLASS_TOKEN.
  evom class new-tokens CLASS_ID
      Print a classes_file line for a new class with fresh student and teacher tokens.
  evom problems [--family F[,F…]|all] [--count N] [--seed S] [--difficulty D]
      Generate word problems with gold models and solved answers (benchmark-style JSONL).

Targets: ${workerTargetNames().join(', ')} (in-browser);
         ${sandboxTargetNames().join(', ')} through --server URL[,URL…] with the token in
         EVOM_SERVER_TOKEN or --token-file FILE (verify, eval)
Tolerance rules: ${TOLERANCE_RULES.join(', ')} (default ${DEFAULTS.tolerance})
Protocol: strict (only <think>…</think><code>…</code>) or lenient (also one fenced block; default ${DEFAULTS.protocol})
Families: ${FAMILIES.join(', ')}`;

type Command = (args: string[], io: Io) => Promise<number>;
const COMMANDS: Record<string, () => Promise<Command>> = {
  verify: async () => (await import('./verify.ts')).cmdVerify,
  eval: async () => (await import('./eval.ts')).cmdEval,
  demo: async () => (await import('./demo.ts')).cmdDemo,
  generate: async () => (await import('./generate.ts')).cmdGenerate,
  train: async () => (await import('./train.ts')).cmdTrain,
  merge: async () => (await import('./merge.ts')).cmdMerge,
  plan: async () => (await import('./plan.ts')).cmdPlan,
  serve: async () => (await import('./serve.ts')).cmdServe,
  prompt: async () => (await import('./prompt.ts')).cmdPrompt,
  problems: async () => (await import('./problems.ts')).cmdProblems,
  transfer: async () => (await import('./transfer.ts')).cmdTransfer,
  class: async () => (await import('./class.ts')).cmdClass,
};

/** The usage lines of one command (every form of it), from the usage text. */
function commandUsage(cmd: string): string {
  const blocks = usage().split('\n\n')[1]!.split('\n').reduce<string[][]>((acc, line) => {
    if (line.startsWith('  evom ')) acc.push([line]); else acc[acc.length - 1]?.push(line);
    return acc;
  }, []);
  return ['Usage:', ...blocks.filter((b) => b[0]!.startsWith(`  evom ${cmd} `) || b[0] === `  evom ${cmd}`).flat()].join('\n');
}

/** Run the CLI; returns the exit code (0 ok, 1 runtime failure, 2 usage or data error). */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    await loadTargetPlugins();
    if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      io.stdout(usage() + '\n');
      return cmd ? 0 : 2;
    }
    const load = COMMANDS[cmd];
    if (!load) {
      io.stderr(`evom: unknown command "${cmd}"\n\n${usage()}\n`);
      return 2;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(commandUsage(cmd) + '\n');
      return 0;
    }
    return await (await load())(rest, io);
  } catch (e) {
    if (e instanceof EvomError) {
      io.stderr(`evom ${cmd ?? ''}: ${e.message}\n`);
      return e instanceof RunStoppedError ? 1 : 2;
    }
    io.stderr(`evom ${cmd ?? ''}: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}
