/**
 * A checker for CPLEX LP-format text as read by HiGHS 1.15 (npm `highs`).
 *
 * HiGHS's LP reader (highs/io/filereaderlp/reader.cpp) aborts the WebAssembly
 * module with no message on a syntax error, silently ignores or misreads
 * several common mistakes, and reports an empty model for garbage. This module
 * gives every problem a line, a column and a message a student can act on,
 * *before* the text reaches HiGHS.
 *
 * Contract: if `checkLp(text).ok` then HiGHS reads `text` without aborting,
 * without a read error and without returning "Empty", and it reads the model
 * described by `checkLp(text).model` (same columns in the same order, same
 * rows, same objective). The checker is deliberately stricter than HiGHS; the
 * differential test in test/lp-format.test.ts checks this against the real
 * solver.
 *
 * Accepted grammar (keywords are case-insensitive, names are case-sensitive):
 *
 *   file        := objective { section } 'End'           (only comments after End)
 *   objective   := ('Maximize'|'Maximum'|'Max'|'Minimize'|'Minimum'|'Min')
 *                  [name ':'] expr
 *   section     := ('Subject To'|'Such That'|'st'|'s.t.') { constraint }
 *                | ('Bounds'|'Bound') { bound }
 *                | ('General'|'Generals'|'Gen'|'Integer'|'Integers') { name }
 *                | ('Binary'|'Binaries'|'Bin') { name }
 *                | ('Semi-Continuous'|'Semis'|'Semi') { name }
 *                | 'SOS'                                 (must be empty: HiGHS has no SOS)
 *   constraint  := [name ':'] linexpr ('<=' | '>=' | '=') signs? number  NEWLINE
 *   bound       := name 'free' | name op signs? number | signs? number op name
 *                | signs? number '<=' name '<=' signs? number               NEWLINE
 *   expr        := [signs] item { signs item }       (a sign between items is required)
 *   item        := number [name] | name | '[' quad ']' '/' '2'   (quad only in objective); a number
 *                  may be glued to its name ('3x' = 3 x, as HiGHS reads it) unless the glue is
 *                  ambiguous: an exponent ('2e1x'), a name starting with e/E, inf or nan
 *   quad        := [signs] qterm { signs qterm };  qterm := [number] name ('^' '2' | '*' name)
 *   signs       := '+' | '-' | two of them;  number := digits[.digits][e[+-]digits] | inf | infinity
 *   name        := letters, digits and !"#$%&'(),.?@_`{|}~ ; not starting with a digit or '.',
 *                  not starting with 'inf'/'nan' (HiGHS reads those as numbers), not a keyword,
 *                  balanced parentheses, ASCII only
 *   comments    := '\' to end of line. A ';' is tolerated (warning) only at the end of a line.
 *
 * Section keywords must start a line. Constraints and bounds may span lines but
 * the next one must start on a new line. Sections after the objective may come
 * in any order; each appears once (General/Binary/Semi may be repeated back to
 * back, as HiGHS allows).
 *
 * Deliberate strictness (HiGHS accepts these, the checker reports an error):
 *  - ambiguous glued coefficients ('2e1x', HiGHS: 20*x; '2ex'; '3inf'),
 *    'x y' without a sign (HiGHS: x + y), '2 3 x' (HiGHS: 2 + 3x),
 *    a coefficient separated from its variable by a line break;
 *  - text before the objective section (HiGHS silently ignores it), no objective
 *    section at all, a second objective section (HiGHS silently uses Minimize);
 *  - constants on the left of a constraint (HiGHS silently drops them);
 *  - a constraint with no variables (HiGHS accepts '0 <= 5' or 'c: <= 5');
 *  - the same variable twice in the objective (HiGHS keeps only the last coefficient);
 *  - duplicate constraint names (HiGHS accepts them);
 *  - anything after the right-hand side on the same line, e.g. 'x >= 1 <= 5'
 *    (HiGHS makes a second, empty row) or two constraints on one line;
 *  - '< =' or '>\n=' split operators; numeric constraint names ('1: x <= 2');
 *    names starting with '.', non-ASCII names, names with unbalanced parentheses;
 *  - section keywords not at the start of a line; 'Subject' and 'To' on different
 *    lines; repeated 'Subject To'/'Bounds' even when one copy is empty;
 *  - '- - [' before a quadratic part, '[ ]/2' is accepted but warned about;
 *  - ';' followed by more text on the line (HiGHS drops the rest of the line),
 *    ';' glued to a name (HiGHS makes it part of the name);
 *  - anything after 'End' (HiGHS aborts on most of it anyway); a file not ending
 *    with 'End' (HiGHS only accepts that when the last section keyword has an empty body);
 *  - 'nan' literals, names starting with 'inf'/'nan' (HiGHS reads 'inflow' as inf * low),
 *    '/*' block comments (HiGHS skips them only when the tokens happen to pair up),
 *    lone carriage returns, control characters and invisible Unicode spaces;
 *  - lower > upper bounds, binaries with bounds outside [0, 1], a variable
 *    both binary and semi-continuous, non-convex or mixed-integer quadratic
 *    objectives, |objective coefficient| >= 1e20, |constraint coefficient| >= 1e15,
 *    infinite objective constants, an empty model (no objective terms and no constraints).
 *
 * Warnings (the model is still ok): a trailing ';', an objective without variables,
 * variables declared integer/binary/semi-continuous or bounded but otherwise unused,
 * binary + general on the same variable, semi-continuous with lower bound 0,
 * coefficients HiGHS drops (|a| <= 1e-9), repeated terms in a constraint (summed),
 * a bound set twice (the later one wins), an empty '[ ]' or SOS section.
 *
 * Ranged constraints ('-1 <= x + y <= 5') are not accepted by HiGHS 1.15's LP
 * reader, so `LpConstraint.lower` is never set by this checker.
 */

export interface LpIssue {
  line: number;
  column: number;
  message: string;
}
export interface LpTerm {
  name: string;
  coef: number;
}
export interface LpConstraint {
  name: string | null;
  terms: LpTerm[];
  op: '<=' | '>=' | '=';
  rhs: number;
  lower?: number;
  line: number;
}
export interface LpModel {
  sense: 'min' | 'max';
  objectiveName: string | null;
  objective: LpTerm[];
  objectiveConstant: number;
  quadratic: boolean;
  constraints: LpConstraint[];
  bounds: Record<string, { lower: number; upper: number }>;
  integers: string[];
  binaries: string[];
  semicontinuous: string[];
  variables: string[];
}
export interface LpCheck {
  ok: boolean;
  errors: LpIssue[];
  warnings: LpIssue[];
  model: LpModel | null;
}

// ---------------------------------------------------------------------------
// HiGHS thresholds (default options of HiGHS 1.15)

const INFINITE_BOUND = 1e20; // |bound| >= this is infinite
const INFINITE_COST = 1e20; // |cost| >= this makes HiGHS refuse to solve
const LARGE_MATRIX_VALUE = 1e15; // |a_ij| >= this is a read error
const SMALL_MATRIX_VALUE = 1e-9; // |a_ij| <= this is dropped

// ---------------------------------------------------------------------------
// Sections and keywords

type Section = 'min' | 'max' | 'st' | 'bounds' | 'general' | 'binary' | 'semi' | 'sos' | 'end';

const KEYWORDS: ReadonlyMap<string, Section> = new Map<string, Section>([
  ['minimize', 'min'],
  ['minimum', 'min'],
  ['min', 'min'],
  ['maximize', 'max'],
  ['maximum', 'max'],
  ['max', 'max'],
  ['st', 'st'],
  ['s.t.', 'st'],
  ['bounds', 'bounds'],
  ['bound', 'bounds'],
  ['general', 'general'],
  ['generals', 'general'],
  ['gen', 'general'],
  ['integer', 'general'],
  ['integers', 'general'],
  ['binary', 'binary'],
  ['binaries', 'binary'],
  ['bin', 'binary'],
  ['semi', 'semi'],
  ['semis', 'semi'],
  ['sos', 'sos'],
  ['end', 'end'],
]);

const SECTION_TITLE: Record<Section, string> = {
  min: 'Minimize',
  max: 'Maximize',
  st: 'Subject To',
  bounds: 'Bounds',
  general: 'General',
  binary: 'Binary',
  semi: 'Semi-Continuous',
  sos: 'SOS',
  end: 'End',
};

/** Words that are not LP section keywords but are clearly meant as one. */
const NEAR_KEYWORDS: ReadonlyMap<string, [Section, string]> = new Map<string, [Section, string]>([
  ['constraints', ['st', 'Subject To']],
  ['constraint', ['st', 'Subject To']],
  ['constrs', ['st', 'Subject To']],
  ['subject', ['st', 'Subject To']],
  ['subjectto', ['st', 'Subject To']],
  ['subject_to', ['st', 'Subject To']],
  ['subject-to', ['st', 'Subject To']],
  ['such', ['st', 'Subject To']],
  ['s.t', ['st', 'Subject To']],
  ['st.', ['st', 'Subject To']],
  ['objective', ['min', "'Maximize' or 'Minimize'"]],
  ['maximise', ['max', 'Maximize']],
  ['minimise', ['min', 'Minimize']],
  ['maximization', ['max', 'Maximize']],
  ['minimization', ['min', 'Minimize']],
  ['maximisation', ['max', 'Maximize']],
  ['minimisation', ['min', 'Minimize']],
  ['bnds', ['bounds', 'Bounds']],
  ['limits', ['bounds', 'Bounds']],
  ['int', ['general', 'General']],
  ['ints', ['general', 'General']],
  ['integral', ['general', 'General']],
  ['generales', ['general', 'General']],
  ['bool', ['binary', 'Binary']],
  ['boolean', ['binary', 'Binary']],
  ['booleans', ['binary', 'Binary']],
  ['bins', ['binary', 'Binary']],
  ['semicontinuous', ['semi', 'Semi-Continuous']],
  ['semi_continuous', ['semi', 'Semi-Continuous']],
  ['semicont', ['semi', 'Semi-Continuous']],
  ['endmodel', ['end', 'End']],
  ['end.', ['end', 'End']],
]);

/** Spelled-out keywords used for "did you mean" on misspellings. */
const FUZZY_TARGETS: ReadonlyArray<[string, Section, string]> = [
  ['maximize', 'max', 'Maximize'],
  ['minimize', 'min', 'Minimize'],
  ['subjectto', 'st', 'Subject To'],
  ['bounds', 'bounds', 'Bounds'],
  ['generals', 'general', 'General'],
  ['integers', 'general', 'General'],
  ['binaries', 'binary', 'Binary'],
  ['binary', 'binary', 'Binary'],
  ['semi-continuous', 'semi', 'Semi-Continuous'],
];

// ---------------------------------------------------------------------------
// Characters

