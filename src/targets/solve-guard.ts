// What every runner needs around one solver call: captured output, the wasm memory ceiling, and a
// throw from the wasm turned into a classified TargetRun (GUIDE §3: discard the instance after it).

import { failedRun, type Message, type TargetRun } from '../verifier/outcome.ts';
import { memoryCeilingHits, setMemoryCeiling, setOutsideBytes } from './memory-ceiling.ts';
import type { SolveOptions } from './target.ts';

/** Keep the first and last lines of a long log, with a marker between. */
export class LogBuffer {
  private head: string[] = [];
  private tail: string[] = [];
  private dropped = 0;
  constructor(private readonly max: number) {}
  push = (line: string): void => {
    const text = line.length > 500 ? line.slice(0, 500) + '…' : line;
    const half = Math.max(1, Math.floor(this.max / 2));
    if (this.head.length < half) { this.head.push(text); return; }
    this.tail.push(text);
    if (this.tail.length > this.max - half) { this.tail.shift(); this.dropped++; }
  };
  lines(): string[] {
    return this.dropped > 0 ? [...this.head, `… ${this.dropped} lines omitted …`, ...this.tail] : [...this.head, ...this.tail];
  }
}

/** At most `max` variables, sorted by name, for outcome reports. */
export function capVariables(vars: Record<string, number>, max = 1000): Record<string, number> {
  const keys = Object.keys(vars);
  if (keys.length <= max) return vars;
  const out: Record<string, number> = {};
  for (const k of keys.slice(0, max)) out[k] = vars[k]!;
  return out;
}

/** What a solver call sees while it runs under `guardedSolve`. */
export interface Guard {
  log: LogBuffer;
  /** milliseconds since the call started */
  elapsed(): number;
  /** a failed run carrying the messages so far, the log and the elapsed time */
  fail(failure: NonNullable<TargetRun['failure']>, text: string, extra?: Partial<Message>): TargetRun;
}

/**
 * Run one solver call with its output captured and the wasm memory ceiling armed. A throw from
 * the wasm means the instance may be corrupt (GUIDE §3): `discard` drops it; a refused memory
 * growth becomes a runtime_error naming the limit; any other throw is classified by `onThrow`.
 */
export async function guardedSolve(
  opts: SolveOptions, messages: Message[],
  hooks: { attach: (push: ((line: string) => void) | null) => void; discard: () => void },
  body: (g: Guard) => TargetRun | Promise<TargetRun>,
  onThrow: (e: unknown, g: Guard) => TargetRun | Promise<TargetRun>,
): Promise<TargetRun> {
  const log = new LogBuffer(opts.max_log_lines);
  const t0 = performance.now();
  const guard: Guard = {
    log,
    elapsed: () => performance.now() - t0,
    fail: (failure, text, extra = {}) => ({
      ...failedRun(failure, [...messages, { severity: 'error', source: 'solver', text, ...extra }], log.lines()),
      solve_ms: performance.now() - t0,
    }),
  };
  hooks.attach(log.push);
  setMemoryCeiling(opts.memory_limit_bytes);
  setOutsideBytes(0);
  const hitsBefore = memoryCeilingHits();
  try {
    return await body(guard);
  } catch (e) {
    hooks.discard();
    if (memoryCeilingHits() > hitsBefore) {
      return guard.fail('runtime_error', `the model needs more than the ${Math.round(opts.memory_limit_bytes / 1048576)} MiB memory limit`);
    }
    return await onThrow(e, guard);
  } finally {
    hooks.attach(null);
    setMemoryCeiling(Infinity);
    setOutsideBytes(0);
  }
}

/** The message of a thrown value, without Emscripten's build hint, at most `max` characters. */
export function errorText(e: unknown, max = 300): string {
  return String((e as Error)?.message ?? e).replace(/\. Build with -sASSERTIONS.*$/s, '').slice(0, max);
}
