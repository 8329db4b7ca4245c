// The Playground's plumbing (playground-panel.tsx is its screen): the policy's prompt for a problem
// and target (the evaluation's chat prompt), the model's tokenizer on the page (to build that prompt
// and to decode the streamed tokens; the engine and its weights stay in the engine worker), a
// generated example with its known answer, and one completion verified in a verifier pool of the
// page's own (workers; the scoring the evaluation applies, unchanged).
import type { ModelRef } from '../host/engine-host.ts';
import type { ModelSource } from '../model/source.ts';
import type { EvomTokenizer } from '../model/tokenizer.ts';
import type { GeneratedItem } from '../problems/generated.ts';
import type { Family } from '../problems/generator.ts';
import { createBrowserPool } from '../verifier/pool-browser.ts';
import type { VerifierPool } from '../verifier/pool.ts';
import type { Answer, Outcome } from '../verifier/outcome.ts';
import type { ToleranceRule } from '../verifier/tolerance.ts';
import { problemsWorker } from './clients.ts';

/** Where a model's tokenizer files are, seen from the page: the engine worker's sources (Hub files cached). */
async function pageSource(m: ModelRef): Promise<ModelSource> {
  const [{ browserSource }, { HUB_TOKENS_PAGE }] = await Promise.all([import('../host/source-browser.ts'), import('../model/hub.ts')]);
  return browserSource(document.baseURI, true, `paste a token from ${HUB_TOKENS_PAGE} in the Hub token field (Model tab)`)(m);
}

const tokenizers = new Map<string, Promise<EvomTokenizer>>();
const modelKey = (m: ModelRef) => (m.kind === 'local' ? `local:${m.files.map((f) => `${f.name}:${f.size}`).join(',')}` : `${m.kind}:${m.id ?? ''}:${m.kind === 'hub' ? m.hubUrl ?? '' : m.base ?? ''}`);

/** The model's tokenizer, with its end-of-sequence ids from config.json and generation_config.json (as the evaluation's). */
export function pageTokenizer(m: ModelRef): Promise<EvomTokenizer> {
  const key = modelKey(m);
  let t = tokenizers.get(key);
  if (!t) {
    t = (async () => {
      const [{ loadTokenizerFromSource }, { loadModelConfig }] = await Promise.all([import('../model/tokenizer.ts'), import('../model/source.ts')]);
      const source = await pageSource(m);
      const tok = await loadTokenizerFromSource(source, { eosTokenIds: (await loadModelConfig(source)).eosTokenIds });
      if (!tok) throw new Error(`${source.name} has no tokenizer.json; writing prompts needs one`);
      return tok;
    })();
    t.catch(() => tokenizers.delete(key));
    tokenizers.set(key, t);
  }
  return t;
}

/** The families the built-in policy was trained on (test/reference/make_demo_policy.py), and the difficulty of its demo. */
export const EXAMPLE_FAMILIES: readonly Family[] = ['knapsack', 'production'];
export const EXAMPLE_DIFFICULTY = 2;
/** The first example everyone sees (the same problem on every screen of a class). */
export const FIRST_EXAMPLE_SEED = 23;

/** A generated problem with its answer (its reference models solved in the problems worker). `k`: which family. */
export async function drawExample(seed: number, k = 0): Promise<GeneratedItem> {
  const family = EXAMPLE_FAMILIES[k % EXAMPLE_FAMILIES.length]!;
  const [item] = await problemsWorker().generate({ families: [family], count: 1, seed, difficulty: EXAMPLE_DIFFICULTY });
  return item!;
}

let pool: VerifierPool | null = null;
/** One verifier worker of the page's, started on first use and kept warm for the next check. */
export function playgroundPool(): VerifierPool {
  pool ??= createBrowserPool({ size: 1, warm: true });
  return pool;
}

/**
 * Verify a completion as the evaluation does (the same job: completion, target, expected answer,
 * question, tolerance). With no expected answer the verifier gets NaN, which no objective matches:
 * correctness is not judged (and no answer reward paid); every other rule applies as always.
 */
export function verifyCompletion(job: { completion: string; target: string; answer: Answer | null; question: string; tolerance: ToleranceRule }): Promise<Outcome> {
  return playgroundPool().verify({
    completion: job.completion, target: job.target, answer: job.answer ?? Number.NaN,
    ...(job.question.trim() ? { question: job.question } : {}), config: { tolerance: job.tolerance },
  });
}

/** Classes that say whether the objective is the expected one: without an expected answer they are not a verdict. */
export const JUDGING_CLASSES: readonly Outcome['class'][] = ['correct', 'wrong_answer', 'infeasible'];

/** A completion holding a model in the protocol (a reference model, or code pasted without the tags). */
export const protocolText = (think: string, code: string): string => `<think>${think}</think>\n<code>\n${code}\n</code>`;

// ---- what the Playground keeps across tabs and reloads (its own localStorage key) ----

export interface PlaygroundState {
  question: string;
  /** the expected answer as typed ('' for none) */
  answer: string;
  /** the generated example on screen (null: none drawn yet) */
  example: GeneratedItem | null;
  /** examples drawn so far (which family comes next) */
  drawn: number;
  target: string;
  temperature: number;
  maxNew: number;
  adapterRun: string;
  code: string;
}

const KEY = 'evom-studio-playground';
export const playgroundState = {
  get: (): Partial<PlaygroundState> => { try { return JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<PlaygroundState>; } catch { return {}; } },
  set: (s: PlaygroundState): void => { try { localStorage.setItem(KEY, JSON.stringify(s)); } catch { /* full: kept for this visit only */ } },
};