// ASCII characters allowed in names (CPLEX rules minus ';' and '/', which HiGHS
// treats specially): letters, digits and !"#$%&'(),.?@_`{|}~
const NAME_CHAR = new Uint8Array(128);
(() => {
  for (let c = 48; c <= 57; c++) NAME_CHAR[c] = 1;
  for (let c = 65; c <= 90; c++) NAME_CHAR[c] = 1;
  for (let c = 97; c <= 122; c++) NAME_CHAR[c] = 1;
  for (const ch of '!"#$%&\'(),.?@_`{|}~') NAME_CHAR[ch.charCodeAt(0)] = 1;
})();

function isUnicodeSpace(c: number): boolean {
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200b) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** Characters that may continue a name (non-ASCII is scanned, then reported). */
function isNameChar(c: number): boolean {
  if (c < 128) return c >= 0 && NAME_CHAR[c] === 1;
  return !isUnicodeSpace(c);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

const UNICODE_HINTS: ReadonlyMap<number, string> = new Map([
  [0x2264, "use '<='"],
  [0x2265, "use '>='"],
  [0x2260, "'not equal' constraints do not exist in LP format"],
  [0x2212, "use the ASCII minus sign '-'"],
  [0x2013, "use the ASCII minus sign '-'"],
  [0x2014, "use the ASCII minus sign '-'"],
  [0x00d7, "LP format has no multiplication sign: write '3 x'"],
  [0x22c5, "LP format has no multiplication sign: write '3 x'"],
  [0x00b7, "LP format has no multiplication sign: write '3 x'"],
  [0x2217, "LP format has no multiplication sign: write '3 x'"],
  [0x00f7, "LP format has no division: write the coefficient as a decimal number"],
  [0xff1d, "use the ASCII '='"],
  [0x2018, 'use plain ASCII quotes (or none)'],
  [0x2019, 'use plain ASCII quotes (or none)'],
  [0x201c, 'use plain ASCII quotes (or none)'],
  [0x201d, 'use plain ASCII quotes (or none)'],
]);

function charDesc(s: string, i: number): string {
  const cp = s.codePointAt(i) ?? 0;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  const names: Record<number, string> = {
    0: 'NUL',
    9: 'tab',
    11: 'vertical tab',
    12: 'form feed',
    13: 'carriage return',
    0x7f: 'DEL',
    0xa0: 'no-break space',
    0x200b: 'zero-width space',
    0xfeff: 'byte-order mark',
    0x3000: 'ideographic space',
    0x202f: 'narrow no-break space',
  };
  const name = names[cp];
  if (cp < 0x20 || cp === 0x7f || name) return `U+${hex}${name ? ` (${name})` : ''}`;
  return `'${String.fromCodePoint(cp)}' (U+${hex})`;
}

function q(text: string, max = 40): string {
  const t = text.length > max ? text.slice(0, max) + '…' : text;
  return `'${t}'`;
}

function fmtNum(v: number): string {
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Number.isNaN(v)) return 'nan';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e7 || a < 1e-5)) return v.toExponential().replace('e+', 'e').replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(12)));
}

// ---------------------------------------------------------------------------
// Issues

class Reporter {
  readonly errors: LpIssue[] = [];
  readonly warnings: LpIssue[] = [];
  stopped = false;
  constructor(private readonly maxErrors: number) {}

  error(line: number, column: number, message: string): void {
    if (this.stopped) return;
    this.errors.push({ line, column, message });
    if (this.errors.length >= this.maxErrors) this.stopped = true;
  }

  warn(line: number, column: number, message: string): void {
    if (this.warnings.length < Math.max(this.maxErrors, 20) * 5) this.warnings.push({ line, column, message });
  }
}

// ---------------------------------------------------------------------------
// Lexer

type Kind =
  | 'ident'
  | 'num'
  | 'kw'
  | 'free'
  | '+'
  | '-'
  | '*'
  | '/'
  | '^'
  | '['
  | ']'
  | ':'
  | 'cmp'
  | 'eof';

interface Tok {
  k: Kind;
  text: string;
  /** numeric value of a 'num' token */
  v: number;
  /** section of a 'kw' token */
  sec: Section | null;
  start: number;
  end: number;
  line: number;
  col: number;
  /** first token on its line */
  first: boolean;
  /** a problem with this token was already reported */
  bad: boolean;
}

class Lexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private first = true;
  private lastEnd = -1;
  private lastKind: Kind | null = null;
  private lastText = '';
  private readonly pending: Tok[] = [];
  private readonly n: number;

  constructor(
    private readonly s: string,
    private readonly r: Reporter,
  ) {
    this.n = s.length;
  }

  private code(i: number): number {
    return i < this.n ? this.s.charCodeAt(i) : -1;
  }

  private err(pos: number, message: string): void {
    this.r.error(this.line, pos - this.lineStart + 1, message);
  }

  private newline(at: number): void {
    this.line++;
    this.lineStart = at;
    this.first = true;
  }

  /** True if only spaces/tabs, an optional ':' and a comment follow `i` on its line. */
  restOfLineEmpty(i: number, allowColon: boolean): boolean {
    let j = i;
    while (j < this.n) {
      const c = this.s.charCodeAt(j);
      if (c === 32 || c === 9) j++;
      else if (c === 58 && allowColon) {
        allowColon = false;
        j++;
      } else return c === 10 || c === 13 || c === 92;
    }
    return true;
  }

  private skipTrivia(): void {
    const s = this.s;
    while (this.pos < this.n && !this.r.stopped) {
      const c = s.charCodeAt(this.pos);
      if (c === 32 || c === 9) {
        this.pos++;
      } else if (c === 10) {
        this.pos++;
        this.newline(this.pos);
      } else if (c === 13) {
        if (this.code(this.pos + 1) === 10) {
          this.pos += 2;
          this.newline(this.pos);
        } else {
          this.err(
            this.pos,
            'lone carriage return (U+000D): HiGHS only splits lines at line feeds, so use \\n or \\r\\n line endings',
          );
          this.pos++;
          this.newline(this.pos);
        }
      } else if (c === 92) {
        // '\' comment to the end of the line
        let j = this.pos + 1;
        while (j < this.n) {
          const d = s.charCodeAt(j);
          if (d === 10) break;
          if (d === 13 && this.code(j + 1) !== 10) {
            this.err(j, 'lone carriage return (U+000D) in a comment: HiGHS would treat the next line as part of the comment');
          }
          j++;
        }
        this.pos = j;
      } else if (c === 59) {
        this.semicolon();
      } else if (c < 32 || c === 0x7f) {
        this.err(this.pos, `unexpected control character ${charDesc(s, this.pos)}`);
        this.pos++;
      } else if (c >= 128 && isUnicodeSpace(c)) {
        const what = c === 0xfeff && this.pos === 0 ? 'the text starts with a byte-order mark (U+FEFF); remove it (HiGHS would treat it as part of the first keyword)' : `invisible character ${charDesc(s, this.pos)}: use an ordinary space`;
        this.err(this.pos, what);
        this.pos++;
      } else {
        return;
      }
    }
  }

  /** ';' — HiGHS ignores the rest of the line after it, unless it is glued to a name. */
  private semicolon(): void {
    const at = this.pos;
    if (this.lastEnd === at && (this.lastKind === 'ident' || this.lastKind === 'kw' || this.lastKind === 'free')) {
      this.err(
        at,
        `';' directly after ${q(this.lastText)}: HiGHS would read ${q(this.lastText + ';')} as a name; LP format does not use ';', remove it`,
      );
    } else {
      let j = at + 1;
      while (j < this.n && (this.s.charCodeAt(j) === 32 || this.s.charCodeAt(j) === 9)) j++;
      const c = this.code(j);
      if (c === -1 || c === 10 || c === 13 || c === 92) {
        this.r.warn(this.line, at - this.lineStart + 1, "';' is not part of LP format (HiGHS ignores the rest of the line after it); remove it");
      } else {
        let e = j;
        while (e < this.n && this.s.charCodeAt(e) !== 10 && this.s.charCodeAt(e) !== 92) e++;
        const rest = this.s.slice(j, Math.min(e, j + 60)).trimEnd();
        this.err(
          at,
          `HiGHS ignores everything after ';' on a line, so ${q(rest)} would be silently dropped; LP format does not use ';': put each constraint on its own line`,
        );
      }
    }
    // skip to the end of the line, like HiGHS
    let j = at + 1;
    while (j < this.n && this.s.charCodeAt(j) !== 10) j++;
    if (j > at + 1 && this.s.charCodeAt(j - 1) === 13 && j < this.n) j--;
    this.pos = j;
  }

  private make(k: Kind, start: number, end: number, v = 0, sec: Section | null = null, bad = false, text?: string): Tok {
    const t: Tok = {
      k,
      text: text ?? this.s.slice(start, end),
      v,
      sec,
      start,
      end,
      line: this.line,
      col: start - this.lineStart + 1,
      first: this.first,
      bad,
    };
    this.first = false;
    return t;
  }

  next(): Tok {
    const t = this.pending.length > 0 ? (this.pending.shift() as Tok) : this.lex();
    this.lastEnd = t.end;
    this.lastKind = t.k;
    this.lastText = t.text.length > 60 ? t.text.slice(0, 60) : t.text;
    return t;
  }

  private lex(): Tok {
    for (;;) {
      this.skipTrivia();
      if (this.r.stopped || this.pos >= this.n) {
        const t = this.make('eof', this.n, this.n, 0, null, false, '');
        return t;
      }
      const s = this.s;
      const start = this.pos;
      const c = s.charCodeAt(start);
      if (isDigit(c) || (c === 46 && isDigit(this.code(start + 1)))) return this.number(start);
      if (c < 128 ? NAME_CHAR[c] === 1 : true) {
        const t = this.name(start);
        if (t) return t;
        continue;
      }
      this.pos = start + 1;
      switch (c) {
        case 43:
          return this.make('+', start, start + 1);
        case 45:
          return this.make('-', start, start + 1);
        case 42:
          return this.make('*', start, start + 1);
        case 47:
          if (this.code(start + 1) === 42) {
            this.err(start, "'/*' comments are not supported by HiGHS's LP reader; start a comment with '\\' (it runs to the end of the line)");
            // skip to the matching */ for recovery
            const e = s.indexOf('*/', start + 2);
            const stop = e < 0 ? this.n : e + 2;
            for (let i = start; i < stop; i++) if (s.charCodeAt(i) === 10) this.newline(i + 1);
            this.pos = stop;
            continue;
          }
          return this.make('/', start, start + 1);
        case 94:
          return this.make('^', start, start + 1);
        case 91:
          return this.make('[', start, start + 1);
        case 93:
          return this.make(']', start, start + 1);
        case 58:
          return this.make(':', start, start + 1);
        case 60:
        case 62:
          if (this.code(start + 1) === 61) {
            this.pos = start + 2;
            return this.make('cmp', start, start + 2);
          }
          return this.make('cmp', start, start + 1);
        case 61: {
          const d = this.code(start + 1);
          if (d === 60 || d === 62 || d === 61) {
            this.pos = start + 2;
            return this.make('cmp', start, start + 2);
          }
          return this.make('cmp', start, start + 1);
        }
        default:
          // not reachable: all printable ASCII is either a name char or handled above
          this.err(start, `unexpected character ${charDesc(s, start)}`);
          continue;
      }
    }
  }

  private number(start: number): Tok {
    const s = this.s;
    let i = start;
    while (isDigit(this.code(i))) i++;
    if (this.code(i) === 46) {
      i++;
      while (isDigit(this.code(i))) i++;
    }
    const e = this.code(i);
    if (e === 101 || e === 69) {
      let j = i + 1;
      const sg = this.code(j);
      if (sg === 43 || sg === 45) j++;
      if (isDigit(this.code(j))) {
        i = j;
        while (isDigit(this.code(i))) i++;
      }
    }
    const numText = s.slice(start, i);
    const v = Number(numText);
    if (!isNameChar(this.code(i))) {
      this.pos = i;
      return this.make('num', start, i, v);
    }
    // number glued to name characters
    let j = i;
    while (j < this.n && isNameChar(s.charCodeAt(j))) j++;
    const glued = s.slice(start, j);
    const rest = s.slice(i, j);
    const c0 = rest.charCodeAt(0);
    const letter = (c0 >= 65 && c0 <= 90) || (c0 >= 97 && c0 <= 122) || c0 === 95;
    if (letter) {
      // HiGHS reads a number glued to a name as coefficient · name ('3x' is 3 x). That is accepted,
      // except where the glue makes the number itself unclear: an exponent ('2e1x' is 20 x to HiGHS,
      // '2e' is 2 e), or a name starting with inf/nan ('3inf' is an infinite coefficient).
      const ambiguous = /[eE]/.test(numText.slice(1)) || c0 === 101 || c0 === 69 || /^(inf|nan)/i.test(rest);
      if (ambiguous) {
        this.err(
          start,
          `${q(glued)} is ambiguous: HiGHS reads ${q(numText + ' ' + rest)} (the coefficient ${fmtNum(v)} times ${q(rest)}); put a space between the coefficient and the variable`,
        );
      }
      const numTok = this.make('num', start, i, v, null, ambiguous);
      this.pos = i;
      const nameTok = this.name(i);
      if (nameTok) {
        if (ambiguous || nameTok.k !== 'ident') nameTok.bad = true;
        this.pending.push(nameTok);
      }
      return numTok;
    }
    if (c0 === 40) {
      this.err(start, `parentheses are not allowed in LP format: ${q(glued)} — expand products like '2 (x + y)' into '2 x + 2 y'`);
    } else if (c0 === 44) {
      this.err(start, `malformed number ${q(glued)}: use '.' as the decimal separator`);
    } else {
      this.err(start, `malformed number ${q(glued)}`);
    }
    this.pos = j;
    return this.make('num', start, j, v, null, true);
  }

  /** Lex a name or keyword starting at `start`; returns null if nothing was produced. */
  private name(start: number): Tok | null {
    const s = this.s;
    const c0 = s.charCodeAt(start);
    if (c0 >= 128 && UNICODE_HINTS.has(c0)) {
      this.pos = start + 1;
      this.err(start, `unexpected character ${charDesc(s, start)}: ${UNICODE_HINTS.get(c0) as string}`);
      if (c0 === 0x2264 || c0 === 0x2265) return this.make('cmp', start, start + 1, 0, null, true, c0 === 0x2264 ? '<=' : '>=');
      if (c0 === 0x2212 || c0 === 0x2013 || c0 === 0x2014) return this.make('-', start, start + 1, 0, null, true, '-');
      return null;
    }
    let j = start;
    let nonAscii = -1;
    let depth = 0;
    let unbalanced = false;
    while (j < this.n) {
      const c = s.charCodeAt(j);
      if (!isNameChar(c)) break;
      if (c >= 128 && nonAscii < 0) nonAscii = j;
      if (c === 40) depth++;
      else if (c === 41) {
        depth--;
        if (depth < 0) unbalanced = true;
      }
      j++;
    }
    if (depth !== 0) unbalanced = true;
    const text = s.slice(start, j);
    this.pos = j;
    const lower = text.length <= 15 ? text.toLowerCase() : '';
    if (lower === 'inf' || lower === 'infinity') return this.make('num', start, j, Infinity);
    if (lower === 'nan') {
      this.err(start, `${q(text)} (not a number) is not a valid value; use a finite number or 'inf'`);
      return this.make('num', start, j, NaN, null, true);
    }
    let bad = false;
    if (nonAscii >= 0) {
      this.err(
        nonAscii,
        `the name ${q(text)} contains the non-ASCII character ${charDesc(s, nonAscii)}; names may only use letters A-Z a-z, digits and !"#$%&'(),.?@_\`{|}~`,
      );
      bad = true;
    }
    if (!bad && c0 === 46) {
      this.err(start, `names cannot start with '.': ${q(text)}`);
      bad = true;
    }
    const l0 = c0 | 32;
    if (!bad && (l0 === 105 || l0 === 110) && text.length > 3) {
      const p = text.slice(0, 3).toLowerCase();
      if (p === 'inf' || p === 'nan') {
        const numPart = text.slice(0, 8).toLowerCase() === 'infinity' ? text.slice(0, 8) : text.slice(0, 3);
        this.err(
          start,
          `names cannot start with '${p}': HiGHS reads ${q(text)} as the number ${q(numPart)} followed by ${q(text.slice(numPart.length))}; rename it (for example ${q('x_' + text)})`,
        );
        bad = true;
      }
    }
    if (!bad && unbalanced) {
      this.err(
        start,
        `unbalanced parenthesis in ${q(text)}: parentheses cannot group terms in LP format (expand '2 (x + y)' into '2 x + 2 y'); inside a name they must be balanced, like 'x(1,2)'`,
      );
      bad = true;
    }
    if (lower !== '') {
      // multi-word keywords
      if (lower === 'semi' && s.slice(j, j + 11).toLowerCase() === '-continuous' && !isNameChar(this.code(j + 11))) {
        this.pos = j + 11;
        return this.make('kw', start, j + 11, 0, 'semi', bad);
      }
      if (lower === 'subject' || lower === 'such') {
        let k = j;
        while (this.code(k) === 32 || this.code(k) === 9) k++;
        const w = lower === 'subject' ? 'to' : 'that';
        if (k > j && s.slice(k, k + w.length).toLowerCase() === w && !isNameChar(this.code(k + w.length))) {
          this.pos = k + w.length;
          return this.make('kw', start, k + w.length, 0, 'st', bad);
        }
      }
      const sec = KEYWORDS.get(lower);
      if (sec) return this.make('kw', start, j, 0, sec, bad);
      if (lower === 'free') return this.make('free', start, j, 0, null, bad);
      // clearly-meant section keywords alone on their line
      const near = NEAR_KEYWORDS.get(lower);
      if (near && this.first && this.restOfLineEmpty(j, true)) {
        this.err(start, `unknown section keyword ${q(text)} (did you mean ${near[1].startsWith("'") ? near[1] : q(near[1])}?)`);
        return this.make('kw', start, j, 0, near[0], true);
      }
    }
    return this.make('ident', start, j, 0, null, bad);
  }
}

// ---------------------------------------------------------------------------
// Parser

interface VarInfo {
  name: string;
  obj: boolean;
  con: boolean;
  bnd: boolean;
  gen: boolean;
  bin: boolean;
  semi: boolean;
  genTok: Tok | null;
  binTok: Tok | null;
  semiTok: Tok | null;
  lower: number;
  upper: number;
  lowerSet: Tok | null;
  upperSet: Tok | null;
  boundTok: Tok | null;
}

interface Loc {
  line: number;
  col: number;
}

interface TermRef extends Loc {
  name: string;
  coef: number;
  start: number;
}

interface QuadTerm {
  a: string;
  b: string;
  coef: number;
  tok: Tok;
}

interface Expr {
  terms: TermRef[];
  consts: { v: number; tok: Tok }[];
  quad: QuadTerm[];
  start: number;
  end: number;
  failed: boolean;
}

type Op = '<=' | '>=' | '=';

class Parser {
  private readonly lx: Lexer;
  private readonly buf: Tok[] = [];
  private readonly vars = new Map<string, VarInfo>();
  private readonly order: Record<'obj' | 'con' | 'bnd' | 'gen' | 'bin' | 'semi', string[]> = {
    obj: [],
    con: [],
    bnd: [],
    gen: [],
    bin: [],
    semi: [],
  };
  private readonly conNames = new Map<string, Tok>();
  private sense: 'min' | 'max' = 'min';
  private objTok: Tok | null = null;
  /** reserved words already reported as names: one message per word, at its first use */
  private reservedReported = new Set<string>();

  private reservedName(t: Tok, message: string): void {
    const key = t.text.toLowerCase();
    if (this.reservedReported.has(key)) return;
    this.reservedReported.add(key);
    this.err(t, message);
  }
  private objectiveName: string | null = null;
  private objective: Expr | null = null;
  private readonly constraints: LpConstraint[] = [];
  private reachedEnd = false;

  constructor(
    private readonly s: string,
    private readonly r: Reporter,
  ) {
    this.lx = new Lexer(s, r);
  }

  // -- token helpers --------------------------------------------------------

  private peek(n = 0): Tok {
    while (this.buf.length <= n) this.buf.push(this.lx.next());
    return this.buf[n] as Tok;
  }

  private next(): Tok {
    const t = this.peek();
    this.buf.shift();
    return t;
  }

  private err(t: Loc, message: string): void {
    this.r.error(t.line, t.col, message);
  }

  private warn(t: Loc, message: string): void {
    this.r.warn(t.line, t.col, message);
  }

  private get done(): boolean {
    return this.r.stopped;
  }

  private isNameColon(i: number): boolean {
    const t = this.peek(i);
    if (this.peek(i + 1).k !== ':') return false;
    if (t.k === 'ident') return true;
    if (t.k !== 'kw' || t.bad || t.sec === 'min' || t.sec === 'max') return false;
    // 'end: x <= 3' is a (badly named) constraint; 'Bounds:' alone is a section header
    const n = this.peek(i + 2);
    return n.k !== 'eof' && n.line === t.line;
  }

  /** Describe a token for "found ..." messages. */
  private found(i: number): string {
    const t = this.peek(i);
    if (t.k === 'eof') return 'the end of the file';
    if (t.k === 'kw') return `the section keyword ${q(t.text)}`;
    if (t.k === 'free') return `the reserved word ${q(t.text)}`;
    if (t.k === 'ident' && this.peek(i + 1).k === ':') return `the constraint name ${q(t.text + ':')}`;
    return q(t.text);
  }

