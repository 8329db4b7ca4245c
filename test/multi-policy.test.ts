// The built-in policy v2 (public/models/evom-tiny-multi, made by test/reference/make_multi_policy.py):
// its tokenizer gives exactly the ids the Python script trained on; its chat template ends the prompt
// with the tag of the target the system message names, as in the warm start; its config is the engine's.
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelConfig } from '../src/model/source.ts';
import { directorySource } from '../src/model/source-node.ts';
import { loadTokenizerFromSource } from '../src/model/tokenizer.ts';
import { promptIdsFor } from '../src/rl/trainer.ts';

const POLICY = resolve(import.meta.dirname, '..', 'public', 'models', 'evom-tiny-multi');
const source = directorySource(POLICY);
const samples = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'multi-policy-tokens.json'), 'utf8')) as { text: string; ids: number[] }[];

describe('built-in policy evom-tiny-multi', () => {
  it('tokenizes exactly as the script that trained it', async () => {
    const tok = (await loadTokenizerFromSource(source))!;
    expect(samples.length).toBeGreaterThanOrEqual(8);
    for (const s of samples) {
      expect(tok.encode(s.text, { addSpecialTokens: false }), JSON.stringify(s.text.slice(0, 60))).toEqual(s.ids);
      if (!s.ids.includes(0)) expect(tok.decode(s.ids)).toBe(s.text); // [UNK] (id 0) cannot round-trip
    }
    expect(samples.some((s) => s.ids.includes(0))).toBe(true); // the unknown-word sample really is unknown
  });

  it('the chat template ends the prompt with the tag of the target', async () => {
    const tok = (await loadTokenizerFromSource(source))!;
    const q = 'A hiker packs 2 items. Maximize usefulness.';
    const ids = (text: string) => tok.encode(text, { addSpecialTokens: false });
    const tagged = { highs: 'highs', glpk: 'glpk', minizinc: 'minizinc', 'minizinc-cbc': 'minizinc', 'minizinc-gecode': 'minizinc' } as const;
    for (const [target, tag] of Object.entries(tagged)) {
      expect(promptIdsFor(tok, q, target), target).toEqual(ids(`<|user|>${q}<|assistant|><|${tag}|>`));
      expect(tok.tokenToId(`<|${tag}|>`)).toBe(ids(`<|${tag}|>`)[0]);
    }
    // languages it was not trained on: v1's prompt, no tag
    for (const target of ['pulp', 'glpk-json', 'scipy']) expect(promptIdsFor(tok, q, target), target).toEqual(ids(`<|user|>${q}<|assistant|>`));
    expect([...tok.eosTokenIds]).toEqual([ids('<|end|>')[0]]);
    // the tags are special: a decoded completion never shows them
    expect(tok.decode(ids('<|glpk|>var x1 binary;'), { skipSpecialTokens: true })).toBe('var x1 binary;');
  });

  it('is a small Llama the engine loads', async () => {
    const cfg = await loadModelConfig(source);
    expect(cfg.arch).toBe('llama');
    expect(cfg.vocab % 64).toBe(0);
    expect(statSync(join(POLICY, 'model.safetensors')).size).toBeLessThan(2 << 20);
  });
});
