// Benchmark and completion files from disk (Node).

import { readFile, writeFile } from 'node:fs/promises';
import { DataError } from '../errors.ts';
import { parseBenchmark, parseCompletions, type BenchmarkItem, type CompletionRecord } from './benchmarks.ts';

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(e)})`, path);
  }
}

export async function loadBenchmarkFile(path: string): Promise<BenchmarkItem[]> {
  return parseBenchmark(await readText(path), path);
}

export async function loadCompletionsFile(path: string): Promise<CompletionRecord[]> {
  return parseCompletions(await readText(path), path);
}

/** Rows as JSON Lines (one object per line, newline-terminated). */
export async function writeJsonl(path: string, rows: readonly unknown[]): Promise<void> {
  await writeFile(path, rows.map((r) => JSON.stringify(r) + '\n').join(''));
}
