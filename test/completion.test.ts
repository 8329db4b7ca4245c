import { describe, expect, it } from 'vitest';
import { extractCode } from '../src/verifier/protocol.ts';

describe('completion protocol', () => {
  it('extracts the <code> block of <think>…</think><code>…</code>', () => {
    const r = extractCode('<think>plan</think>\n<code>\nMaximize\n obj: x\nEnd\n</code>');
    expect(r).toEqual({ ok: true, code: 'Maximize\n obj: x\nEnd\n', via: 'code_tag', think: 'plan' });
  });

  it('strips a fence inside the <code> block', () => {
    const r = extractCode('<think>t</think><code>\n```lp\nMaximize\n obj: x\nEnd\n```\n</code>');
    expect(r.ok && r.code).toBe('Maximize\n obj: x\nEnd');
  });

  it('accepts a single fenced block in lenient mode only', () => {
    const text = 'Here is the model:\n```lp\nMinimize\n obj: x\nEnd\n```\nDone.';
    const lenient = extractCode(text, 'lenient');
    expect(lenient.ok && lenient.via).toBe('fence');
    expect(lenient.ok && lenient.code).toBe('Minimize\n obj: x\nEnd\n');
    const strict = extractCode(text, 'strict');
    expect(strict.ok).toBe(false);
  });

  it.each([
    ['missing block', 'I think the answer is 42.', /no <code>/],
    ['empty block', '<think>x</think><code>   \n </code>', /empty/],
    ['duplicated block', '<code>a</code><code>b</code>', /2 <code> blocks/],
    ['unclosed block', '<think>x</think><code>Maximize', /never closed/],
    ['two fences', '```\na\n```\ntext\n```\nb\n```', /2 fenced/],
    ['unclosed fence', '```lp\nMaximize', /never closed/],
    ['empty fence', '```lp\n```', /empty/],
  ])('%s is a format error with a reason', (_name, text, reason) => {
    const r = extractCode(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  it('strict mode requires <think> before <code> and nothing around', () => {
    expect(extractCode('<think>a</think><code>x</code>', 'strict').ok).toBe(true);
    expect(extractCode('<code>x</code>', 'strict').ok).toBe(false);
    expect(extractCode('preamble <think>a</think><code>x</code>', 'strict').ok).toBe(false);
  });

  it('never throws on hostile input', () => {
    for (const s of ['', '<code>', '</code><code>', '`'.repeat(10000), '<think>'.repeat(5000), '\u0000\uffff']) {
      expect(() => extractCode(s)).not.toThrow();
    }
    expect(extractCode(undefined as unknown as string).ok).toBe(false);
  });
});
