// `evom eval --model`: end-to-end evaluation of a policy. The engine page (headless Chromium)
// generates completions for every benchmark item, several prompts decoded together; then the
// verifier pool scores them exactly as `evom eval --completions` does.

import type { BenchmarkItem, CompletionRecord } from '../problems/benchmarks.ts';
import { UsageError } from '../errors.ts';
import { evaluateCompletions, type EvalSummary, type ItemResult } from '../verifier/evaluate.ts';
import type { SamplingParams } from '../gpu/sampling.ts';
import type { HostBatchRequest, HostResult } from '../host/generate-host.ts';
import type { ModelSource } from '../model/source.ts';
import { loadModelConfig } from '../model/source.ts';
import type { VerifierPool } from '../verifier/pool.ts';
import type { ToleranceRule } from '../verifier/tolerance.ts';
import { loadTokenizerFromSource } from '../model/tokenizer.ts';
import { promptIdsFor } from '../rl/trainer.ts';

export interface PolicyEvalOptions {
  target: string;
  tolerance: ToleranceRule;
  /** samples per item, temperature 0 → greedy (the default), seed, max new tokens */
  sampling: Partial<SamplingParams>;
  /** prompts decoded together */
  batchPrompts: number;
  /** score against the benchmark's errata where it has them */
  errata?: boolean;
}

export interface Io { stdout: (s: string) => void; stderr: (s: string) => void }

/** Completions of the policy for each item (n per item, in item order), generated in the engine page. */
export async function generateForItems(
  source: ModelSource, adapter: ModelSource | null, items: Pick<BenchmarkItem, 'id' | 'question'>[], o: PolicyEvalOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<{ completions: CompletionRecord[]; tokens: number; host: Omit<HostResult, 'completions'> }> {
  const cfg = await loadModelConfig(source);
  const tok = await loadTokenizerFromSource(source, { eosTokenIds: cfg.eosTokenIds });
  if (!tok) throw new UsageError(`${source.name} has no tokenizer.json; evaluating a policy needs one`);
  const prompts = items.map((it) => promptIdsFor(tok, it.question, o.target));
  const n = o.sampling.n ?? 1;
  const params: Partial<SamplingParams> = { temperature: 0, maxNewTokens: 256, ...o.sampling, stopTokenIds: [...tok.eosTokenIds] };
  const { enginePage, callInPage } = await import('../host/chromium.ts');
  const { serveModel } = await import('./generate.ts');
  const repo = 'local/model';
  const env = await enginePage([serveModel(source, repo, adapter)]);
  try {
    if (onProgress) await env.page.exposeFunction('evomOnProgress', (done: number, total: number) => onProgress(done * n, total * n));
    const req: HostBatchRequest = { baseUrl: env.base, repo, prompts, params, batchPrompts: Math.max(1, Math.min(o.batchPrompts, items.length)), withAdapter: Boolean(adapter) };
    const res = await callInPage<HostResult>(env.page, '/src/host/generate-host.ts', 'hostGenerateBatch', req);
    const completions = res.completions.map((c, k) => ({ id: items[Math.floor(k / n)]!.id, completion: tok.decode(c.ids, { skipSpecialTokens: true }) }));
    const { completions: raw, ...host } = res;
    return { completions, tokens: raw.reduce((a, c) => a + c.ids.length, 0), host };
  } finally {
    await env.close();
  }
}

/** Generate, then verify: the summary of `evom eval --completions`, plus generation figures. */
export async function evaluatePolicy(
  source: ModelSource, adapter: ModelSource | null, items: BenchmarkItem[], pool: VerifierPool, o: PolicyEvalOptions,
  progress?: { generate?: (done: number, total: number) => void; verify?: (done: number, total: number) => void },
): Promise<{ completions: CompletionRecord[]; results: ItemResult[]; summary: EvalSummary; generation: { tokens: number; generate_ms: number; load_ms: number; adapter: string } }> {
  const gen = await generateForItems(source, adapter, items, o, progress?.generate);
  const { results, summary } = await evaluateCompletions(items, gen.completions, pool, { target: o.target, tolerance: o.tolerance, errata: Boolean(o.errata), onProgress: progress?.verify });
  return { completions: gen.completions, results, summary, generation: { tokens: gen.tokens, ...gen.host } };
}
