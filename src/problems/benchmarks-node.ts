// Benchmark and completion files from disk (Node).

import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DataError } from '../errors.ts';
import { applyErrata, parseBenchmark, parseCompletions, parseErrata, type BenchmarkItem, type CompletionRecord } from './benchmarks.ts';

/** Corrections of wrong answers in the original benchmark releases (see public/benchmarks/README.md). */
export const ERRATA_FILE = join(import.meta.dirname, '..', '..', 'public', 'benchmarks', 'errata.jsonl');
let errata: ReturnType<typeof parseErrata> | null = null;

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(e)})`, path);
  }
}

/** A benchmark file, with the errata of its original release attached (they apply only with --errata). */
export async function loadBenchmarkFile(path: string): Promise<BenchmarkItem[]> {
  errata ??= parseErrata(await readText(ERRATA_FILE), ERRATA_FILE);
  return applyErrata(parseBenchmark(await readText(path), path), basename(path), errata);
}

export async function loadCompletionsFile(path: string): Promise<CompletionRecord[]> {
  return parseCompletions(await readText(path), path);
}

/** Rows as JSON Lines (one object per line, newline-terminated). */
export async function writeJsonl(path: string, rows: readonly unknown[]): Promise<void> {
  await writeFile(path, rows.map((r) => JSON.stringify(r) + '\n').join(''));
}
