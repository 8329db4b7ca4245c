// How the Studio prints numbers, answers, counts and problem text: one place, pure functions (no DOM).
import type { Answer } from '../verifier/outcome.ts';
import { plural } from '../rl/transfer.ts';

export { plural };

const formats = new Map<string, Intl.NumberFormat>();
function numberFormat(key: string, opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  let f = formats.get(key);
  if (!f) { f = new Intl.NumberFormat('en-US', opts); formats.set(key, f); }
  return f;
}

/**
 * A number for people: at most `digits` significant digits (never fewer than its integer part has),
 * no trailing zeros, thousands separated: 133.33333333333331 → "133.333", 1234567 → "1,234,567",
 * 0.30000000000000004 → "0.3". Very large or very small values in exponent form ("1.5e-7").
 */
export function formatNumber(v: number, digits = 6): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e15 || abs < 1e-6) return v.toExponential(digits - 1).replace(/\.?0+e/, 'e').replace('e+', 'e');
  if (abs < 1) return numberFormat(`s${digits}`, { maximumSignificantDigits: digits }).format(v);
  const intDigits = Math.floor(Math.log10(abs)) + 1;
  const fraction = Math.max(0, digits - intDigits);
  return numberFormat(`f${fraction}`, { maximumFractionDigits: fraction }).format(v);
}

/** An expected answer or an objective: a number as formatNumber prints it, "infeasible", or "—" for none. */
export function formatAnswer(a: Answer | null | undefined): string {
  if (a === null || a === undefined) return '—';
  return a === 'infeasible' ? 'infeasible' : formatNumber(a);
}

/** A share as a percentage with one decimal: 0.625 → "62.5 %". */
export const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;

// ---- LaTeX in problem text ------------------------------------------------------------------------

