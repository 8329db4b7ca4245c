// The Studio's text helpers, in Node: numbers (src/studio/format.ts), LaTeX in problem text, counts,
// a JSONL line's JSON error, the Hub's error messages, and whether a rollout group taught anything.
import { describe, expect, it } from 'vitest';
import { formatAnswer, formatDuration, formatNumber, latexToPlain, pct, plural } from '../src/studio/format.ts';
import { secondsLeft } from '../src/studio/progress.tsx';
import { jsonLineProblem, parseBenchmark } from '../src/problems/benchmarks.ts';
import { HubAuthError, HubNotFoundError } from '../src/model/hub.ts';
import { groupFate, METRICS, noSignalNote, OUTCOME_DEFINITIONS } from '../src/studio/labels.ts';
import { OUTCOME_CLASSES, type OutcomeClass } from '../src/verifier/outcome.ts';

describe('formatNumber', () => {
  it.each([
    [133.33333333333331, '133.333'],
    [0.30000000000000004, '0.3'],
    [1234567, '1,234,567'],
    [5025.8064516129025, '5,025.81'],
    [-2.5, '-2.5'],
    [100, '100'],
    [0, '0'],
    [-0, '0'],
    [999.9999999, '1,000'],
    [-0.000123456789, '-0.000123457'],
    [1e-7, '1e-7'],
    [2.5e20, '2.5e20'],
    [Infinity, '∞'],
    [Number.NaN, 'NaN'],
  ])('%s → %s', (v, shown) => {
    expect(formatNumber(v)).toBe(shown);
  });

  it('takes fewer significant digits when asked, never fewer than the integer part has', () => {
    expect(formatNumber(0.8333333, 3)).toBe('0.833');
    expect(formatNumber(12345.678, 3)).toBe('12,346');
    expect(formatNumber(1.5, 3)).toBe('1.5');
  });

  it('prints answers: numbers, infeasible, none', () => {
    expect(formatAnswer(133.33333333333331)).toBe('133.333');
    expect(formatAnswer('infeasible')).toBe('infeasible');
    expect(formatAnswer(null)).toBe('—');
    expect(pct(0.625)).toBe('62.5 %');
  });
});

describe('latexToPlain', () => {
  it.each([
    ['Each unit costs \\$50 for project $X$ and \\$30 for $Y$.', 'Each unit costs $50 for project X and $30 for Y.'],
    ['\\frac{a}{b} and $\\frac{x+1}{2}$', 'a/b and (x+1)/2'],
    ['$3 \\times 4 \\leq 12$, at most 50\\%', '3 × 4 ≤ 12, at most 50%'],
    ['$x \\geq 2$ and $y \\neq 1$', 'x ≥ 2 and y ≠ 1'],
    ['capacity 200,000 $\\mathrm{m}^3$, at most $48000 \\mathrm{~L}$', 'capacity 200,000 m³, at most 48000 L'],
    ['\\( t_{11} = 5 \\) minutes', 't₁₁ = 5 minutes'],
    ['$$\\sum_i x_i \\le 10$$', 'Σ_i x_i ≤ 10'],
    ['weights $3$ and $4.5$, within \\$7', 'weights 3 and 4.5, within $7'],
    ['Maximize $3x + 2y$', 'Maximize 3x + 2y'],
  ])('%s', (tex, plain) => {
    expect(latexToPlain(tex)).toBe(plain);
  });

  it('keeps dollar signs that are prices', () => {
    const text = 'The budget is $77 thousand. Item A costs $5 and item B costs $7.';
    expect(latexToPlain(text)).toBe(text);
    expect(latexToPlain('between $5,000-$7,000 a month')).toBe('between $5,000-$7,000 a month');
  });

  it('turns a tabular environment into rows of cells', () => {
    const tex = 'Table 1\n\\begin{tabular}{c|c}\n\\hline Product & Profit \\\\\n\\hline A & $0 \\sim 40$ \\\\\n\\hline\n\\end{tabular}\nMaximize profit.';
    expect(latexToPlain(tex)).toBe('Table 1\nProduct | Profit\nA | 0 ~ 40\nMaximize profit.');
  });

  it('leaves text without LaTeX as it is', () => {
    expect(latexToPlain('Maximize 3x + 2y subject to x + y <= 4.')).toBe('Maximize 3x + 2y subject to x + y <= 4.');
  });
});

describe('plural', () => {
  it('says "1 step", "2 steps", "0 steps"', () => {
    expect(plural(1, 'step')).toBe('1 step');
    expect(plural(2, 'step')).toBe('2 steps');
    expect(plural(0, 'file')).toBe('0 files');
  });
});

