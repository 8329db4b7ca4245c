// Model configuration: a Hugging Face `config.json` (+ optional `generation_config.json`) parsed and
// validated into the few numbers the inference engine needs. Only dense, full-attention decoder
// architectures the WGSL engine implements are accepted; anything else is a clear error rather than
// a silently wrong model.

import { EvomError } from '../errors.ts';

export type ModelArch = 'qwen2' | 'qwen3' | 'llama';

export const SUPPORTED_MODEL_TYPES: readonly ModelArch[] = ['qwen2', 'qwen3', 'llama'];

export interface ModelConfig {
  arch: ModelArch;
  /** d_model (`hidden_size`). */
  hidden: number;
  layers: number;
  /** Query heads. */
  heads: number;
  /** Key/value heads (grouped-query attention: heads % kvHeads === 0). */
  kvHeads: number;
  /** Per-head dimension (`head_dim`, defaults to hidden / heads). Always even (RoPE rotates pairs). */
  headDim: number;
  /** MLP inner size (`intermediate_size`), SwiGLU: gate, up, down. */
  intermediate: number;
  /** Rows of the embedding / LM head (`vocab_size`; may exceed the tokenizer's vocabulary: padding). */
  vocab: number;
  ropeTheta: number;
  rmsEps: number;
  /** LM head shares the embedding matrix (`tie_word_embeddings`); no `lm_head.weight` then. */
  tiedEmbeddings: boolean;
  /** q/k/v projections carry a bias: always for qwen2, `attention_bias` for llama, never for qwen3. */
  attentionBias: boolean;
  /** o_proj carries a bias (llama with `attention_bias: true` only; qwen2 biases q/k/v but not o). */
  attentionOutputBias: boolean;
  /** Per-head RMSNorm on q and k before RoPE (qwen3: `q_norm`, `k_norm`, weight shape [headDim]). */
  qkNorm: boolean;
  maxPositions: number;
  bosTokenId: number | null;
  /** Union of config.json's and generation_config.json's `eos_token_id`, in that order. */
  eosTokenIds: number[];
  /** `torch_dtype` / `dtype` as written in the config (e.g. "bfloat16"), or null. Informational. */
  dtype: string | null;
}

/** A config.json that the engine cannot run; `field` names the offending key when there is one. */
export class ModelConfigError extends EvomError {
  constructor(message: string, readonly field?: string) {
    super(field ? `config.json: ${field}: ${message}` : `config.json: ${message}`, 'model_config');
  }
}

const ARCHITECTURE_TO_TYPE: Record<string, ModelArch> = {
  Qwen2ForCausalLM: 'qwen2',
  Qwen3ForCausalLM: 'qwen3',
  LlamaForCausalLM: 'llama',
};

/** Why some well-known relatives are refused (appended to the "unsupported model_type" error). */
const UNSUPPORTED_HINTS: Record<string, string> = {
  mistral: 'sliding-window attention',
  mixtral: 'mixture of experts',
  qwen2_moe: 'mixture of experts',
  qwen3_moe: 'mixture of experts',
  qwen2_vl: 'vision-language model',
  qwen2_5_vl: 'vision-language model',
  gemma: 'different normalization and activation',
  gemma2: 'soft-capping and sliding windows',
  gemma3: 'sliding windows',
  phi3: 'fused projections',
};

type Json = Record<string, unknown>;

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function positiveInt(json: Json, key: string, fallback?: number): number {
  const v = json[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new ModelConfigError('missing (a positive integer is required)', key);
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ModelConfigError(`must be a positive integer, got ${JSON.stringify(v)}`, key);
  }
  return v;
}

function positiveNumber(v: unknown, key: string, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new ModelConfigError(`must be a positive number, got ${JSON.stringify(v)}`, key);
  }
  return v;
}

function tokenIds(v: unknown, key: string, vocab: number): number[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  for (const id of list) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocab) {
      throw new ModelConfigError(`token id ${JSON.stringify(id)} is not in [0, vocab_size=${vocab})`, key);
    }
  }
  return list as number[];
}

