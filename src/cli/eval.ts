// `evom eval`: completions (a file, or written by a policy) verified against a benchmark; per-item
// results (JSONL) and a summary.

import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.ts';
import { loadBenchmarkFile, loadCompletionsFile, writeJsonl } from '../problems/benchmarks-node.ts';
import { evaluateCompletions, formatSummary } from '../verifier/evaluate.ts';
import { createNodePool } from '../verifier/pool-node.ts';
import { hubUrlOf, intFlag, numFlag, parse, progressBar, protocolOf, remoteFrom, remoteServersFrom, targetFlag, toleranceOf, type Io } from './args.ts';

export async function cmdEval(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, {
    benchmark: { type: 'string' }, completions: { type: 'string' }, target: { type: 'string' },
    tolerance: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, workers: { type: 'string' },
    protocol: { type: 'string' }, server: { type: 'string' }, 'token-file': { type: 'string' },
    model: { type: 'string' }, adapter: { type: 'string' }, samples: { type: 'string' }, temperature: { type: 'string' },
    'max-new-tokens': { type: 'string' }, seed: { type: 'string' }, batch: { type: 'string' }, limit: { type: 'string' },
    'hub-url': { type: 'string' }, errata: { type: 'boolean' },
  });
  if (!values.benchmark) throw new UsageError('--benchmark FILE.jsonl is required');
  if (values.model !== undefined && values.completions !== undefined) throw new UsageError('give --completions FILE (verify existing completions) or --model M (generate them), not both');
  if (values.model !== undefined) return evalPolicyCmd(values, io);
  const policyOnly = (['adapter', 'samples', 'temperature', 'max-new-tokens', 'seed', 'batch', 'limit', 'hub-url'] as const).filter((k) => values[k] !== undefined);
  if (policyOnly.length) throw new UsageError(`--${policyOnly[0]} needs --model (it applies when the policy generates the completions)`);
  if (!values.completions) throw new UsageError('--completions FILE.jsonl (or --model DIR|HUB_ID) is required');
  const remote = await remoteFrom(values);
  const target = targetFlag(values.target, Boolean(remote));
  const tolerance = toleranceOf(values.tolerance);
  const protocol = protocolOf(values.protocol);
  const items = await loadBenchmarkFile(values.benchmark);
  const completions = await loadCompletionsFile(values.completions);
  const out = values.out ?? join(dirname(values.completions), basename(values.completions).replace(/\.jsonl$/, '') + `.${target}.results.jsonl`);
  const pool = createNodePool({ ...(values.workers ? { size: intFlag(values.workers, '--workers', 1, 1) } : {}), remote });
  try {
    const { results, summary } = await evaluateCompletions(items, completions, pool, {
      target, tolerance, protocol, source: values.completions, errata: Boolean(values.errata), onProgress: progressBar(io),
    });
    await writeJsonl(out, results);
    if (values.json) io.stdout(JSON.stringify({ ...summary, results_file: out }) + '\n');
    else io.stdout(formatSummary(summary) + `\nper-item results: ${out}\n`);
    return notEvaluatedExit(summary.not_evaluated, io);
  } finally {
    await pool.close();
  }
}

/** Exit 1 when some completions never ran: the figures are complete for what was evaluated only. */
function notEvaluatedExit(n: number, io: Io): number {
  if (n === 0) return 0;
  io.stderr(`evom eval: ${n} completions were not evaluated (no sandbox server could run them; see "not_evaluated" in the results); exit 1\n`);
  return 1;
}

async function evalPolicyCmd(values: Record<string, string | boolean | undefined>, io: Io): Promise<number> {
  const remote = await remoteServersFrom(values as { server?: string; 'token-file'?: string });
  const target = targetFlag(values.target, Boolean(remote));
  const tolerance = toleranceOf(values.tolerance);
  if (values.protocol !== undefined) throw new UsageError('--protocol applies to --completions; a policy is evaluated under the default protocol it was trained with');
  const { evaluatePolicy } = await import('./eval-policy.ts');
  const { readAdapterDir, resolveModelSource } = await import('./generate.ts');
  const hubUrl = String(hubUrlOf(values['hub-url']));
  const source = resolveModelSource(String(values.model), hubUrl, io);
  const adapter = await readAdapterDir(values.adapter as string | undefined);
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
  const bar = progressBar(io);
  const r = await evaluatePolicy(source, adapter, items, {
    target, tolerance, sampling, batchPrompts, errata: Boolean(values.errata),
    ...(remote ? { remote } : {}), ...(values.workers ? { workers: intFlag(values.workers, '--workers', 1, 1) } : {}),
  }, { generate: bar });
  const compFile = out.replace(/(\.results)?\.jsonl$/, '') + '.completions.jsonl';
  await writeJsonl(compFile, r.completions);
  await writeJsonl(out, r.results);
  const g = r.generation;
  io.stderr(`${g.adapter}: ${g.tokens} tokens generated in ${(g.generate_ms / 1000).toFixed(1)} s (${(g.tokens / Math.max(0.001, g.generate_ms / 1000)).toFixed(1)} tokens/s)\n`);
  if (values.json) io.stdout(JSON.stringify({ ...r.summary, model: values.model, adapter: values.adapter ?? null, generation: g, results_file: out, completions_file: compFile }) + '\n');
  else io.stdout(formatSummary(r.summary) + `\ncompletions: ${compFile}\nper-item results: ${out}\n`);
  return notEvaluatedExit(r.summary.not_evaluated, io);
}
