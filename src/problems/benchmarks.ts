// Benchmark and completion files: JSONL with one item per line.
// Benchmarks: {id?, question, answer: number|null, status?: 'ok'|'infeasible'|'missing', ...}
// (the format of ../shared/benchmarks, and of `evom problems`). Completions: {id, completion}.

import { DataError } from '../errors.ts';
import type { Answer } from '../verifier/outcome.ts';

export interface BenchmarkItem {
  id: string;
  question: string;
  /** expected answer; null when the file gives none (the item is not scored) */
  answer: Answer | null;
  /** every other field of the line, untouched */
  extra: Record<string, unknown>;
}

export interface CompletionRecord {
  id: string;
  completion: string;
}

/** Split JSONL into parsed records with their 1-based line numbers; blank lines are skipped. */
export function parseJsonl(text: string, source: string): { line: number; value: unknown }[] {
  const out: { line: number; value: unknown }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    try {
      out.push({ line: i + 1, value: JSON.parse(raw) });
    } catch (e) {
      throw new DataError(`not valid JSON (${(e as Error).message})`, source, i + 1);
    }
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseBenchmark(text: string, source: string): BenchmarkItem[] {
  const items: BenchmarkItem[] = [];
  const seen = new Set<string>();
  for (const { line, value } of parseJsonl(text, source)) {
    if (!isRecord(value)) throw new DataError('each line must be a JSON object', source, line);
    const { id: rawId, question, answer, ...rest } = value;
    if (typeof question !== 'string' || question.trim() === '') throw new DataError('"question" must be a non-empty string', source, line);
    const id = rawId === undefined ? `line-${line}` : String(rawId);
    if (seen.has(id)) throw new DataError(`duplicate id "${id}"`, source, line);
    seen.add(id);
    let expected: Answer | null;
    if (typeof answer === 'number' && Number.isFinite(answer)) expected = answer;
    else if (typeof answer === 'string' && answer.trim() !== '' && Number.isFinite(Number(answer))) expected = Number(answer);
    else if (answer === 'infeasible' || ((answer === null || answer === undefined) && rest.status === 'infeasible')) expected = 'infeasible';
    else if (answer === null || answer === undefined) expected = null;
    else throw new DataError(`"answer" must be a number, null or "infeasible", got ${JSON.stringify(answer)}`, source, line);
    items.push({ id, question, answer: expected, extra: { ...rest, id } });
  }
  if (items.length === 0) throw new DataError('no items found', source);
  return items;
}

export function parseCompletions(text: string, source: string): CompletionRecord[] {
  const out: CompletionRecord[] = [];
  for (const { line, value } of parseJsonl(text, source)) {
    if (!isRecord(value)) throw new DataError('each line must be a JSON object', source, line);
    if (value.id === undefined || value.id === null) throw new DataError('"id" is missing', source, line);
    if (typeof value.completion !== 'string') throw new DataError('"completion" must be a string', source, line);
    out.push({ id: String(value.id), completion: value.completion });
  }
  return out;
}

/** Read a benchmark in the browser from a URL or a File. */
export async function loadBenchmarkFrom(input: string | Blob, fetchImpl: typeof fetch = fetch): Promise<BenchmarkItem[]> {
  if (typeof input === 'string') {
    const res = await fetchImpl(input);
    if (!res.ok) throw new DataError(`HTTP ${res.status} ${res.statusText}`, input);
    return parseBenchmark(await res.text(), input);
  }
  const name = (input as File).name ?? 'file';
  return parseBenchmark(await input.text(), name);
}
