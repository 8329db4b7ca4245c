// Text helpers shared by the problem families: numbers and lists in English, sizes per difficulty,
// and MathProg data-section layout (sets, 1-d and 2-d params).

import type { Rng } from '../rng.ts';
import { wrapLine } from '../linear-model.ts';

/** A product or item: an identifier and its singular and plural names. */
export interface Item { id: string; one: string; many: string }

/** Integer with thousands separators: 12500 → "12,500". */
export function fmt(n: number): string {
  const s = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${s}` : s;
}
export const money = (n: number) => `$${fmt(n)}`;
export const ucfirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
export const article = (w: string) => (/^[aeiou]/i.test(w) ? `an ${w}` : `a ${w}`);
export function join(xs: readonly string[], conj = 'and'): string {
  if (xs.length <= 1) return xs[0] ?? '';
  if (xs.length === 2) return `${xs[0]} ${conj} ${xs[1]}`;
  return `${xs.slice(0, -1).join(', ')} ${conj} ${xs[xs.length - 1]}`;
}
/** A measured amount: {one:'hour', many:'hours', of:'labor'} → "3 hours of labor". */
export interface Measure { one: string; many: string; of?: string }
export const amt = (n: number, m: Measure) => `${fmt(n)} ${n === 1 ? m.one : m.many}${m.of ? ` of ${m.of}` : ''}`;
export const amtShort = (n: number, m: Measure) => `${fmt(n)} ${n === 1 ? m.one : m.many}`;
export const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
export const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, x, i) => s + x * (b[i] as number), 0);
/** Size range per difficulty 1..5. */
export const sized = (rng: Rng, d: number, table: readonly (readonly [number, number])[]) => {
  const [lo, hi] = table[d - 1] as readonly [number, number];
  return rng.int(lo, hi);
};
export const fixEnd = (s: string) => s.replace(/\s+/g, ' ').trim();

// MathProg data-section helpers
export const mpSet = (name: string, xs: readonly string[]) => wrapLine(`set ${name} :=`, [...xs.slice(0, -1), `${xs[xs.length - 1]};`]);
export function mpParam1(name: string, keys: readonly string[], val: (k: string) => number): string {
  const w = Math.max(...keys.map((k) => k.length));
  return `param ${name} :=\n${keys.map((k) => `  ${k.padEnd(w)} ${val(k)}`).join('\n')};`;
}
export function mpParam2(name: string, rows: readonly string[], cols: readonly string[], val: (r: string, c: string) => number): string {
  const rw = Math.max(...rows.map((r) => r.length));
  const cw = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(val(r, c)).length)));
  const head = `param ${name} :\n  ${''.padEnd(rw)} ${cols.map((c, j) => c.padStart(cw[j] as number)).join(' ')} :=`;
  const body = rows.map((r) => `  ${r.padEnd(rw)} ${cols.map((c, j) => String(val(r, c)).padStart(cw[j] as number)).join(' ')}`);
  return `${head}\n${body.join('\n')};`;
}
