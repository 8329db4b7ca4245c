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
  /** a correction of `answer` (public/benchmarks/errata.jsonl), used only when asked for (--errata) */
  answer_errata?: Erratum;
}

/** A benchmark answer that an independent check found wrong, with the corrected one and why. */
export interface Erratum {
  answer: Answer;
  note: string;
  confirmed_by: string;
  fixed_in_cleaned_variants: string;
}

/** Errata by "benchmark file/id" (the file's base name: errata apply to the original release only). */
export function parseErrata(text: string, source: string): Map<string, Erratum & { original: Answer | null }> {
  const out = new Map<string, Erratum & { original: Answer | null }>();
  for (const { line, value } of parseJsonl(text, source)) {
    if (!isRecord(value) || typeof value.benchmark !== 'string' || typeof value.id !== 'string') throw new DataError('each line needs "benchmark" and "id"', source, line);
    const ans = (v: unknown): Answer | null => (typeof v === 'number' ? v : v === 'infeasible' ? 'infeasible' : null);
    const answer = ans(value.answer);
    if (answer === null) throw new DataError('"answer" must be a number or "infeasible"', source, line);
    out.set(`${value.benchmark}/${value.id}`, {
      answer, original: ans(value.original), note: String(value.note ?? ''), confirmed_by: String(value.confirmed_by ?? ''),
      fixed_in_cleaned_variants: String(value.fixed_in_cleaned_variants ?? ''),
    });
  }
  return out;
}

/** Attach the errata of `file` (a base name like "nl4opt.jsonl") to its items, where the file still has the original answer. */
export function applyErrata(items: BenchmarkItem[], file: string, errata: ReturnType<typeof parseErrata>): BenchmarkItem[] {
  return items.map((it) => {
    const e = errata.get(`${file}/${it.id}`);
    if (!e || it.answer !== e.original) return it;
    const { original: _o, ...erratum } = e;
    return { ...it, answer_errata: erratum };
  });
}

/** The answer an item is scored against: its correction when errata are asked for and it has one. */
export function scoringAnswer(it: BenchmarkItem, errata: boolean): Answer | null {
  return errata && it.answer_errata ? it.answer_errata.answer : it.answer;
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
      throw new DataError(`not valid JSON (${jsonLineProblem((e as Error).message)})`, source, i + 1);
    }
  }
  return out;
}

/**
 * JSON.parse's message about one line, with its position as a column of that line: V8's "… in JSON
 * at position 37 (line 1 column 38)" and Firefox's "… at line 1 column 38 of the JSON data" become
 * "… at column 38 of that line"; V8's echo of the text ('…, "{…" is not valid JSON') is dropped.
 */
export function jsonLineProblem(message: string): string {
  return message
    .replace(/ in JSON at position (\d+)(?: \(line \d+ column (\d+)\))?/, (_, pos: string, col?: string) => ` at column ${col ?? Number(pos) + 1} of that line`)
    .replace(/ at line \d+ column (\d+) of the JSON data/, ' at column $1 of that line')
    .replace(/^JSON\.parse: /, '')
    .replace(/, ".*" is not valid JSON$/s, '');
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

/** Read a benchmark in the browser from a URL or a File. A bundled one (beside an errata.jsonl)
 *  gets its errata attached. */
export async function loadBenchmarkFrom(input: string | Blob, fetchImpl: typeof fetch = fetch): Promise<BenchmarkItem[]> {
  if (typeof input === 'string') {
    const res = await fetchImpl(input);
    if (!res.ok) throw new DataError(`HTTP ${res.status} ${res.statusText}`, input);
    const items = parseBenchmark(await res.text(), input);
    const url = new URL(input, globalThis.location?.href);
    const errata = await fetchImpl(new URL('errata.jsonl', url)).catch(() => null);
    if (!errata?.ok) return items;
    return applyErrata(items, url.pathname.split('/').pop() ?? '', parseErrata(await errata.text(), 'errata.jsonl'));
  }
  const name = (input as File).name ?? 'file';
  return parseBenchmark(await input.text(), name);
}