  /** If peek(i) is a misspelled section keyword alone on its line, return the suggestion. */
  private fuzzyKeyword(i: number, maxDist = 2): { title: string; sec: Section; extra: number } | null {
    const t = this.peek(i);
    if (t.k !== 'ident' || !t.first || t.text.length < 5 || t.text.length > 24) return null;
    let j = i + 1;
    if (this.peek(j).k === ':' && this.peek(j).line === t.line) j++;
    const nt = this.peek(j);
    let w = t.text.toLowerCase();
    let extra = 0;
    if (nt.k === 'ident' && nt.line === t.line && j === i + 1 && /^(to|that)$/i.test(nt.text)) {
      // 'Subjet To'
      const after = this.peek(j + 1);
      if (after.k !== 'eof' && after.line === t.line) return null;
      w += nt.text.toLowerCase();
      extra = 1;
    } else if (nt.k !== 'eof' && nt.line === t.line) return null;
    let best: { title: string; sec: Section } | null = null;
    let bestD = 3;
    for (const [target, sec, title] of FUZZY_TARGETS) {
      const d = editDistance(w, target, bestD);
      if (d < bestD) {
        bestD = d;
        best = { title, sec };
      }
    }
    return bestD <= maxDist && best ? { ...best, extra } : null;
  }

  /** Report a misspelled keyword and turn the token into that keyword, for recovery. */
  private misspelledKeyword(i: number, maxDist = 2): boolean {
    const fz = this.fuzzyKeyword(i, maxDist);
    if (!fz) return false;
    const t = this.peek(i);
    const shown = fz.extra ? `${t.text} ${this.peek(i + 1).text}` : t.text;
    this.err(t, `unknown section keyword ${q(shown)} (did you mean ${q(fz.title)}?)`);
    if (fz.extra && i === 0) {
      this.next();
      this.next();
      this.buf.unshift(t);
    }
    t.k = 'kw';
    t.sec = fz.sec;
    t.bad = true;
    if (this.peek(i + 1).k === ':' && this.peek(i + 1).line === t.line) {
      // drop the ':' of 'Constrains:'
      if (i === 0) {
        const kw = this.next();
        this.next();
        this.buf.unshift(kw);
      }
    }
    return true;
  }

  /** Text of an expression for messages. */
  private exprText(e: Expr): string {
    const raw = this.s.slice(e.start, Math.min(e.end, e.start + 200)).replace(/\s+/g, ' ').trim();
    return raw.length > 50 ? raw.slice(0, 50) + '…' : raw;
  }

  /** Skip the rest of the current item: tokens on `line`, then continuation lines starting with a sign. */
  private skipItem(line: number): void {
    for (;;) {
      const t = this.peek();
      if (t.k === 'eof' || t.k === 'kw' || this.done) return;
      if (t.first && t.line > line && t.k !== '+' && t.k !== '-') return;
      this.next();
    }
  }

  private skipToSection(): void {
    for (;;) {
      const t = this.peek();
      if (t.k === 'eof' || t.k === 'kw' || this.done) return;
      this.next();
    }
  }

  private varInfo(name: string): VarInfo {
    let v = this.vars.get(name);
    if (!v) {
      v = {
        name,
        obj: false,
        con: false,
        bnd: false,
        gen: false,
        bin: false,
        semi: false,
        genTok: null,
        binTok: null,
        semiTok: null,
        lower: 0,
        upper: Infinity,
        lowerSet: null,
        upperSet: null,
        boundTok: null,
      };
      this.vars.set(name, v);
    }
    return v;
  }

  private use(name: string, where: 'obj' | 'con' | 'bnd' | 'gen' | 'bin' | 'semi'): VarInfo {
    const v = this.varInfo(name);
    if (!v[where]) {
      v[where] = true;
      this.order[where].push(name);
    }
    return v;
  }

  // -- file -------------------------------------------------------------------

  parseFile(): void {
    const t0 = this.peek();
    if (t0.k === 'eof') {
      if (!this.done) {
        this.r.error(
          t0.line,
          t0.col,
          this.s.trim() === ''
            ? "the text is empty: an LP file must start with 'Maximize' or 'Minimize'"
            : "the text contains only comments: an LP file must start with 'Maximize' or 'Minimize'",
        );
      }
      return;
    }
    if (!(t0.k === 'kw' && (t0.sec === 'min' || t0.sec === 'max')) && !this.misspelledKeyword(0)) {
      if (t0.k === 'kw') {
        this.err(
          t0,
          `the objective section is missing: an LP file must start with 'Maximize' or 'Minimize', but it starts with ${q(t0.text)}`,
        );
      } else {
        this.err(
          t0,
          `the objective section is missing: an LP file must start with 'Maximize' or 'Minimize' (found ${this.found(0)}; HiGHS ignores everything before the first section keyword)`,
        );
        this.next();
        this.skipToSection();
      }
    }

    const seen = new Map<Section, Tok>();
    let prev: Section | null = null;
    while (!this.done) {
      const kw = this.peek();
      if (kw.k === 'eof') break;
      if (kw.k !== 'kw') {
        // only after recovery
        this.next();
        continue;
      }
      this.next();
      const sec = kw.sec as Section;
      if (!kw.first && !kw.bad) {
        this.err(
          kw,
          `the section keyword ${q(kw.text)} must start a new line (${q(kw.text)} is reserved and cannot be used as a name)`,
        );
      }
      if (this.peek().k === ':' && this.peek().line === kw.line) {
        const colon = this.next();
        if (!kw.bad) {
          if (sec === 'min' || sec === 'max') {
            this.err(
              colon,
              `${q(kw.text + ':')} is lp_solve syntax: in LP format write ${q(kw.text)} alone, then the objective, optionally named like 'obj: 3 x + 2 y'`,
            );
          } else {
            this.err(
              colon,
              `the section keyword ${q(kw.text)} must not be followed by ':' (and it is reserved, so it cannot be used as a name)`,
            );
          }
        }
      }
      let body = true; // parse the body
      let continuation = false;
      if (sec === 'min' || sec === 'max') {
        const prevObj = seen.get('min') ?? seen.get('max');
        if (prevObj) {
          this.err(
            kw,
            `a second objective section ${q(kw.text)}: the objective was already given by ${q(prevObj.text)} on line ${prevObj.line} (HiGHS would silently keep only the 'Minimize' one)`,
          );
          this.skipToSection();
          body = false;
        }
      } else if ((sec === 'general' || sec === 'binary' || sec === 'semi') && prev === sec) {
        continuation = true;
      } else {
        const p = seen.get(sec);
        if (p) {
          this.err(kw, `${q(kw.text)} appears twice (the ${SECTION_TITLE[sec]} section already started on line ${p.line})`);
        }
      }
      if (!seen.has(sec)) seen.set(sec, kw);
      prev = sec;
      if (!body) continue;
      switch (sec) {
        case 'min':
        case 'max':
          this.parseObjective(kw);
          break;
        case 'st':
          this.parseConstraints();
          break;
        case 'bounds':
          this.parseBounds();
          break;
        case 'general':
        case 'binary':
        case 'semi': {
          const n = this.parseList(kw, sec);
          const nt = this.peek();
          if (continuation && n === 0 && (nt.k === 'eof' || (nt.k === 'kw' && nt.sec === sec))) {
            this.err(kw, `${q(kw.text)} appears twice in a row with nothing in between; remove one`);
          }
          break;
        }
        case 'sos':
          this.parseSos();
          break;
        case 'end':
          this.parseEnd(kw);
          return;
      }
    }
    if (!this.done && !this.reachedEnd) {
      const t = this.peek();
      this.r.error(
        t.line,
        t.col,
        "the file must end with 'End' (HiGHS rejects an LP file whose last section is not closed by 'End')",
      );
    }
  }

  private parseEnd(kw: Tok): void {
    this.reachedEnd = true;
    const t = this.peek();
    if (t.k !== 'eof' && !this.done) {
      this.err(t, `${this.found(0)} after ${q(kw.text)}: 'End' must be the last line of the file (only comments may follow)`);
      while (this.peek().k !== 'eof' && !this.done) this.next();
    }
  }

  // -- objective ------------------------------------------------------------

  private parseObjective(kw: Tok): void {
    this.sense = kw.sec === 'max' ? 'max' : 'min';
    this.objTok = kw;
    const t = this.peek();
    if (this.isNameColon(0)) {
      if (t.k === 'kw') this.reservedName(t, `${q(t.text)} is a reserved section keyword and cannot be used as the objective name`);
      this.objectiveName = t.text;
      this.next();
      this.next();
    } else if (t.k === 'num' && this.peek(1).k === ':') {
      this.err(t, `the objective name cannot start with a digit: ${q(t.text + ':')}`);
      this.next();
      this.next();
    }
    const e = this.parseExpr('obj');
    this.objective = e;
    for (const term of e.terms) this.use(term.name, 'obj');
    // anything left before the next section is an error
    const u = this.peek();
    if (u.k !== 'eof' && u.k !== 'kw' && !this.done) {
      if (u.k === 'cmp') {
        this.err(
          u,
          `the objective cannot contain ${q(u.text)}: did you forget 'Subject To' before the constraints?`,
        );
      } else if (this.isNameColon(0)) {
        this.err(
          u,
          `constraint ${q(u.text + ':')} inside the objective section: did you forget 'Subject To' before the constraints?`,
        );
      } else if (!e.failed) {
        this.err(u, `${this.found(0)} is not allowed in the objective`);
      }
      this.skipToSection();
    }
  }

  // -- expressions ------------------------------------------------------------

  private fail(e: Expr, t: Tok, message: string): void {
    if (!e.failed) this.err(t, message);
    e.failed = true;
  }