const SYMBOLS: Record<string, string> = {
  times: '×', cdot: '·', div: '÷', pm: '±', mp: '∓', leq: '≤', le: '≤', leqslant: '≤', geq: '≥', ge: '≥', geqslant: '≥',
  neq: '≠', ne: '≠', approx: '≈', sim: '~', equiv: '≡', infty: '∞', in: '∈', notin: '∉', subset: '⊂', subseteq: '⊆',
  forall: '∀', exists: '∃', sum: 'Σ', prod: 'Π', to: '→', rightarrow: '→', Rightarrow: '⇒', leftarrow: '←', ldots: '…',
  cdots: '…', dots: '…', prime: '′', circ: '°', degree: '°', percent: '%', cup: '∪', cap: '∩', max: 'max', min: 'min',
  alpha: 'α', beta: 'β', gamma: 'γ', delta: 'δ', Delta: 'Δ', epsilon: 'ε', varepsilon: 'ε', theta: 'θ', lambda: 'λ',
  mu: 'μ', pi: 'π', rho: 'ρ', sigma: 'σ', Sigma: 'Σ', tau: 'τ', phi: 'φ', omega: 'ω', Omega: 'Ω',
  quad: ' ', qquad: ' ', left: '', right: '', displaystyle: '', textstyle: '', noindent: '', centering: '',
  big: '', Big: '', bigg: '', Bigg: '', limits: '', nolimits: '',
};
/** Commands whose one argument is shown as it is: \text{kg} → kg. */
const KEEP_ARGUMENT = new Set(['text', 'textrm', 'textbf', 'textit', 'texttt', 'emph', 'mathrm', 'mathbf', 'mathit', 'mathsf', 'mathtt', 'mathbb', 'mathcal', 'operatorname', 'boldsymbol', 'mbox', 'hbox', 'underline', 'overline']);
const ESCAPED: Record<string, string> = { $: '$', '%': '%', '&': '&', _: '_', '#': '#', '{': '{', '}': '}', ',': ' ', ';': ' ', ':': ' ', '!': '', ' ': ' ', '(': '', ')': '', '[': '', ']': '' };
const SUPERSCRIPT: Record<string, string> = { 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹', '+': '⁺', '-': '⁻', n: 'ⁿ' };
const SUBSCRIPT: Record<string, string> = { 0: '₀', 1: '₁', 2: '₂', 3: '₃', 4: '₄', 5: '₅', 6: '₆', 7: '₇', 8: '₈', 9: '₉', '+': '₊', '-': '₋' };
const TABLES = /^(tabular\*?|array|table|tabularx|longtable)$/;

interface LatexState { tables: number }

/** The brace group at s[i] (spaces before it allowed): its content and the index after it; null when there is none. */
function group(s: string, i: number): { content: string; end: number } | null {
  let k = i;
  while (s[k] === ' ') k++;
  if (s[k] !== '{') return null;
  let depth = 0;
  for (let j = k; j < s.length; j++) {
    if (s[j] === '\\') { j++; continue; }
    if (s[j] === '{') depth++;
    else if (s[j] === '}' && --depth === 0) return { content: s.slice(k + 1, j), end: j + 1 };
  }
  return null;
}

/** One argument: a brace group, else the next character (x^2, \frac12). */
function argument(s: string, i: number): { content: string; end: number } {
  const g = group(s, i);
  if (g) return g;
  let k = i;
  while (s[k] === ' ') k++;
  if (s[k] === '\\') {
    const m = /\\([a-zA-Z]+|.)/y;
    m.lastIndex = k;
    const c = m.exec(s);
    if (c) return { content: c[0], end: k + c[0].length };
  }
  return { content: s[k] ?? '', end: Math.min(s.length, k + 1) };
}

/** Past the spaces and the one line break after a table's row end or rule. */
function skipLineEnd(s: string, i: number): number {
  let k = i;
  while (s[k] === ' ' || s[k] === '\t') k++;
  if (s[k] === '\r') k++;
  return s[k] === '\n' ? k + 1 : i;
}

/** a/b with parentheses around a part that is more than one term. */
function fraction(a: string, b: string): string {
  const wrap = (x: string) => (/^[\w.,′²³]+$|^\(.*\)$/.test(x.trim()) ? x.trim() : `(${x.trim()})`);
  return `${wrap(a)}/${wrap(b)}`;
}

function script(content: string, table: Record<string, string>, mark: string): string {
  const chars = [...content.trim()];
  if (chars.length > 0 && chars.every((c) => table[c] !== undefined)) return chars.map((c) => table[c]).join('');
  return chars.length === 1 ? `${mark}${content.trim()}` : `${mark}(${content.trim()})`;
}

/** LaTeX to text, in math mode (`math`: braces group, ^ and _ are scripts, ~ is a space) or in text. */
function convert(s: string, math: boolean, st: LatexState): string {
  let out = '';
  const command = /\\([a-zA-Z]+)/y;
  for (let i = 0; i < s.length;) {
    const c = s[i]!;
    if (c === '\\') {
      const next = s[i + 1] ?? '';
      if (next === '\\') { out += '\n'; i = skipLineEnd(s, i + 2); continue; }
      command.lastIndex = i;
      const m = command.exec(s);
      if (!m) { out += ESCAPED[next] ?? next; i += 2; continue; }
      const name = m[1]!;
      i += m[0].length;
      if (name === 'frac' || name === 'dfrac' || name === 'tfrac') {
        const a = argument(s, i), b = argument(s, a.end);
        out += fraction(convert(a.content, true, st), convert(b.content, true, st));
        i = b.end;
      } else if (name === 'sqrt') {
        const a = argument(s, i);
        const inner = convert(a.content, true, st).trim();
        out += /^[\w.]+$/.test(inner) ? `√${inner}` : `√(${inner})`;
        i = a.end;
      } else if (KEEP_ARGUMENT.has(name)) {
        const a = group(s, i);
        if (a) { out += convert(a.content, math, st); i = a.end; }
      } else if (name === 'begin' || name === 'end') {
        const env = group(s, i);
        if (env) {
          i = env.end;
          if (TABLES.test(env.content.trim())) {
            if (name === 'begin') {
              st.tables++;
              const spec = group(s, i); // the column spec: {cc|cc}
              if (spec) i = spec.end;
            } else st.tables = Math.max(0, st.tables - 1);
            i = skipLineEnd(s, i);
          }
        }
      } else if (name === 'multicolumn' || name === 'multirow') {
        const a = group(s, i), b = a && group(s, a.end), body = b && group(s, b.end);
        if (body) { out += convert(body.content, math, st); i = body.end; }
      } else if (name === 'cline') {
        const a = group(s, i);
        i = skipLineEnd(s, a ? a.end : i);
      } else if (name === 'hline') {
        i = skipLineEnd(s, i);
      } else if (SYMBOLS[name] !== undefined) {
        out += SYMBOLS[name];
      } else {
        out += name; // an unknown command: its name, without the backslash
      }
      continue;
    }
    if (math && (c === '^' || c === '_')) {
      const a = argument(s, i + 1);
      out += script(convert(a.content, true, st), c === '^' ? SUPERSCRIPT : SUBSCRIPT, c);
      i = a.end;
      continue;
    }
    if (math && (c === '{' || c === '}')) { i++; continue; }
    if (math && c === '~') { out += ' '; i++; continue; }
    if (st.tables > 0 && c === '&') { out += ' | '; i++; continue; }
    out += c;
    i++;
  }
  return out;
}

/** Whether `$…$` holds math rather than two prices ("$5 and $7", "$5-$7"): no space inside its
 *  ends, and something mathematical, a lone number ($50$), a term such as 3x, or not a number first. */
function isMath(content: string): boolean {
  if (content.trim() === '' || /^\s|\s$/.test(content)) return false;
  return /[\\^_{}=<>]/.test(content) || /^[\d.,]+$/.test(content) || !/^[\d.,]/.test(content)
    || (/\d[a-zA-Z]/.test(content) && /[a-zA-Z\d)]$/.test(content));
}

