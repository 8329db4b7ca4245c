import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectedTensors, ModelConfigError, parseModelConfig } from '../src/model/config.ts';

// Qwen2.5-0.5B-Instruct's config.json (as published).
const QWEN25_05B = {
  architectures: ['Qwen2ForCausalLM'], attention_dropout: 0.0, bos_token_id: 151643, eos_token_id: 151645,
  hidden_act: 'silu', hidden_size: 896, initializer_range: 0.02, intermediate_size: 4864,
  max_position_embeddings: 32768, max_window_layers: 21, model_type: 'qwen2', num_attention_heads: 14,
  num_hidden_layers: 24, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 1000000.0, sliding_window: 32768,
  tie_word_embeddings: true, torch_dtype: 'bfloat16', transformers_version: '4.43.1', use_cache: true,
  use_sliding_window: false, vocab_size: 151936,
};

// Qwen3-0.6B's config.json (head_dim 128 ≠ hidden/heads).
const QWEN3_06B = {
  architectures: ['Qwen3ForCausalLM'], attention_bias: false, attention_dropout: 0.0, bos_token_id: 151643,
  eos_token_id: 151645, head_dim: 128, hidden_act: 'silu', hidden_size: 1024, initializer_range: 0.02,
  intermediate_size: 3072, max_position_embeddings: 40960, max_window_layers: 28, model_type: 'qwen3',
  num_attention_heads: 16, num_hidden_layers: 28, num_key_value_heads: 8, rms_norm_eps: 1e-6, rope_scaling: null,
  rope_theta: 1000000, sliding_window: null, tie_word_embeddings: true, torch_dtype: 'bfloat16',
  use_cache: true, use_sliding_window: false, vocab_size: 151936,
};

const LLAMA = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 2048, intermediate_size: 5632,
  num_attention_heads: 32, num_hidden_layers: 22, num_key_value_heads: 4, rms_norm_eps: 1e-5, vocab_size: 32000,
  bos_token_id: 1, eos_token_id: 2, max_position_embeddings: 2048, rope_theta: 10000.0, rope_scaling: null,
  tie_word_embeddings: false, hidden_act: 'silu', attention_bias: false,
};

function err(fn: () => unknown): ModelConfigError {
  try { fn(); } catch (e) { expect(e).toBeInstanceOf(ModelConfigError); return e as ModelConfigError; }
  throw new Error('expected a ModelConfigError');
}