  private parseExpr(ctx: 'obj' | 'con'): Expr {
    const firstTok = this.peek();
    const e: Expr = { terms: [], consts: [], quad: [], start: firstTok.start, end: firstTok.start, failed: false };
    let items = 0;
    let signs = 0;
    let sign = 1;
    let signTok: Tok | null = null;
    let lastItem: Tok | null = null;
    while (!this.done) {
      const t = this.peek();
      if (t.k === '+' || t.k === '-') {
        if (t.k === '-' && this.peek(1).k === 'cmp' && this.peek(1).text[0] === '>' && this.peek(1).start === t.end) {
          break; // '->' handled by the caller
        }
        if (signs === 2) this.fail(e, t, `too many signs in a row before ${this.found(1)}: use at most two, like 'x - -3 y' (better: 'x + 3 y')`);
        sign *= t.k === '-' ? -1 : 1;
        signs++;
        signTok = t;
        this.next();
        e.end = t.end;
        continue;
      }
      // a keyword, or 'free', where a variable stands (after a sign, or after a coefficient on its line)
      const afterCoef = signs === 0 && items > 0 && lastItem?.k === 'num' && lastItem.line === t.line;
      if ((t.k === 'kw' || t.k === 'free') && !t.first && (signs > 0 || afterCoef || items === 0) && !t.bad) {
        this.reservedName(t, t.k === 'free'
          ? "'free' is a reserved word and cannot be used as a variable name (it only follows a variable in the Bounds section)"
          : `${q(t.text)} is a reserved section keyword and cannot be used as a variable name`);
        t.k = 'ident';
        t.bad = true;
        e.failed = true;
      }
      if (t.k === 'num' || (t.k === 'ident' && !this.isNameColon(0)) || t.k === '[') {
        if (items > 0 && signs === 0) {
          if (!e.failed && this.misspelledKeyword(0)) {
            e.failed = true;
            break;
          }
          if (!t.bad && !(lastItem && lastItem.bad))
            this.fail(e, t, `missing '+' or '-' between ${q(lastItem ? lastItem.text : '')} and ${q(t.text)}`);
          else e.failed = true;
        }
        if (t.k === 'num') {
          this.next();
          e.end = t.end;
          const n = this.peek();
          if (n.k === 'ident' && !this.isNameColon(0)) {
            if (n.line !== t.line) {
              this.fail(e, n, `the coefficient ${q(t.text)} on line ${t.line} and its variable ${q(n.text)} must be on the same line`);
            }
            this.next();
            e.end = n.end;
            e.terms.push({ name: n.text, coef: sign * t.v, line: n.line, col: n.col, start: n.start });
            lastItem = n;
          } else if (n.k === '*') {
            this.fail(e, n, `'*' is not allowed between a coefficient and a variable in LP format: write ${q(t.text + ' x')}, not ${q(t.text + '*x')}`);
            this.next();
            const m = this.peek();
            if (m.k === 'ident' && !this.isNameColon(0)) {
              this.next();
              e.end = m.end;
              e.terms.push({ name: m.text, coef: sign * t.v, line: m.line, col: m.col, start: m.start });
            }
            lastItem = t;
          } else if (n.k === '[') {
            this.fail(e, n, `a number cannot stand directly before '[': put coefficients inside the brackets, like '+ [ ${t.text} x^2 ]/2'`);
            e.consts.push({ v: sign * t.v, tok: t });
            lastItem = t;
            signs = 1; // parse the bracket next without a second error
            sign = 1;
            items++;
            continue;
          } else {
            e.consts.push({ v: sign * t.v, tok: t });
            lastItem = t;
          }
        } else if (t.k === 'ident') {
          this.next();
          e.end = t.end;
          e.terms.push({ name: t.text, coef: sign, line: t.line, col: t.col, start: t.start });
          lastItem = t;
        } else {
          // '['
          if (ctx === 'con') {
            this.fail(e, t, "quadratic terms '[ ... ]' are not allowed in constraints: HiGHS only supports a quadratic objective");
          } else if (sign < 0 || (signs === 2 && !e.failed)) {
            this.fail(e, 
              signTok ?? t,
              "a quadratic part '[ ... ]/2' can only be preceded by '+': put the sign inside the brackets, like '+ [ -x^2 ]/2'",
            );
          }
          this.parseQuad(ctx, e);
          lastItem = t;
        }
        items++;
        signs = 0;
        sign = 1;
        // operators that may not follow an item outside brackets
        const n = this.peek();
        if (n.k === '*') {
          this.fail(e, 
            n,
            lastItem.k === 'ident'
              ? `${q(lastItem.text + ' * ' + this.peek(1).text)} is not linear: products of variables are only allowed in the quadratic part of the objective, like '+ [ 2 x * y ]/2'`
              : `'*' is not allowed here: LP format writes a coefficient before its variable, like '3 x'`,
          );
          this.next();
          const m = this.peek();
          if (m.k === 'ident' || m.k === 'num') this.next();
        } else if (n.k === '^') {
          this.fail(e, 
            n,
            `${q(lastItem.text + '^')} is only allowed inside the quadratic part of the objective: write '+ [ 2 ${lastItem.text}^2 ]/2' for ${lastItem.text}^2`,
          );
          this.next();
          if (this.peek().k === 'num') this.next();
        } else if (n.k === '/') {
          this.fail(e, n, `division is not allowed in LP format: write the coefficient as a decimal number (for example '0.5 x' instead of 'x / 2')`);
          this.next();
          if (this.peek().k === 'num') this.next();
        }
        continue;
      }
      break;
    }
    if (signs > 0 && signTok && !e.failed) {
      this.fail(e, signTok, `the expression ends with ${q(signTok.text)}: a term is missing after it`);
    }
    return e;
  }

  private parseQuad(ctx: 'obj' | 'con', e: Expr): void {
    const open = this.next(); // '['
    e.end = open.end;
    let items = 0;
    let signs = 0;
    let sign = 1;
    while (!this.done) {
      const t = this.peek();
      if (t.k === ']') {
        if (signs > 0) this.fail(e, t, `the quadratic part ends with a sign before ']': a term is missing`);
        break;
      }
      if (t.k === '+' || t.k === '-') {
        if (signs === 2) this.fail(e, t, 'too many signs in a row: use at most two');
        sign *= t.k === '-' ? -1 : 1;
        signs++;
        this.next();
        continue;
      }
      if (items > 0 && signs === 0 && (t.k === 'num' || t.k === 'ident')) {
        this.fail(e, t, `missing '+' or '-' before ${q(t.text)} in the quadratic part`);
      }
      let coef = sign;
      let coefTok: Tok | null = null;
      if (t.k === 'num') {
        coefTok = this.next();
        coef *= t.v;
      }
      const a = this.peek();
      if (a.k === 'ident') {
        this.next();
        const op = this.peek();
        if (op.k === '^') {
          this.next();
          const p = this.peek();
          if (p.k === 'num' && p.v === 2) {
            this.next();
            e.quad.push({ a: a.text, b: a.text, coef, tok: a });
          } else {
            this.fail(e, p.k === 'num' ? p : op, `only squares are allowed in the quadratic part: ${q(a.text + '^2')}, found ${q(a.text + '^' + (p.k === 'num' ? p.text : ''))}`);
            if (p.k === 'num') this.next();
          }
        } else if (op.k === '*') {
          this.next();
          const b = this.peek();
          if (b.k === 'ident') {
            this.next();
            e.quad.push({ a: a.text, b: b.text, coef, tok: a });
          } else {
            this.fail(e, b, `expected a variable after ${q(a.text + ' *')} in the quadratic part, found ${this.found(0)}`);
          }
        } else {
          this.fail(e, 
            op,
            `a quadratic term must be ${q(a.text + '^2')} or ${q(a.text + ' * y')}; linear terms like ${q((coefTok ? coefTok.text + ' ' : '') + a.text)} belong outside the brackets`,
          );
        }
      } else if (coefTok && a.k === '*') {
        this.fail(e, a, `'*' is only allowed between two variables: write ${q(coefTok.text + ' x * y')} or ${q(coefTok.text + ' x^2')}`);
        this.next();
      } else {
        this.fail(e, a, `expected a quadratic term like '2 x^2' or '3 x * y' inside '[ ... ]', found ${this.found(0)}`);
        // recover to ']' on this line
        while (!this.done) {
          const u = this.peek();
          if (u.k === ']' || u.k === 'eof' || u.k === 'kw' || (u.first && u.line > open.line)) break;
          this.next();
        }
        if (this.peek().k !== ']') return;
      }
      items++;
      signs = 0;
      sign = 1;
    }
    const close = this.peek();
    if (close.k !== ']') {
      this.fail(e, close, `missing ']' to close the '[' opened on line ${open.line} (found ${this.found(0)})`);
      return;
    }
    this.next();
    e.end = close.end;
    if (items === 0) this.warn(open, "empty quadratic part '[ ]': remove it");
    if (ctx === 'obj') {
      const sl = this.peek();
      if (sl.k !== '/') {
        this.fail(e, 
          close,
          "in the objective a quadratic part must be followed by '/2': write '[ ... ]/2' (HiGHS reads '[ 2 x^2 ]/2' as x^2)",
        );
        return;
      }
      this.next();
      const two = this.peek();
      if (two.k === 'num' && two.v === 2) {
        this.next();
        e.end = two.end;
      } else {
        this.fail(e, 
          two,
          `the quadratic part must be divided by exactly 2 ('[ ... ]/2'), found ${this.found(0)}: scale the coefficients inside the brackets instead`,
        );
        if (two.k === 'num') this.next();
      }
    }
  }

  // -- comparison operators -----------------------------------------------------

  /** Normalize a comparison token, reporting forms HiGHS does not accept. */
  private op(t: Tok): Op {
    switch (t.text) {
      case '<=':
      case '>=':
      case '=':
        return t.text;
      case '<':
      case '>': {
        const n = this.peek(1);
        const intended = t.text === '<' ? '<=' : '>=';
        if (n.k === 'cmp' && n.text === '=')
          this.err(t, `write ${q(intended)} without a space or line break between ${q(t.text)} and '='`);
        else
          this.err(
            t,
            `HiGHS's LP reader does not accept ${q(t.text)}: write ${q(intended)}`,
          );
        return intended;
      }
      case '=<':
        this.err(t, "write '<=' instead of '=<'");
        return '<=';
      case '=>':
        this.err(t, "write '>=' instead of '=>'");
        return '>=';
      case '==':
        this.err(t, "write '=' instead of '=='");
        return '=';
      default:
        // '≤' / '≥' already reported by the lexer
        return t.text === '>=' ? '>=' : '<=';
    }
  }

  /** After '<' in '< =', consume the '=' too. */
  private consumeOp(): Tok {
    const t = this.next();
    if ((t.text === '<' || t.text === '>') && this.peek().k === 'cmp' && this.peek().text === '=') this.next();
    return t;
  }

  /** [signs] number; returns null (and reports) if there is no number. */
  private signedNumber(context: string): { v: number; tok: Tok; numTok: Tok } | null {
    let sign = 1;
    let n = 0;
    const first = this.peek();
    while (this.peek().k === '+' || this.peek().k === '-') {
      const t = this.next();
      sign *= t.k === '-' ? -1 : 1;
      n++;
      if (n === 3) this.err(t, 'too many signs in a row: use at most two');
    }
    const t = this.peek();
    if (t.k !== 'num') {
      if (!t.bad) this.err(t, `expected a number ${context}, found ${this.found(0)}`);
      return null;
    }
    this.next();
    return { v: sign * t.v, tok: n > 0 ? first : t, numTok: t };
  }

