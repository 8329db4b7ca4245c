import { describe, expect, it } from 'vitest';
import { withinTolerance } from '../src/verifier/tolerance.ts';
import { classifyStatus, computeReward } from '../src/verifier/score.ts';
import { parseAnswer } from '../src/verifier/outcome.ts';
import { DEFAULTS } from '../src/verifier/config.ts';

describe('tolerance rules', () => {
  it('rel5pct: relative 5 % (EVOM main rule)', () => {
    expect(withinTolerance(104.9, 100, 'rel5pct')).toBe(true);
    expect(withinTolerance(105.1, 100, 'rel5pct')).toBe(false);
    expect(withinTolerance(-95.5, -100, 'rel5pct')).toBe(true);
    expect(withinTolerance(1e-9, 0, 'rel5pct')).toBe(true);
    expect(withinTolerance(0.01, 0, 'rel5pct')).toBe(false);
  });
  it('rel1e-4: relative 1e-4 (EVOM strict)', () => {
    expect(withinTolerance(100.009, 100, 'rel1e-4')).toBe(true);
    expect(withinTolerance(100.02, 100, 'rel1e-4')).toBe(false);
  });
  it('sirl: |p − g| / (|g| + 1) < 1e-6', () => {
    expect(withinTolerance(99 + 1e-5, 99, 'sirl')).toBe(true);
    expect(withinTolerance(99 + 1e-3, 99, 'sirl')).toBe(false);
    expect(withinTolerance(5e-7, 0, 'sirl')).toBe(true);
  });
  it('int: rounds both before comparing', () => {
    expect(withinTolerance(100.4, 99.6, 'int')).toBe(true);
    expect(withinTolerance(2.4, 2.6, 'int')).toBe(false);
  });
  it('non-finite values never match', () => {
    for (const rule of ['rel5pct', 'rel1e-4', 'sirl', 'int'] as const) {
      expect(withinTolerance(NaN, 1, rule)).toBe(false);
      expect(withinTolerance(Infinity, Infinity, rule)).toBe(false);
    }
  });
});

describe('classification and reward', () => {
  it('optimal within tolerance is correct, outside is wrong_answer', () => {
    expect(classifyStatus('optimal', 11, 11.2, 'rel5pct')).toBe('correct');
    expect(classifyStatus('optimal', 11, 12, 'rel5pct')).toBe('wrong_answer');
    expect(classifyStatus('optimal', 11, 11.2, 'rel1e-4')).toBe('wrong_answer');
  });
  it('an expected-infeasible item is correct only when infeasibility is proven', () => {
    expect(classifyStatus('infeasible', null, 'infeasible', 'rel5pct')).toBe('correct');
    expect(classifyStatus('infeasible_or_unbounded', null, 'infeasible', 'rel5pct')).toBe('infeasible');
    expect(classifyStatus('optimal', 3, 'infeasible', 'rel5pct')).toBe('wrong_answer');
    expect(classifyStatus('unbounded', null, 'infeasible', 'rel5pct')).toBe('unbounded');
    expect(classifyStatus('infeasible', null, 5, 'rel5pct')).toBe('infeasible');
  });
  it('limits and errors', () => {
    expect(classifyStatus('time_limit', 3, 3, 'rel5pct')).toBe('timeout');
    expect(classifyStatus('iteration_limit', null, 3, 'rel5pct')).toBe('solver_error');
    expect(classifyStatus('error', null, 3, 'rel5pct')).toBe('solver_error');
  });
  it('R = w_format·format_ok + w_answer·correct + w_exec·executed', () => {
    expect(computeReward('correct', DEFAULTS.reward).reward).toBe(2);
    expect(computeReward('wrong_answer', DEFAULTS.reward).reward).toBe(1);
    expect(computeReward('parse_error', DEFAULTS.reward).reward).toBe(1);
    expect(computeReward('format_error', DEFAULTS.reward).reward).toBe(0);
    const w = { format: 0.5, answer: 2, exec: 0.25 };
    expect(computeReward('correct', w).reward).toBeCloseTo(2.75);
    expect(computeReward('unbounded', w).reward).toBeCloseTo(0.75);
    expect(computeReward('timeout', w)).toMatchObject({ reward: 0.5, breakdown: { format: 1, answer: 0, exec: 0 } });
  });
  it('parses answers', () => {
    expect(parseAnswer('12.5')).toBe(12.5);
    expect(parseAnswer(' Infeasible ')).toBe('infeasible');
    expect(parseAnswer(-3)).toBe(-3);
    expect(() => parseAnswer('abc')).toThrow(/finite number or "infeasible"/);
    expect(() => parseAnswer('')).toThrow();
    expect(() => parseAnswer('NaN')).toThrow();
  });
});