describe('parseModelConfig', () => {
  it('reads Qwen2.5-0.5B-Instruct', () => {
    const c = parseModelConfig(QWEN25_05B, { eos_token_id: [151645, 151643] });
    expect(c).toEqual({
      arch: 'qwen2', hidden: 896, layers: 24, heads: 14, kvHeads: 2, headDim: 64, intermediate: 4864, vocab: 151936,
      ropeTheta: 1e6, rmsEps: 1e-6, tiedEmbeddings: true, attentionBias: true, attentionOutputBias: false, qkNorm: false,
      maxPositions: 32768, bosTokenId: 151643, eosTokenIds: [151645, 151643], dtype: 'bfloat16',
    });
  });

  it('reads Qwen3 (explicit head_dim, q/k norm, no biases)', () => {
    const c = parseModelConfig(QWEN3_06B);
    expect(c.arch).toBe('qwen3');
    expect(c.headDim).toBe(128);
    expect(c.qkNorm).toBe(true);
    expect(c.attentionBias).toBe(false);
    expect(c.eosTokenIds).toEqual([151645]);
  });

  it('reads Llama (untied, attention_bias from the config, defaults)', () => {
    const c = parseModelConfig(LLAMA);
    expect(c).toMatchObject({ arch: 'llama', headDim: 64, kvHeads: 4, tiedEmbeddings: false, attentionBias: false, qkNorm: false, rmsEps: 1e-5 });
    const b = parseModelConfig({ ...LLAMA, attention_bias: true });
    expect(b.attentionBias).toBe(true);
    expect(b.attentionOutputBias).toBe(true);
    const { num_key_value_heads: _k, rope_theta: _r, tie_word_embeddings: _t, ...bare } = LLAMA;
    const d = parseModelConfig(bare);
    expect(d.kvHeads).toBe(32);
    expect(d.ropeTheta).toBe(10000);
    expect(d.tiedEmbeddings).toBe(false);
  });

  it('recognises the architecture from "architectures" when model_type is missing', () => {
    const { model_type: _m, ...rest } = QWEN3_06B;
    expect(parseModelConfig(rest).arch).toBe('qwen3');
    const e = err(() => parseModelConfig({ ...rest, architectures: ['GPT2LMHeadModel'] }));
    expect(e.message).toContain('Qwen2ForCausalLM');
  });

  it('refuses unsupported model types and lists the supported ones', () => {
    for (const mt of ['mistral', 'qwen2_moe', 'gpt2']) {
      const e = err(() => parseModelConfig({ ...QWEN25_05B, model_type: mt }));
      expect(e.field).toBe('model_type');
      expect(e.message).toContain(`"${mt}"`);
      expect(e.message).toContain('supported: qwen2, qwen3, llama');
    }
    expect(err(() => parseModelConfig({ ...QWEN25_05B, model_type: 'mistral' })).message).toContain('sliding-window');
    expect(err(() => parseModelConfig({ ...QWEN25_05B, model_type: 'qwen2_moe' })).message).toContain('mixture of experts');
  });

  it('refuses RoPE scaling except null / default, naming the type', () => {
    expect(parseModelConfig({ ...LLAMA, rope_scaling: { type: 'default' } }).ropeTheta).toBe(10000);
    expect(parseModelConfig({ ...LLAMA, rope_scaling: { rope_type: 'default' } }).ropeTheta).toBe(10000);
    const e = err(() => parseModelConfig({ ...LLAMA, rope_scaling: { rope_type: 'llama3', factor: 32 } }));
    expect(e.field).toBe('rope_scaling');
    expect(e.message).toContain('"llama3"');
    expect(err(() => parseModelConfig({ ...QWEN25_05B, rope_scaling: { type: 'yarn', factor: 4 } })).message).toContain('"yarn"');
    expect(err(() => parseModelConfig({ ...LLAMA, rope_scaling: 'linear' })).field).toBe('rope_scaling');
  });

  it('reads transformers 5 rope_parameters', () => {
    const { rope_theta: _r, rope_scaling: _s, ...rest } = LLAMA;
    expect(parseModelConfig({ ...rest, rope_parameters: { rope_type: 'default', rope_theta: 500000 } }).ropeTheta).toBe(500000);
    expect(err(() => parseModelConfig({ ...rest, rope_parameters: { rope_type: 'llama3', rope_theta: 500000 } })).field).toBe('rope_parameters');
  });

  it('validates the numbers with a typed error naming the field', () => {
    expect(err(() => parseModelConfig({ ...QWEN25_05B, num_key_value_heads: 3 })).field).toBe('num_key_value_heads');
    expect(err(() => parseModelConfig({ ...QWEN25_05B, hidden_size: 0 })).field).toBe('hidden_size');
    expect(err(() => parseModelConfig({ ...QWEN25_05B, hidden_size: 896.5 })).field).toBe('hidden_size');
    expect(err(() => parseModelConfig({ ...QWEN25_05B, num_hidden_layers: '24' })).field).toBe('num_hidden_layers');
    const { vocab_size: _v, ...noVocab } = QWEN25_05B;
    const e = err(() => parseModelConfig(noVocab));
    expect(e.field).toBe('vocab_size');
    expect(e.message).toContain('missing');
    expect(err(() => parseModelConfig({ ...QWEN25_05B, hidden_size: 900 })).field).toBe('head_dim'); // 900 % 14
    expect(err(() => parseModelConfig({ ...QWEN3_06B, head_dim: 127 })).field).toBe('head_dim');
    expect(err(() => parseModelConfig({ ...QWEN25_05B, rms_norm_eps: -1 })).field).toBe('rms_norm_eps');
    expect(err(() => parseModelConfig({ ...QWEN25_05B, eos_token_id: 999999 })).field).toBe('eos_token_id');
    expect(err(() => parseModelConfig({ ...QWEN25_05B, hidden_act: 'gelu' })).field).toBe('hidden_act');
    expect(err(() => parseModelConfig({ ...QWEN25_05B, use_sliding_window: true })).field).toBe('use_sliding_window');
    expect(err(() => parseModelConfig({ ...LLAMA, mlp_bias: true })).field).toBe('mlp_bias');
    expect(err(() => parseModelConfig({ ...QWEN3_06B, attention_bias: true })).field).toBe('attention_bias');
    expect(err(() => parseModelConfig({ ...QWEN3_06B, layer_types: ['full_attention', 'sliding_attention'] })).field).toBe('layer_types');
    expect(err(() => parseModelConfig([])).message).toContain('JSON object');
    expect(err(() => parseModelConfig({})).field).toBe('model_type');
  });

  it('merges generation_config eos ids without duplicates; bos may be absent', () => {
    const c = parseModelConfig({ ...QWEN25_05B, bos_token_id: null, eos_token_id: [151645, 151643] }, { eos_token_id: 151643 });
    expect(c.eosTokenIds).toEqual([151645, 151643]);
    expect(c.bosTokenId).toBeNull();
  });

  it('lists the expected tensors', () => {
    const t = expectedTensors(parseModelConfig(QWEN25_05B));
    expect(t.get('model.embed_tokens.weight')).toEqual([151936, 896]);
    expect(t.get('model.layers.23.self_attn.k_proj.weight')).toEqual([128, 896]);
    expect(t.get('model.layers.0.self_attn.q_proj.bias')).toEqual([896]);
    expect(t.has('model.layers.0.self_attn.o_proj.bias')).toBe(false);
    expect(t.has('lm_head.weight')).toBe(false);
    expect(t.size).toBe(1 + 24 * 12 + 1);
    const q3 = expectedTensors(parseModelConfig(QWEN3_06B));
    expect(q3.get('model.layers.0.self_attn.q_norm.weight')).toEqual([128]);
    expect(q3.get('model.layers.0.self_attn.q_proj.weight')).toEqual([2048, 1024]);
    expect(expectedTensors(parseModelConfig(LLAMA)).get('lm_head.weight')).toEqual([32000, 2048]);
  });
});