  /** Report anything following a finished constraint/bound on the same line. */
  private checkLineEnd(last: Tok, what: string): boolean {
    const t = this.peek();
    if (t.k === 'eof' || t.k === 'kw' || t.line !== last.line || this.done) return true;
    if (t.k === 'cmp') {
      this.err(
        t,
        what === 'constraint'
          ? `ranged constraints like 'expr >= 1 <= 5' are not supported by HiGHS's LP reader: write two constraints, one with '>=' and one with '<='`
          : `a double bound must be written 'lower <= x <= upper'`,
      );
    } else if (t.k === '-' && this.peek(1).k === 'cmp' && this.peek(1).text[0] === '>' && this.peek(1).start === t.end) {
      this.err(t, "indicator constraints ('->') are not supported by HiGHS's LP reader");
    } else if ((t.k === '+' || t.k === '-') && this.peek(1).k === 'num' && this.peek(1).line === t.line && what === 'constraint'
      && this.peek(2).k === 'ident' && this.peek(2).line === t.line && !this.isNameColon(2)) {
      // 'c: 2 x <= 11 - 3 y': a variable on the right; the fix is to move its term, not to compute
      const term = `${this.peek(1).text} ${this.peek(2).text}`;
      this.err(t, `variables must be on the left-hand side: move ${q(t.text + ' ' + term)} to the left of the operator as ${q((t.k === '-' ? '+ ' : '- ') + term)}`);
    } else if ((t.k === '+' || t.k === '-') && this.peek(1).k === 'num' && this.peek(1).line === t.line && what === 'constraint') {
      this.err(t, `the right-hand side must be a single number: compute ${q(last.text + ' ' + t.text + ' ' + this.peek(1).text)} yourself`);
    } else if (
      what === 'constraint' &&
      !this.isNameColon(0) &&
      (t.k === 'ident' ||
        ((t.k === '+' || t.k === '-') && this.peek(1).k === 'ident') ||
        (t.k === 'num' && this.peek(1).k === 'ident' && this.peek(1).line === t.line))
    ) {
      this.err(
        t,
        `variables must be on the left-hand side: move the terms after ${q(last.text)} to the left of the operator (for example 'x <= y' becomes 'x - y <= 0')`,
      );
    } else {
      this.err(t, `${this.found(0)} follows the ${what} on the same line: each ${what} must end at the end of its line`);
    }
    this.skipItem(t.line);
    return false;
  }

  // -- constraints ------------------------------------------------------------

  private parseConstraints(): void {
    while (!this.done) {
      const t = this.peek();
      if (t.k === 'eof') return;
      if (t.k === 'kw' && !this.isNameColon(0)) return;
      this.parseConstraint();
      if (this.peek() === t) this.next(); // always make progress
    }
  }

  private parseConstraint(): void {
    const start = this.peek();
    let name: string | null = null;
    let nameTok: Tok | null = null;
    if (this.isNameColon(0)) {
      nameTok = this.next();
      this.next();
      name = nameTok.text;
      if (nameTok.k === 'kw') {
        this.reservedName(nameTok, `${q(nameTok.text)} is a reserved section keyword and cannot be used as a constraint name`);
      } else if (!nameTok.bad) {
        const prev = this.conNames.get(name);
        if (prev) {
          this.err(nameTok, `duplicate constraint name ${q(name)} (already used on line ${prev.line})`);
        } else {
          this.conNames.set(name, nameTok);
        }
      }
    } else if (start.k === 'num' && this.peek(1).k === ':') {
      this.err(start, `constraint names cannot start with a digit: ${q(start.text + ':')}`);
      this.next();
      this.next();
    } else if (start.k === ':') {
      this.err(start, "':' must follow a constraint name, like 'c1: x + y <= 10'");
      this.next();
    } else if (start.k === 'free') {
      this.err(start, "'free' is a reserved word: it can only follow a variable in the Bounds section");
      this.skipItem(start.line);
      return;
    }
    const exprStart = this.peek();
    // constant-first forms: '2 <= x + y', '-inf <= x + y <= 5'
    if (exprStart.k === 'num' || ((exprStart.k === '+' || exprStart.k === '-') && this.peek(1).k === 'num')) {
      const i = exprStart.k === 'num' ? 1 : 2;
      const c = this.peek(i);
      if (c.k === 'cmp') {
        let j = i + 1;
        while (j < i + 40) {
          const u = this.peek(j);
          if (u.k === 'cmp' || u.k === 'eof' || u.k === 'kw' || (u.first && u.line > c.line) || this.isNameColon(j)) break;
          j++;
        }
        const ranged = this.peek(j).k === 'cmp';
        let hasVar = false;
        for (let k = i + 1; k < j; k++) if (this.peek(k).k === 'ident') hasVar = true;
        const label = name !== null ? `constraint ${q(name)}` : 'this constraint';
        this.err(
          exprStart,
          ranged
            ? "ranged constraints like '-1 <= x + y <= 5' are not supported by HiGHS's LP reader: write two constraints, 'x + y >= -1' and 'x + y <= 5'"
            : hasVar
              ? `write the variables on the left and a single number on the right, like 'x + y >= 2' instead of '2 <= x + y'`
              : `${label} has no variables (it is always true or always false): remove it or add variables`,
        );
        this.skipItem(exprStart.line);
        return;
      }
    }
    const e = this.parseExpr('con');
    if (this.done) return;
    const opTok = this.peek();
    if (opTok.k !== 'cmp') {
      if (!e.failed) {
        if (this.misspelledKeyword(0)) {
          return;
        } else if (e.terms.length === 0 && e.consts.length === 0 && e.quad.length === 0) {
          this.err(opTok, `expected a constraint like 'c1: x + y <= 10'${name ? ` after ${q(name + ':')}` : ''}, found ${this.found(0)}`);
        } else if (opTok.k === '-' && this.peek(1).k === 'cmp' && this.peek(1).text[0] === '>') {
          this.err(opTok, "indicator constraints ('->') are not supported by HiGHS's LP reader");
        } else {
          this.err(
            opTok,
            `expected a relational operator (<=, >=, =) after the expression ${q(this.exprText(e), 60)}, found ${this.found(0)}`,
          );
        }
      }
      this.skipItem(opTok.line);
      return;
    }
    const op = this.op(opTok);
    this.consumeOp();
    const rhsStart = this.peek();
    // terms on the right-hand side
    let ri = 0;
    while (ri < 3 && (this.peek(ri).k === '+' || this.peek(ri).k === '-')) ri++;
    const r0 = this.peek(ri);
    const r1 = this.peek(ri + 1);
    const rhsVar =
      r0.k === 'ident' && !this.isNameColon(ri)
        ? r0
        : r0.k === 'num' && r1.k === 'ident' && r1.line === r0.line && !this.isNameColon(ri + 1)
          ? r1
          : null;
    if (rhsVar) {
      this.err(
        rhsStart,
        `the right-hand side must be a single number: move ${q(rhsVar.text)} to the left-hand side (for example 'x <= y' becomes 'x - y <= 0')`,
      );
      this.skipItem(rhsStart.line);
      return;
    }
    const rhs = this.signedNumber(`after ${q(opTok.text)} (the right-hand side)`);
    if (!rhs) {
      this.skipItem(opTok.line);
      return;
    }
    const ok = this.checkLineEnd(rhs.numTok, 'constraint');
    // semantics
    const label = name !== null ? `constraint ${q(name)}` : 'this constraint';
    const at = nameTok ?? exprStart;
    const terms = mergeTerms(e.terms);
    if (!e.failed) {
      if (terms.length === 0 && e.quad.length === 0) {
        this.err(
          at,
          `${label} has no variables (${q(this.s.slice(at.start, Math.min(rhs.numTok.end, at.start + 200)).replace(/\s+/g, ' '), 60)} is always true or always false): remove it or add variables`,
        );
      }
      let cst = 0;
      for (const c of e.consts) cst += c.v;
      for (const c of e.consts) {
        if (c.tok.bad) continue;
        const newRhs = rhs.v - cst;
        this.err(
          c.tok,
          `constant ${q(fmtNum(c.v))} on the left-hand side of ${label}: HiGHS silently ignores constants on the left, so move it to the right-hand side (${q(op + ' ' + fmtNum(newRhs))})`,
        );
        break;
      }
      for (const term of terms) {
        const tok = term;
        if (!Number.isFinite(term.coef) || Math.abs(term.coef) >= LARGE_MATRIX_VALUE) {
          this.err(
            tok,
            `the coefficient ${fmtNum(term.coef)} of ${q(term.name)} in ${label} is too large: HiGHS rejects coefficients of magnitude 1e15 or more; rescale the constraint`,
          );
        } else if (term.coef !== 0 && Math.abs(term.coef) <= SMALL_MATRIX_VALUE) {
          this.warn(tok, `the coefficient ${fmtNum(term.coef)} of ${q(term.name)} in ${label} is so small that HiGHS drops it (|a| <= 1e-9)`);
        }
      }
      if (terms.length < e.terms.length) {
        const seen = new Set<string>();
        for (const term of e.terms) {
          if (seen.has(term.name)) {
            this.warn(term, `${q(term.name)} appears more than once in ${label}; the coefficients are added`);
            break;
          }
          seen.add(term.name);
        }
      }
      const big = Math.abs(rhs.v) >= INFINITE_BOUND;
      if (
        (op === '>=' && rhs.v >= INFINITE_BOUND) ||
        (op === '<=' && rhs.v <= -INFINITE_BOUND) ||
        (op === '=' && big)
      ) {
        this.err(
          rhs.tok,
          `the right-hand side ${fmtNum(rhs.v)} of ${label} is infinite for HiGHS (|value| >= 1e20), so '${op} ${fmtNum(rhs.v)}' can never hold`,
        );
      }
    }
    for (const term of e.terms) this.use(term.name, 'con');
    if (ok || !e.failed) {
      this.constraints.push({ name, terms: plainTerms(terms), op, rhs: rhs.v, line: start.line });
    }
  }

  // -- bounds -------------------------------------------------------------------

  private parseBounds(): void {
    while (!this.done) {
      const t = this.peek();
      if (t.k === 'eof' || t.k === 'kw') return;
      this.parseBound();
      if (this.peek() === t) this.next(); // always make progress
    }
  }

  private setBound(nameTok: Tok, lower: number | null, upper: number | null, at: Tok): void {
    const v = this.use(nameTok.text, 'bnd');
    if (lower !== null) {
      if (v.lowerSet && lower !== v.lower) {
        this.warn(at, `the lower bound of ${q(v.name)} was already set on line ${v.lowerSet.line}; the later one (${fmtNum(lower)}) is used`);
      }
      v.lower = lower;
      v.lowerSet = at;
    }
    if (upper !== null) {
      if (v.upperSet && upper !== v.upper) {
        this.warn(at, `the upper bound of ${q(v.name)} was already set on line ${v.upperSet.line}; the later one (${fmtNum(upper)}) is used`);
      }
      v.upper = upper;
      v.upperSet = at;
    }
    v.boundTok = at;
  }

