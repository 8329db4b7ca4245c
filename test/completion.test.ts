import { describe, expect, it } from 'vitest';
import { extractCode } from '../src/verifier/protocol.ts';
import { Rng } from '../src/problems/rng.ts';
import { resolveConfig } from '../src/verifier/config.ts';
import { prepare } from '../src/verifier/score.ts';

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

describe('what models write', () => {
  const LP = 'Maximize\n obj: x\nEnd\n';
  it('reads the code block after </think>: tags mentioned while thinking are not blocks', () => {
    const r = extractCode(`<think>I will answer inside <code>…</code> tags, like <code>this</code>.</think>\n<code>\n${LP}</code>`);
    expect(r).toMatchObject({ ok: true, code: LP, via: 'code_tag' });
    // a </think> with no <think>: the prompt opened the thinking part
    expect(extractCode(`plan with <code>x</code> in mind</think><code>\n${LP}</code>`)).toMatchObject({ ok: true, code: LP });
    expect(extractCode('<think>still thinking <code>x</code>')).toMatchObject({ ok: false, reason: expect.stringMatching(/never closed with <\/think>/) });
  });

  it('accepts <code lang="…"> and refuses nested or repeated blocks', () => {
    expect(extractCode(`<think>t</think><code lang="lp">\n${LP}</code>`)).toMatchObject({ ok: true, code: LP });
    expect(extractCode(`<think>t</think><code><code>${LP}</code></code>`)).toMatchObject({ ok: false, reason: expect.stringMatching(/inside the <code> block/) });
    expect(extractCode('<think>t</think><code>a</code> and <code>b</code>')).toMatchObject({ ok: false, reason: expect.stringMatching(/2 <code> blocks/) });
  });

  it("lenient, several fences: the one in the target's language, else the first that parses", () => {
    const text = `Data:\n\`\`\`json\n{"a": 1}\n\`\`\`\nModel:\n\`\`\`lp\n${LP}\`\`\`\n`;
    expect(extractCode(text, { fences: ['lp'] })).toMatchObject({ ok: true, code: LP, via: 'fence' });
    expect(extractCode(text, { fences: ['mathprog'] }).ok).toBe(false);
    const unmarked = `\`\`\`\nnot a model\n\`\`\`\n\`\`\`\n${LP}\`\`\`\n`;
    expect(extractCode(unmarked, { parses: (c) => c.startsWith('Maximize') })).toMatchObject({ ok: true, code: LP });
    // fences inside the thinking part are not candidates
    expect(extractCode(`<think>\`\`\`\ndraft\n\`\`\`</think>\n\`\`\`lp\n${LP}\`\`\`\n`)).toMatchObject({ ok: true, code: LP });
  });

  it('what is said while thinking never changes the extracted code (seeded property over tag soups)', () => {
    const rng = new Rng(7);
    const parts = ['<think>', '<code>', '</code>', '<code lang="x">', '```', '```lp\n', '\n', 'text ', '<', '>', '</cod', '<thin'];
    const soup = () => Array.from({ length: rng.int(0, 40) }, () => rng.pick(parts)).join('');
    const tails = [`<code>\n${LP}</code>`, `\n\`\`\`lp\n${LP}\`\`\`\n`, `<code>${LP}`, '', `<code>a</code><code>b</code>`];
    for (let i = 0; i < 2000; i++) {
      const tail = rng.pick(tails);
      const a = extractCode(`<think>${soup()}</think>${tail}`), b = extractCode(`<think>${soup()}</think>${tail}`);
      const strip = (r: ReturnType<typeof extractCode>) => (r.ok ? { ok: true, code: r.code, via: r.via } : r);
      expect(strip(a), tail).toEqual(strip(b));
    }
  });

  it('never throws on repeated and nested tags (its speed on megabytes of them: bench/extraction.ts)', () => {
    for (const s of ['<think>'.repeat(100_000), '<code>'.repeat(100_000), '</think><code>'.repeat(50_000), '<think><code>'.repeat(30_000) + '</code></think>'.repeat(30_000), '```\n'.repeat(100_000)]) {
      const r = extractCode(s);
      expect(r.ok).toBe(false);
    }
  });
});

describe('prepare: the size limits before extraction', () => {
  it('a completion over max_completion_bytes is a format error that names the limit', () => {
    const cfg = resolveConfig({ max_completion_bytes: 1000 });
    const p = prepare({ completion: `<code>${'x'.repeat(2000)}</code>`, target: 'highs', answer: 1 }, cfg);
    expect(p).toMatchObject({ ok: false, code: null, messages: [{ source: 'protocol', text: expect.stringMatching(/the limit is 1000/) }] });
  });
});