describe('a JSONL line that is not JSON', () => {
  it('names the line once and gives the column of that line', () => {
    expect(jsonLineProblem(`Expected ',' or '}' after property value in JSON at position 37 (line 1 column 38)`))
      .toBe(`Expected ',' or '}' after property value at column 38 of that line`);
    expect(jsonLineProblem(`Expected ',' or '}' after property value in JSON at position 10`))
      .toBe(`Expected ',' or '}' after property value at column 11 of that line`);
    expect(jsonLineProblem(`JSON.parse: expected ',' or '}' after property value in object at line 1 column 38 of the JSON data`))
      .toBe(`expected ',' or '}' after property value in object at column 38 of that line`);
    expect(jsonLineProblem(`Unexpected token 'x', "{"id":x}" is not valid JSON`)).toBe(`Unexpected token 'x'`);
    const e = (() => { try { parseBenchmark('{"id":"a","question":"q","answer":1}\n{"id":"b" "question":"q"}\n', 'mine.jsonl'); } catch (x) { return x as Error; } return null; })();
    expect(e?.message).toMatch(/^mine\.jsonl:2: not valid JSON \(Expected ',' or '\}' after property value at column 11 of that line\)$/);
    expect(e?.message).not.toMatch(/line 1/);
  });
});

describe('Hub errors say what to do on their first line', () => {
  it('a missing repository or config.json: no such model, check the id (the URL on the next line)', () => {
    const repo = new HubNotFoundError('http://hub/x/y/resolve/main/config.json', 'config.json', 'x/y', 'repository');
    expect(repo.message.split('\n')[0]).toBe('no such model on the Hub (404): check the id "x/y"');
    expect(repo.message).toContain('http://hub/x/y/resolve/main/config.json');
    const file = new HubNotFoundError('http://hub/x/y/resolve/main/config.json', 'config.json', 'x/y', 'file');
    expect(file.message.split('\n')[0]).toBe('no such model on the Hub (404): check the id "x/y"');
    const other = new HubNotFoundError('http://hub/x/y/resolve/main/tokenizer.json', 'tokenizer.json', 'x/y', 'file');
    expect(other.message).toBe('Hugging Face Hub: file "tokenizer.json" not found (404): http://hub/x/y/resolve/main/tokenizer.json');
  });

  it('401/403: gated or private, and how to give a token', () => {
    const advice = 'paste a token from https://huggingface.co/settings/tokens in the Hub token field (Model tab)';
    const none = new HubAuthError('http://hub/g/m/resolve/main/config.json', 401, 'g/m', null, false, advice);
    expect(none.message.split('\n')[0]).toBe(`the model "g/m" is gated or private (401): ${advice}`);
    expect(none.message).toContain('http://hub/g/m/resolve/main/config.json');
    const gated = new HubAuthError('u', 403, 'g/m', 'GatedRepo', false, advice);
    expect(gated.message.split('\n')[0]).toBe(`the model "g/m" is gated or private (403): accept its terms at https://huggingface.co/g/m, then ${advice}`);
    const refused = new HubAuthError('u', 403, 'g/m', null, true, advice);
    expect(refused.message.split('\n')[0]).toBe('the model "g/m" is gated or private (403) and the Hub refused the token: check that it has read access (https://huggingface.co/settings/tokens)');
  });
});

describe('definitions', () => {
  it('every outcome class and every metric has a one-line definition', () => {
    for (const c of OUTCOME_CLASSES) expect(OUTCOME_DEFINITIONS[c as OutcomeClass]).toMatch(/^[a-z].{20,}[^.]$/);
    for (const m of Object.values(METRICS)) expect(m.definition).not.toMatch(/\n/);
  });
});

describe('the rollout inspector on a group', () => {
  const group = (classes: OutcomeClass[], rewards: number[], kept = true) => ({
    id: 'p', question: 'q', answer: 1, kept,
    completions: classes.map((c, i) => ({ text: '', tokens: 1, reward: rewards[i]!, advantage: 0, class: c, objective: null })),
  });
  it('says there is no learning signal when every reward is equal, not that the group was used', () => {
    expect(groupFate(group(['correct', 'correct', 'correct', 'correct'], [2, 2, 2, 2]))).toBe('All 4 correct: no learning signal from this group (every advantage is 0).');
    expect(groupFate(group(['wrong_answer', 'parse_error', 'wrong_answer'], [1, 1, 1]))).toBe('All 3 wrong: no learning signal from this group (every advantage is 0).');
    expect(noSignalNote(group(['correct', 'no_model'], [1, 1]))).toBe('all 2 equal reward: no learning signal from this group (every advantage is 0)');
    expect(groupFate(group(['correct', 'correct'], [2, 2], false))).toBe('Dropped by dynamic sampling: all 2 correct: no learning signal from this group (every advantage is 0).');
    expect(groupFate(group(['correct', 'wrong_answer'], [2, 1]))).toMatch(/^Used for the update/);
  });
});

describe('durations and time left', () => {
  it('prints seconds, minutes and hours as people say them', () => {
    expect(formatDuration(42.4)).toBe('42 s');
    expect(formatDuration(95)).toBe('1 min 35 s');
    expect(formatDuration(120)).toBe('2 min');
    expect(formatDuration(3725)).toBe('1 h 2 min');
  });
  it('estimates the time left from the rate so far, and gives none before the first count', () => {
    const p = { label: 'Generating', unit: 'completion', total: 40, startedAt: 0 };
    expect(secondsLeft({ ...p, done: 0 }, 10_000)).toBeNull();
    expect(secondsLeft({ ...p, done: 10 }, 20_000)).toBeCloseTo(60, 9); // 2 s each, 30 left
    expect(secondsLeft({ ...p, done: 40 }, 20_000)).toBe(0);
  });
});
