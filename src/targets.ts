// One plugin per target: the language a model writes and the solver that runs it.
// check → solve → normalized TargetRun. Callers (verify, pool, CLI) only see this interface,
// so remote targets (sandbox server) slot in beside the in-browser ones.

import type { Message, TargetRun } from './outcome.ts';

export interface SolveOptions {
  /** solver's own time limit, seconds */
  time_limit_s: number;
  /** wasm memory ceiling, bytes */
  memory_limit_bytes: number;
  /** most solver log lines kept */
  max_log_lines: number;
}

export interface Target {
  /** name used on the command line and in data: 'highs', 'glpk', 'glpk-json', … */
  readonly name: string;
  /** the language the model writes, for prompts and docs */
  readonly language: string;
  /** one line for prompts: what the code block must contain */
  readonly instructions: string;
  /** Fast static check without the solver: syntax errors with line numbers. */
  check(code: string): { ok: boolean; messages: Message[] };
  /** Parse, generate and solve. Must not throw for any input; failures are TargetRun.failure. */
  solve(code: string, opts: SolveOptions): Promise<TargetRun>;
  /** Drop solver instances (after an abort, or to release memory). */
  reset(): void;
}

export const IN_BROWSER_TARGETS = ['highs', 'glpk', 'glpk-json'] as const;
export type InBrowserTarget = (typeof IN_BROWSER_TARGETS)[number];

export function isInBrowserTarget(s: string): s is InBrowserTarget {
  return (IN_BROWSER_TARGETS as readonly string[]).includes(s);
}

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

export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** At most `max` variables, sorted by name, for outcome reports. */
export function capVariables(vars: Record<string, number>, max = 1000): Record<string, number> {
  const keys = Object.keys(vars);
  if (keys.length <= max) return vars;
  const out: Record<string, number> = {};
  for (const k of keys.slice(0, max)) out[k] = vars[k]!;
  return out;
}