/** Model type from `model_type`, or from `architectures` when `model_type` is absent. */
function modelType(json: Json): ModelArch {
  const mt = json.model_type;
  const supported = SUPPORTED_MODEL_TYPES.join(', ');
  if (mt !== undefined && mt !== null) {
    if (typeof mt !== 'string') throw new ModelConfigError('must be a string', 'model_type');
    if ((SUPPORTED_MODEL_TYPES as readonly string[]).includes(mt)) return mt as ModelArch;
    const hint = UNSUPPORTED_HINTS[mt];
    throw new ModelConfigError(
      `unsupported model_type "${mt}"${hint ? ` (${hint})` : ''}; supported: ${supported}`, 'model_type');
  }
  const archs = json.architectures;
  if (Array.isArray(archs)) {
    for (const a of archs) if (typeof a === 'string' && ARCHITECTURE_TO_TYPE[a]) return ARCHITECTURE_TO_TYPE[a]!;
    throw new ModelConfigError(
      `unsupported architectures ${JSON.stringify(archs)}; supported: ${Object.keys(ARCHITECTURE_TO_TYPE).join(', ')}`,
      'architectures');
  }
  throw new ModelConfigError(`neither model_type nor architectures is given; supported model types: ${supported}`,
    'model_type');
}

/** RoPE parameters: transformers ≤ 4.x writes `rope_theta` + `rope_scaling`, 5.x `rope_parameters`. */
function ropeTheta(json: Json): number {
  for (const key of ['rope_scaling', 'rope_parameters'] as const) {
    const rs = json[key];
    if (rs === undefined || rs === null) continue;
    if (!isObject(rs)) throw new ModelConfigError(`must be an object or null, got ${JSON.stringify(rs)}`, key);
    const type = rs.rope_type ?? rs.type ?? 'default';
    if (type !== 'default') {
      throw new ModelConfigError(
        `RoPE scaling type "${String(type)}" is not supported (only plain RoPE: null or {"type": "default"})`, key);
    }
    for (const k of ['factor', 'partial_rotary_factor'] as const) {
      if (rs[k] !== undefined && rs[k] !== null && rs[k] !== 1 && rs[k] !== 1.0) {
        throw new ModelConfigError(`${k}=${JSON.stringify(rs[k])} is not supported`, key);
      }
    }
  }
  const params = isObject(json.rope_parameters) ? json.rope_parameters : {};
  const theta = json.rope_theta ?? params.rope_theta;
  return positiveNumber(theta, 'rope_theta', 10000);
}

function rejectIf(cond: boolean, field: string, message: string): void {
  if (cond) throw new ModelConfigError(message, field);
}

/**
 * Parse a Hugging Face `config.json` object. `generationConfig` (the parsed `generation_config.json`,
 * when the checkpoint has one) contributes its `eos_token_id`s.
 */