describe('fixture configs', () => {
  const dir = new URL('./fixtures/models/', import.meta.url).pathname;
  const read = (m: string, f: string) => JSON.parse(readFileSync(`${dir}${m}/${f}`, 'utf8'));
  it.runIf(existsSync(`${dir}tiny-qwen2/config.json`))('tiny-qwen2', () => {
    const c = parseModelConfig(read('tiny-qwen2', 'config.json'), read('tiny-qwen2', 'generation_config.json'));
    expect(c).toMatchObject({ arch: 'qwen2', hidden: 64, headDim: 16, tiedEmbeddings: true, attentionBias: true, eosTokenIds: [151645, 151643] });
  });
  it.runIf(existsSync(`${dir}tiny-qwen3/config.json`))('tiny-qwen3', () => {
    const c = parseModelConfig(read('tiny-qwen3', 'config.json'), read('tiny-qwen3', 'generation_config.json'));
    expect(c).toMatchObject({ arch: 'qwen3', hidden: 32, headDim: 16, qkNorm: true, attentionBias: false, dtype: 'float32' });
  });
  it.runIf(existsSync(`${dir}tiny-llama/config.json`))('tiny-llama', () => {
    const c = parseModelConfig(read('tiny-llama', 'config.json'), read('tiny-llama', 'generation_config.json'));
    expect(c).toMatchObject({ arch: 'llama', vocab: 1024, kvHeads: 1, headDim: 8, tiedEmbeddings: false, bosTokenId: 1, eosTokenIds: [2] });
  });
});