/**
 * Problem text with its LaTeX rendered as plain text: `\$` → $, `$…$`, `\(…\)` and `\[…\]` delimiters
 * removed, `\frac{a}{b}` → a/b, `\times` → ×, `\leq` → ≤, `x^2` → x², `\text{kg}` → kg, tables as
 * rows of cells separated by |. A dollar sign that is a price ("costs $5") stays.
 */
export function latexToPlain(text: string): string {
  const st: LatexState = { tables: 0 };
  let out = '', from = 0;
  const flush = (to: number) => { out += convert(text.slice(from, to), false, st); };
  for (let i = 0; i < text.length;) {
    const c = text[i];
    if (c === '\\') {
      const open = text[i + 1];
      if (open === '(' || open === '[') {
        const j = text.indexOf(open === '(' ? '\\)' : '\\]', i + 2);
        if (j >= 0) { flush(i); out += convert(text.slice(i + 2, j), true, st); i = from = j + 2; continue; }
      }
      i += 2; // an escaped character (\$, \\) or a command: never a delimiter
      continue;
    }
    if (c === '$') {
      const display = text[i + 1] === '$';
      const close = display ? text.indexOf('$$', i + 2) : nextDollar(text, i + 1);
      const content = close < 0 ? '' : text.slice(i + (display ? 2 : 1), close);
      if (close >= 0 && (display ? content.trim() !== '' : isMath(content))) {
        flush(i);
        out += convert(content, true, st);
        i = from = close + (display ? 2 : 1);
        continue;
      }
    }
    i++;
  }
  flush(text.length);
  return out.replace(/[ \t\u00a0]+/g, ' ').replace(/ *\n */g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}

/** The next `$` at or after `from` that is not escaped and not on a later line; -1 when none. */
function nextDollar(text: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    if (text[j] === '\n') return -1;
    if (text[j] === '\\') { j++; continue; }
    if (text[j] === '$') return j;
  }
  return -1;
}

/** A duration for people: 42 → "42 s", 95 → "1 min 35 s", 3725 → "1 h 2 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}