  private parseBound(): void {
    const t = this.peek();
    if (t.k === 'ident') {
      const n = this.peek(1);
      if (n.k === 'free') {
        this.next();
        this.next();
        this.setBound(t, -Infinity, Infinity, t);
        this.checkLineEnd(n, 'bound');
        return;
      }
      if (n.k === 'cmp') {
        this.next();
        const op = this.op(n);
        this.consumeOp();
        const u = this.peek();
        const u2 = u.k === '+' || u.k === '-' ? this.peek(1) : u;
        if (u2.k === 'ident') {
          this.err(u, `a bound compares one variable with a number; ${q(t.text + ' ' + n.text + ' ' + u2.text)} is a constraint and belongs in 'Subject To'`);
          this.skipItem(t.line);
          return;
        }
        const val = this.signedNumber(`after ${q(t.text + ' ' + n.text)}`);
        if (!val) {
          this.skipItem(t.line);
          return;
        }
        if (op === '<=') this.setBound(t, null, val.v, t);
        else if (op === '>=') this.setBound(t, val.v, null, t);
        else this.setBound(t, val.v, val.v, t);
        const c = this.peek();
        if (c.k === 'cmp' && c.line === val.tok.line) {
          this.err(c, `a double bound must be written 'lower <= ${t.text} <= upper', not ${q(t.text + ' ' + n.text + ' ' + fmtNum(val.v) + ' ' + c.text + ' …')}`);
          this.skipItem(c.line);
          return;
        }
        this.checkLineEnd(val.numTok, 'bound');
        return;
      }
      if (n.k === ':') {
        this.err(t, `bounds cannot be named: remove ${q(t.text + ':')}`);
        this.skipItem(t.line);
        return;
      }
      if (n.k === 'ident' || n.k === 'num' || n.k === '*') {
        this.err(n, `expected '<=', '>=', '=' or 'free' after ${q(t.text)} in the Bounds section, found ${this.found(1)}`);
      } else {
        this.err(n, `expected '<=', '>=', '=' or 'free' after ${q(t.text)} in the Bounds section, found ${this.found(1)}`);
      }
      this.next();
      this.skipItem(t.line);
      return;
    }
    if (t.k === 'num' || t.k === '+' || t.k === '-') {
      // '-x <= 5' / '2 x <= 5'
      const i = t.k === 'num' ? 0 : 1;
      const a = this.peek(i);
      const b = this.peek(i + 1);
      if ((t.k !== 'num' && a.k === 'ident') || (a.k === 'num' && b.k === 'ident' && b.line === a.line)) {
        const v = a.k === 'ident' ? a : b;
        this.err(
          t,
          `a bound applies to a single variable without a coefficient or sign: write it as ${q(v.text + ' <= …')} or ${q(v.text + ' >= …')}, or move it to 'Subject To'`,
        );
        this.skipItem(t.line);
        return;
      }
      const lo = this.signedNumber('in the Bounds section');
      if (!lo) {
        this.skipItem(t.line);
        return;
      }
      const c1 = this.peek();
      if (c1.k !== 'cmp') {
        this.err(c1, `expected '<=', '>=' or '=' after ${q(fmtNum(lo.v))} in the Bounds section, found ${this.found(0)}`);
        this.skipItem(t.line);
        return;
      }
      const op1 = this.op(c1);
      this.consumeOp();
      const x = this.peek();
      if (x.k !== 'ident') {
        const sgn = x.k === '+' || x.k === '-';
        this.err(
          x,
          sgn && this.peek(1).k === 'ident'
            ? `a bound applies to a single variable without a sign: write ${q(this.peek(1).text + ' …')} and flip the numbers instead`
            : `expected a variable name after ${q(fmtNum(lo.v) + ' ' + c1.text)} in the Bounds section, found ${this.found(0)}`,
        );
        this.skipItem(t.line);
        return;
      }
      this.next();
      const c2 = this.peek();
      if (c2.k === 'cmp') {
        const op2 = this.op(c2);
        this.consumeOp();
        const hi = this.signedNumber(`after ${q(x.text + ' ' + c2.text)}`);
        if (!hi) {
          this.skipItem(t.line);
          return;
        }
        if (op1 !== '<=' || op2 !== '<=') {
          this.err(c1.text === '<=' ? c2 : c1, `a double bound must be written 'lower <= ${x.text} <= upper' (both operators '<=')`);
          this.skipItem(t.line);
          return;
        }
        this.setBound(x, lo.v, hi.v, x);
        this.checkLineEnd(hi.numTok, 'bound');
        return;
      }
      if (op1 === '<=') this.setBound(x, lo.v, null, x);
      else if (op1 === '>=') this.setBound(x, null, lo.v, x);
      else this.setBound(x, lo.v, lo.v, x);
      this.checkLineEnd(x, 'bound');
      return;
    }
    if (t.k === 'free') {
      this.err(t, "'free' must follow a variable name, like 'x free'");
    } else {
      this.err(t, `expected a bound like 'x <= 10', '0 <= x <= 10' or 'x free', found ${this.found(0)}`);
    }
    this.next();
    this.skipItem(t.line);
  }

  // -- General / Binary / Semi-continuous ---------------------------------------

  private parseList(kw: Tok, sec: 'general' | 'binary' | 'semi'): number {
    let n = 0;
    if (sec === 'semi' && this.peek().k === '-' && this.peek().line === kw.line) {
      const c = this.peek(1);
      if (c.k === 'ident' && c.text.toLowerCase() === 'continuous' && c.line === kw.line) {
        this.err(this.peek(), "write 'Semi-Continuous' without spaces around '-'");
        this.next();
        this.next();
      }
    }
    const where = sec === 'general' ? 'gen' : sec === 'binary' ? 'bin' : 'semi';
    while (!this.done) {
      const t = this.peek();
      if (t.k === 'eof' || t.k === 'kw') break;
      this.next();
      n++;
      if (t.k === 'ident') {
        const low = t.text.length <= 8 ? t.text.toLowerCase() : '';
        const nx = this.peek();
        if ((low === 'subject' && nx.k === 'ident' && nx.text.toLowerCase() === 'to') || (low === 'such' && nx.k === 'ident' && nx.text.toLowerCase() === 'that')) {
          this.err(t, `HiGHS reads ${q(t.text)} followed by ${q(nx.text)} as the section keyword 'Subject To'; write 'Subject To' on one line at the start of the section, or rename these variables`);
          this.next();
          continue;
        }
        if (t.first && /^[A-Za-z-]{6,}$/.test(t.text)) {
          // a misspelled keyword alone on its line, e.g. 'Geerals'
          this.buf.unshift(t);
          // names alone on a line are normal in these lists: only accept one typo
          if (this.misspelledKeyword(0, 1)) break;
          this.buf.shift();
        }
        if (this.peek().k === ':') {
          this.err(this.peek(), `the ${q(kw.text)} section lists variable names only; remove ':' after ${q(t.text)}`);
          this.next();
        }
        const v = this.varInfo(t.text);
        const tokKey = where === 'gen' ? 'genTok' : where === 'bin' ? 'binTok' : 'semiTok';
        if (v[where]) {
          this.warn(t, `${q(t.text)} is listed more than once in the ${SECTION_TITLE[sec]} section`);
        } else {
          v[tokKey] = t;
        }
        this.use(t.text, where);
      } else if (!t.bad) {
        const what = t.k === 'num' ? `the number ${q(t.text)}` : t.k === 'free' ? "the reserved word 'free'" : q(t.text);
        this.err(t, `expected a variable name in the ${q(kw.text)} section, found ${what}`);
        this.skipItem(t.line);
      }
    }
    return n;
  }

  private parseSos(): void {
    const t = this.peek();
    if (t.k !== 'eof' && t.k !== 'kw') {
      this.err(t, "SOS constraints are not supported by HiGHS: remove the SOS section (model the choice with binary variables instead)");
      this.skipToSection();
    } else {
      this.warn(t, "empty 'SOS' section: remove it");
    }
  }

  // -- semantics -----------------------------------------------------------------

