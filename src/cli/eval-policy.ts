// `evom eval --model`: end-to-end evaluation of a policy through the engine host in headless
// Chromium: it generates completions for every benchmark item (several prompts decoded together)
// and verifies them in the page's verifier pool exactly as `evom eval --completions` does.

import type { BenchmarkItem, CompletionRecord } from '../problems/benchmarks.ts';
import type { EvalSummary, ItemResult } from '../verifier/evaluate.ts';
import type { SamplingParams } from '../gpu/sampling.ts';
import type { ModelSource } from '../model/source.ts';
import type { ToleranceRule } from '../verifier/tolerance.ts';
import type { AdapterFiles } from '../host/run-store.ts';
import type { RemoteServers } from '../host/engine-host.ts';
import type { PageHost } from '../host/page-transport.ts';

export interface PolicyEvalOptions {
  target: string;
  tolerance: ToleranceRule;
  /** samples per item, temperature 0 → greedy (the default), seed, max new tokens */
  sampling: Partial<SamplingParams>;
  /** prompts decoded together */
  batchPrompts: number;
  /** score against the benchmark's errata where it has them */
  errata?: boolean;
  remote?: RemoteServers;
  workers?: number;
}

export interface PolicyEval {
  completions: CompletionRecord[];
  results: ItemResult[];
  summary: EvalSummary;
  generation: { tokens: number; generate_ms: number; load_ms: number; adapter: string };
}

/** Generate, then verify, in an open host (the demo keeps one open for both of its evaluations). */
export async function evaluateInHost(
  h: PageHost, adapter: AdapterFiles | null, items: BenchmarkItem[], o: PolicyEvalOptions,
  progress?: { generate?: (done: number, total: number) => void; verify?: (done: number, total: number) => void },
): Promise<PolicyEval> {
  const r = await h.host.evaluate({
    model: h.model, adapter: adapter ? { files: adapter } : null, items, target: o.target, tolerance: o.tolerance,
    sampling: o.sampling, batch: o.batchPrompts, errata: Boolean(o.errata),
    ...(o.remote ? { remote: o.remote } : {}), ...(o.workers ? { workers: o.workers } : {}),
  }, (phase, done, total) => (phase === 'generate' ? progress?.generate : progress?.verify)?.(done, total));
  return { completions: r.items.map((i) => ({ id: i.id, completion: i.completion })), results: r.items.map((i) => i.result), summary: r.summary, generation: r.generation };
}

/** `evom eval --model`: open the engine page, evaluate, close it. */
export async function evaluatePolicy(
  source: ModelSource, adapter: AdapterFiles | null, items: BenchmarkItem[], o: PolicyEvalOptions,
  progress?: { generate?: (done: number, total: number) => void; verify?: (done: number, total: number) => void },
): Promise<PolicyEval> {
  const { openPageHost } = await import('../host/page-transport.ts');
  const { tmpdir } = await import('node:os');
  const h = await openPageHost(source, tmpdir());
  try {
    return await evaluateInHost(h, adapter, items, o, progress);
  } finally {
    await h.close();
  }
}
