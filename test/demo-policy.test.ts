// The built-in policy (public/models/evom-tiny, made by test/reference/make_demo_policy.py): its
// tokenizer files load in @huggingface/tokenizers and give exactly the ids the Python script
// trained on; its chat template gives the prompt format it learned; its config is the engine's.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_POLICY } from '../src/cli/demo.ts';
import { loadModelConfig } from '../src/model/source.ts';
import { directorySource } from '../src/model/source-node.ts';
import { loadTokenizerFromSource } from '../src/model/tokenizer.ts';
import { promptIdsFor } from '../src/rl/trainer.ts';

const source = directorySource(BUILTIN_POLICY);
const samples = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'demo-policy-tokens.json'), 'utf8')) as { text: string; ids: number[] }[];

describe('built-in policy evom-tiny', () => {
  it('tokenizes exactly as the script that trained it', async () => {
    const tok = (await loadTokenizerFromSource(source))!;
    expect(samples.length).toBeGreaterThanOrEqual(6);
    for (const s of samples) {
      expect(tok.encode(s.text, { addSpecialTokens: false }), JSON.stringify(s.text.slice(0, 60))).toEqual(s.ids);
      if (!s.ids.includes(0)) expect(tok.decode(s.ids)).toBe(s.text); // [UNK] (id 0) cannot round-trip
    }
    expect(samples.some((s) => s.ids.includes(0))).toBe(true); // the unknown-word sample really is unknown
  });

  it('the chat template renders the prompt format of the warm start', async () => {
    const tok = (await loadTokenizerFromSource(source))!;
    const q = 'A hiker packs 2 items. Maximize usefulness.';
    expect(promptIdsFor(tok, q, 'highs')).toEqual(tok.encode(`<|user|>${q}<|assistant|>`, { addSpecialTokens: false }));
    expect([...tok.eosTokenIds]).toEqual([tok.encode('<|end|>', { addSpecialTokens: false })[0]]);
  });

  it('is a small Llama the engine loads', async () => {
    const cfg = await loadModelConfig(source);
    expect(cfg.arch).toBe('llama');
    expect(cfg.vocab % 64).toBe(0);
    expect(statSync(join(BUILTIN_POLICY, 'model.safetensors')).size).toBeLessThan(4 << 20);
  });
});