  finish(): LpModel | null {
    if (this.done) return null;
    const r = this.r;
    const obj = this.objective;
    const objTok = this.objTok;
    const objTerms = obj ? mergeTerms(obj.terms) : [];
    let objConst = 0;
    if (obj) for (const c of obj.consts) objConst += c.v;
    const quad = obj ? obj.quad : [];
    // quadratic terms register variables after the linear ones they follow; HiGHS
    // registers them in token order, so rebuild the objective order from tokens
    if (obj && quad.length > 0) {
      const items: { start: number; names: string[] }[] = [];
      for (const t of obj.terms) items.push({ start: t.start, names: [t.name] });
      for (const qt of quad) items.push({ start: qt.tok.start, names: qt.a === qt.b ? [qt.a] : [qt.a, qt.b] });
      items.sort((a, b) => a.start - b.start);
      const list: string[] = [];
      const seen = new Set<string>();
      for (const it of items) {
        for (const n of it.names) {
          if (!seen.has(n)) {
            seen.add(n);
            list.push(n);
          }
          const v = this.varInfo(n);
          v.obj = true;
        }
      }
      this.order.obj = list;
    }

    if (obj && objTok && !obj.failed) {
      // duplicate objective terms: HiGHS keeps the last coefficient
      const seen = new Map<string, TermRef>();
      for (const t of obj.terms) {
        const p = seen.get(t.name);
        if (p) {
          let total = 0;
          for (const x of objTerms) if (x.name === t.name) total = x.coef;
          this.err(
            t,
            `${q(t.name)} appears more than once in the objective (also on line ${p.line}): HiGHS keeps only the last coefficient (${fmtNum(t.coef)}) instead of adding them; write a single term ${q(fmtNum(total) + ' ' + t.name)}`,
          );
          break;
        }
        seen.set(t.name, t);
      }
      for (const t of objTerms) {
        if (!Number.isFinite(t.coef) || Math.abs(t.coef) >= INFINITE_COST) {
          const tok = t;
          this.err(
            tok,
            `the objective coefficient ${fmtNum(t.coef)} of ${q(t.name)} is too large: HiGHS treats costs of magnitude 1e20 or more as infinite and refuses to solve`,
          );
        }
      }
      if (!Number.isFinite(objConst)) {
        const tok = obj.consts[0]?.tok ?? objTok;
        this.err(tok, `the objective constant ${fmtNum(objConst)} must be a finite number`);
      }
      const qsum = new Map<string, { coef: number; tok: Tok }>();
      for (const qt of quad) {
        const key = qt.a < qt.b ? `${qt.a}\u0000${qt.b}` : `${qt.b}\u0000${qt.a}`;
        const p = qsum.get(key);
        if (p) p.coef += qt.coef;
        else qsum.set(key, { coef: qt.coef, tok: qt.tok });
      }
      for (const { coef, tok } of qsum.values()) {
        if (!Number.isFinite(coef) || Math.abs(coef) >= LARGE_MATRIX_VALUE) {
          this.err(tok, `the quadratic coefficient ${fmtNum(coef)} is too large: HiGHS rejects quadratic coefficients of magnitude 1e15 or more`);
          break;
        }
      }
    }

    // empty model
    if (objTok && objTerms.length === 0 && quad.length === 0 && this.constraints.length === 0) {
      r.error(
        objTok.line,
        objTok.col,
        'the model is empty: the objective has no variables and there are no constraints',
      );
    } else if (objTok && objTerms.length === 0 && quad.length === 0 && obj && !obj.failed) {
      r.warn(objTok.line, objTok.col, 'the objective has no variables: HiGHS will only look for a feasible point');
    }

    // bounds and types
    const bounds: Record<string, { lower: number; upper: number }> = Object.create(null) as Record<
      string,
      { lower: number; upper: number }
    >;
    const integers: string[] = this.order.gen.slice();
    const binaries: string[] = this.order.bin.slice();
    const semis: string[] = this.order.semi.slice();
    const hasInteger = integers.length > 0 || binaries.length > 0 || semis.length > 0;
    for (const v of this.vars.values()) {
      const explicit = v.lowerSet !== null || v.upperSet !== null;
      const at = v.boundTok;
      if (explicit && at) {
        bounds[v.name] = { lower: v.lower, upper: v.upper };
        if (v.lower >= INFINITE_BOUND) {
          this.err(at, `the lower bound of ${q(v.name)} is ${fmtNum(v.lower)}, which HiGHS treats as +infinity: no value can satisfy it`);
        } else if (v.upper <= -INFINITE_BOUND) {
          this.err(at, `the upper bound of ${q(v.name)} is ${fmtNum(v.upper)}, which HiGHS treats as -infinity: no value can satisfy it`);
        } else if (v.lower > v.upper) {
          const bounds = `the bounds of ${q(v.name)} are contradictory (lower bound ${fmtNum(v.lower)} > upper bound ${fmtNum(v.upper)})`;
          if (v.semi && !v.bin) {
            // semi-continuous: x = 0 or lower <= x <= upper, so HiGHS solves it with x = 0
            this.err(at, `${bounds}: the semi-continuous ${q(v.name)} can only be 0; fix the bounds or remove it from 'Semi-continuous'`);
          } else {
            // HiGHS reads such a model and reports it infeasible: a warning, and the run says 'infeasible'
            const hint =
              v.lowerSet === null && v.upper < 0
                ? `; variables have lower bound 0 unless you say otherwise: write '-inf <= ${v.name} <= ${fmtNum(v.upper)}' if ${v.name} may be negative`
                : '';
            this.warn(at, `${bounds}: the model is infeasible${hint}`);
          }
        }
      }
      const used = v.obj || v.con;
      if (v.bin) {
        const tok = v.binTok ?? at;
        const hiEff = v.upper === Infinity ? 1 : v.upper;
        if (explicit && at && (v.lower < 0 || hiEff > 1 || v.lower > 1)) {
          this.err(
            at,
            `${q(v.name)} is declared binary but its bounds are [${fmtNum(v.lower)}, ${fmtNum(v.upper)}]: a binary variable must stay within [0, 1] (HiGHS would make it an integer in [${fmtNum(v.lower)}, ${fmtNum(hiEff)}]); remove the bound or declare it in 'General'`,
          );
        }
        if (v.semi && tok) {
          this.err(v.semiTok ?? tok, `${q(v.name)} is declared both binary and semi-continuous: HiGHS would drop the integrality; choose one`);
        } else if (v.gen && tok) {
          this.warn(tok, `${q(v.name)} is declared both binary and general integer; it is treated as binary`);
        }
        if (!used && tok) this.warn(tok, `${q(v.name)} is declared binary but appears nowhere in the objective or the constraints`);
      } else if (v.gen) {
        if (!used && v.genTok) this.warn(v.genTok, `${q(v.name)} is declared integer but appears nowhere in the objective or the constraints`);
      }
      if (v.semi && !v.bin) {
        const tok = v.semiTok;
        if (tok) {
          if (v.lower < 0) {
            this.err(tok, `the semi-continuous variable ${q(v.name)} has a negative lower bound (${fmtNum(v.lower)}): HiGHS requires a lower bound >= 0`);
          } else if (v.lower === 0) {
            this.warn(tok, `the semi-continuous variable ${q(v.name)} has lower bound 0, so it behaves like a continuous variable; give it a positive lower bound in 'Bounds'`);
          }
          if (!used) this.warn(tok, `${q(v.name)} is declared semi-continuous but appears nowhere in the objective or the constraints`);
        }
      }
      if (!used && v.bnd && !v.gen && !v.bin && !v.semi && at) {
        this.warn(at, `${q(v.name)} appears only in the Bounds section, not in the objective or any constraint`);
      }
    }

    // quadratic objective
    if (quad.length > 0 && objTok && obj && !obj.failed) {
      const intVar = [...integers, ...binaries, ...semis][0];
      if (hasInteger && intVar !== undefined) {
        this.err(
          quad[0]!.tok,
          `HiGHS cannot solve a quadratic objective with integer, binary or semi-continuous variables (${q(intVar)}): use a linear objective or continuous variables`,
        );
      } else {
        const res = convexity(quad, this.sense);
        if (res === false) {
          this.err(
            quad[0]!.tok,
            this.sense === 'min'
              ? 'the quadratic objective is not convex: HiGHS can only minimize a convex quadratic (the matrix of the [ ... ]/2 part must be positive semidefinite)'
              : 'the quadratic objective is not concave: HiGHS can only maximize a concave quadratic (the matrix of the [ ... ]/2 part must be negative semidefinite)',
          );
        }
      }
    }

    if (r.errors.length > 0) return null;
    const variables: string[] = [];
    const seen = new Set<string>();
    for (const key of ['obj', 'con', 'bnd', 'gen', 'bin', 'semi'] as const) {
      for (const n of this.order[key]) {
        if (!seen.has(n)) {
          seen.add(n);
          variables.push(n);
        }
      }
    }
    return {
      sense: this.sense,
      objectiveName: this.objectiveName,
      objective: plainTerms(objTerms),
      objectiveConstant: objConst,
      quadratic: quad.length > 0,
      constraints: this.constraints,
      bounds,
      integers,
      binaries,
      semicontinuous: semis,
      variables,
    };
  }
}

function mergeTerms(terms: TermRef[]): TermRef[] {
  const out: TermRef[] = [];
  if (terms.length <= 8) {
    // small expressions: a linear scan beats a Map
    outer: for (const t of terms) {
      for (const o of out) {
        if (o.name === t.name) {
          o.coef += t.coef;
          continue outer;
        }
      }
      out.push({ name: t.name, coef: t.coef, line: t.line, col: t.col, start: t.start });
    }
    return out;
  }
  const idx = new Map<string, TermRef>();
  for (const t of terms) {
    const o = idx.get(t.name);
    if (o === undefined) {
      const n = { name: t.name, coef: t.coef, line: t.line, col: t.col, start: t.start };
      idx.set(t.name, n);
      out.push(n);
    } else {
      o.coef += t.coef;
    }
  }
  return out;
}

function plainTerms(terms: TermRef[]): LpTerm[] {
  const out: LpTerm[] = new Array<LpTerm>(terms.length);
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i] as TermRef;
    out[i] = { name: t.name, coef: t.coef };
  }
  return out;
}

/** Levenshtein distance, giving up (returning `cap`) once it reaches `cap`. */
function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      const v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin >= cap) return cap;
    [prev, cur] = [cur, prev];
  }
  return Math.min(prev[b.length] as number, cap);
}

/**
 * Whether the quadratic part is convex for minimization (concave for
 * maximization). Returns null when the check is skipped (too many variables).
 * The objective is c'x + [ ... ]/2 = c'x + x'Qx/2 with Q_ii = coef(x_i^2) and
 * Q_ij = Q_ji = coef(x_i * x_j)/2.
 */
function convexity(quad: QuadTerm[], sense: 'min' | 'max'): boolean | null {
  const index = new Map<string, number>();
  for (const t of quad) {
    if (!index.has(t.a)) index.set(t.a, index.size);
    if (!index.has(t.b)) index.set(t.b, index.size);
  }
  const n = index.size;
  const sgn = sense === 'min' ? 1 : -1;
  const offDiag = quad.some((t) => t.a !== t.b);
  if (!offDiag) {
    const diag = new Map<string, number>();
    for (const t of quad) diag.set(t.a, (diag.get(t.a) ?? 0) + sgn * t.coef);
    for (const v of diag.values()) if (v < 0) return false;
    return true;
  }
  if (n > 300) return null;
  const a = new Float64Array(n * n);
  let maxAbs = 0;
  for (const t of quad) {
    const i = index.get(t.a) as number;
    const j = index.get(t.b) as number;
    if (i === j) a[i * n + i] = (a[i * n + i] as number) + sgn * t.coef;
    else {
      a[i * n + j] = (a[i * n + j] as number) + (sgn * t.coef) / 2;
      a[j * n + i] = (a[j * n + i] as number) + (sgn * t.coef) / 2;
    }
  }
  for (let i = 0; i < n * n; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i] as number));
  const tol = 1e-9 * Math.max(1, maxAbs);
  for (let k = 0; k < n; k++) {
    const d = a[k * n + k] as number;
    if (d < -tol) return false;
    if (d <= tol) {
      for (let j = k + 1; j < n; j++) if (Math.abs(a[k * n + j] as number) > Math.sqrt(tol)) return false;
      continue;
    }
    for (let i = k + 1; i < n; i++) {
      const f = (a[i * n + k] as number) / d;
      if (f === 0) continue;
      for (let j = k + 1; j < n; j++) a[i * n + j] = (a[i * n + j] as number) - f * (a[k * n + j] as number);
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// Public API

/**
 * Check CPLEX LP text for the HiGHS 1.15 reader. Never throws; runs in linear
 * time (apart from a convexity check on at most 300 quadratic variables).
 */
export function checkLp(text: string, opts?: { maxErrors?: number }): LpCheck {
  const maxErrors = Math.max(1, Math.floor(opts?.maxErrors ?? 20));
  const rep = new Reporter(maxErrors);
  let model: LpModel | null = null;
  try {
    const src = typeof text === 'string' ? text : String(text);
    const p = new Parser(src, rep);
    p.parseFile();
    model = p.finish();
  } catch (e) {
    // defensive: a checker bug must not take the caller down
    rep.stopped = false;
    rep.error(1, 0, `internal error in the LP checker: ${e instanceof Error ? e.message : String(e)}`);
    model = null;
  }
  const errors = rep.errors
    .slice()
    .sort((a, b) => a.line - b.line || a.column - b.column)
    .slice(0, maxErrors);
  const warnings = rep.warnings.slice().sort((a, b) => a.line - b.line || a.column - b.column);
  const ok = errors.length === 0 && model !== null;
  return { ok, errors, warnings, model: ok ? model : null };
}

/**
 * "line 3, column 7: message", followed (when `text` is given) by the source
 * line and a caret under the column.
 */
export function formatLpIssue(issue: LpIssue, text?: string): string {
  const where = issue.column > 0 ? `line ${issue.line}, column ${issue.column}` : `line ${issue.line}`;
  let out = `${where}: ${issue.message}`;
  if (typeof text === 'string' && issue.line >= 1) {
    let start = 0;
    for (let l = 1; l < issue.line; l++) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) return out;
      start = nl + 1;
    }
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let src = text.slice(start, end);
    if (src.endsWith('\r')) src = src.slice(0, -1);
    let col = Math.max(1, issue.column) - 1;
    // keep long lines readable: show at most 100 characters around the column
    let prefix = '';
    if (src.length > 100) {
      const from = Math.max(0, Math.min(col - 40, src.length - 100));
      if (from > 0) prefix = '…';
      src = prefix + src.slice(from, from + 100) + (from + 100 < src.length ? '…' : '');
      col = col - from + prefix.length;
    }
    src = src.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ');
    out += `\n  ${src}`;
    if (issue.column > 0) {
      const pad = src.slice(0, col).replace(/[^\t]/g, ' ');
      out += `\n  ${pad}^`;
    }
  }
  return out;
}