export function parseModelConfig(json: unknown, generationConfig?: unknown): ModelConfig {
  if (!isObject(json)) throw new ModelConfigError('must be a JSON object');
  const arch = modelType(json);

  const hidden = positiveInt(json, 'hidden_size');
  const layers = positiveInt(json, 'num_hidden_layers');
  const heads = positiveInt(json, 'num_attention_heads');
  const kvHeads = positiveInt(json, 'num_key_value_heads', heads);
  const intermediate = positiveInt(json, 'intermediate_size');
  const vocab = positiveInt(json, 'vocab_size');
  rejectIf(heads % kvHeads !== 0, 'num_key_value_heads',
    `num_attention_heads=${heads} is not a multiple of num_key_value_heads=${kvHeads}`);
  let headDim: number;
  if (json.head_dim === undefined || json.head_dim === null) {
    rejectIf(hidden % heads !== 0, 'head_dim',
      `not given and hidden_size=${hidden} is not divisible by num_attention_heads=${heads}`);
    headDim = hidden / heads;
  } else {
    headDim = positiveInt(json, 'head_dim');
  }
  rejectIf(headDim % 2 !== 0, 'head_dim', `must be even for RoPE, got ${headDim}`);

  const act = json.hidden_act ?? 'silu';
  rejectIf(act !== 'silu', 'hidden_act', `activation "${String(act)}" is not supported (only "silu")`);

  // Features that change the computation and that the engine does not implement.
  rejectIf(json.use_sliding_window === true, 'use_sliding_window', 'sliding-window attention is not supported');
  if (Array.isArray(json.layer_types)) {
    const other = json.layer_types.find((t) => t !== 'full_attention');
    rejectIf(other !== undefined, 'layer_types', `layer type "${String(other)}" is not supported (only full_attention)`);
  }
  rejectIf(arch === 'llama' && json.mlp_bias === true, 'mlp_bias', 'MLP biases are not supported');
  rejectIf(arch === 'qwen3' && json.attention_bias === true, 'attention_bias',
    'attention biases are not supported for qwen3');
  for (const key of ['num_experts', 'num_local_experts'] as const) {
    const n = json[key];
    rejectIf(typeof n === 'number' && n > 0, key, 'mixture-of-experts models are not supported');
  }

  const theta = ropeTheta(json);
  const rmsEps = positiveNumber(json.rms_norm_eps, 'rms_norm_eps', 1e-6);

  const tied = json.tie_word_embeddings ?? false;
  rejectIf(typeof tied !== 'boolean', 'tie_word_embeddings', `must be a boolean, got ${JSON.stringify(tied)}`);
  const llamaBias = json.attention_bias ?? false;
  rejectIf(typeof llamaBias !== 'boolean', 'attention_bias', `must be a boolean, got ${JSON.stringify(llamaBias)}`);

  const maxPositions = positiveInt(json, 'max_position_embeddings', arch === 'llama' ? 2048 : 32768);

  const bos = tokenIds(json.bos_token_id, 'bos_token_id', vocab);
  const eos = tokenIds(json.eos_token_id, 'eos_token_id', vocab);
  if (generationConfig !== undefined && generationConfig !== null) {
    if (!isObject(generationConfig)) throw new ModelConfigError('generation_config.json must be a JSON object');
    for (const id of tokenIds(generationConfig.eos_token_id, 'generation_config.eos_token_id', vocab)) {
      if (!eos.includes(id)) eos.push(id);
    }
  }

  const dtype = json.torch_dtype ?? json.dtype ?? null;
  return {
    arch, hidden, layers, heads, kvHeads, headDim, intermediate, vocab,
    ropeTheta: theta,
    rmsEps,
    tiedEmbeddings: tied as boolean,
    attentionBias: arch === 'qwen2' ? true : arch === 'llama' ? (llamaBias as boolean) : false,
    attentionOutputBias: arch === 'llama' && (llamaBias as boolean),
    qkNorm: arch === 'qwen3',
    maxPositions,
    bosTokenId: bos.length > 0 ? bos[0]! : null,
    eosTokenIds: [...new Set(eos)],
    dtype: typeof dtype === 'string' ? dtype : null,
  };
}

/** The tensor names and shapes a checkpoint of this config must hold (HF naming, `[out, in]` layout). */
export function expectedTensors(cfg: ModelConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const q = cfg.heads * cfg.headDim;
  const kv = cfg.kvHeads * cfg.headDim;
  m.set('model.embed_tokens.weight', [cfg.vocab, cfg.hidden]);
  for (let i = 0; i < cfg.layers; i++) {
    const p = `model.layers.${i}.`;
    m.set(`${p}input_layernorm.weight`, [cfg.hidden]);
    m.set(`${p}self_attn.q_proj.weight`, [q, cfg.hidden]);
    m.set(`${p}self_attn.k_proj.weight`, [kv, cfg.hidden]);
    m.set(`${p}self_attn.v_proj.weight`, [kv, cfg.hidden]);
    m.set(`${p}self_attn.o_proj.weight`, [cfg.hidden, q]);
    if (cfg.attentionBias) {
      m.set(`${p}self_attn.q_proj.bias`, [q]);
      m.set(`${p}self_attn.k_proj.bias`, [kv]);
      m.set(`${p}self_attn.v_proj.bias`, [kv]);
    }
    if (cfg.attentionOutputBias) m.set(`${p}self_attn.o_proj.bias`, [cfg.hidden]);
    if (cfg.qkNorm) {
      m.set(`${p}self_attn.q_norm.weight`, [cfg.headDim]);
      m.set(`${p}self_attn.k_norm.weight`, [cfg.headDim]);
    }
    m.set(`${p}post_attention_layernorm.weight`, [cfg.hidden]);
    m.set(`${p}mlp.gate_proj.weight`, [cfg.intermediate, cfg.hidden]);
    m.set(`${p}mlp.up_proj.weight`, [cfg.intermediate, cfg.hidden]);
    m.set(`${p}mlp.down_proj.weight`, [cfg.hidden, cfg.intermediate]);
  }
  m.set('model.norm.weight', [cfg.hidden]);
  if (!cfg.tiedEmbeddings) m.set('lm_head.weight', [cfg.vocab, cfg.hidden]);
  return m;
}
