// LoRA adapters on the attention and MLP projections, in PEFT's convention:
//   y = x·Wᵀ + b + s · (x·Aᵀ)·Bᵀ,   A = lora_A [r, in],  B = lora_B [out, r],  s = alpha / r
// The base stays frozen (and may be stored as halves); adapters, their gradients and the optimizer
// state are f32 GPU buffers. Exported as a Hugging Face PEFT adapter (adapter_config.json +
// adapter_model.safetensors with PEFT's key names).

import { type Gpu, readBuffer, storageBuffer, writeBuffer } from '../gpu/device.ts';
import type { ModelConfig } from '../model/config.ts';
import { Rng, mixSeed } from '../problems/rng.ts';
import { decodeTensor, parseSafetensorsHeader, serializeSafetensors, tensorBytes } from '../model/safetensors.ts';
import { EvomError } from '../errors.ts';

export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface LoraConfig {
  rank: number;
  alpha: number;
  /** dropout on the adapter's input during training (0 = off) */
  dropout: number;
  targets: LoraTarget[];
}

export const DEFAULT_LORA: LoraConfig = { rank: 8, alpha: 16, dropout: 0, targets: [...LORA_TARGETS] };

export class LoraError extends EvomError {
  constructor(message: string) { super(message, 'lora'); }
}

/** One adapted projection: A [r, in], B [out, r] and their gradients. */
export interface LoraModule {
  layer: number;
  target: LoraTarget;
  in: number;
  out: number;
  A: GPUBuffer; B: GPUBuffer;
  dA: GPUBuffer; dB: GPUBuffer;
}

/** in/out features of a target projection. */
export function projectionShape(cfg: ModelConfig, t: LoraTarget): { in: number; out: number } {
  const { hidden: H, heads: Hq, kvHeads: Hkv, headDim: D, intermediate: I } = cfg;
  switch (t) {
    case 'q_proj': return { in: H, out: Hq * D };
    case 'k_proj': case 'v_proj': return { in: H, out: Hkv * D };
    case 'o_proj': return { in: Hq * D, out: H };
    case 'gate_proj': case 'up_proj': return { in: H, out: I };
    case 'down_proj': return { in: I, out: H };
  }
}

/** PEFT's key of an adapter matrix. */
export function peftKey(layer: number, t: LoraTarget, m: 'A' | 'B'): string {
  const block = t.endsWith('_proj') && ['gate_proj', 'up_proj', 'down_proj'].includes(t) ? 'mlp' : 'self_attn';
  return `base_model.model.model.layers.${layer}.${block}.${t}.lora_${m}.weight`;
}

export class LoraAdapter {
  readonly modules: LoraModule[] = [];
  private readonly byKey = new Map<string, LoraModule>();
  /** s = alpha / r */
  readonly scale: number;

  constructor(readonly gpu: Gpu, readonly model: ModelConfig, readonly config: LoraConfig, init: { A: Float32Array; B: Float32Array }[] | { seed: number }) {
    if (!(Number.isInteger(config.rank) && config.rank >= 1 && config.rank <= 64)) throw new LoraError(`LoRA rank must be an integer 1…64; got ${config.rank}`);
    if (!(config.dropout >= 0 && config.dropout < 1)) throw new LoraError(`LoRA dropout must be in [0, 1); got ${config.dropout}`);
    for (const t of config.targets) if (!LORA_TARGETS.includes(t)) throw new LoraError(`unknown LoRA target "${t}"; targets: ${LORA_TARGETS.join(', ')}`);
    this.scale = config.alpha / config.rank;
    let i = 0;
    for (let layer = 0; layer < model.layers; layer++) {
      for (const target of LORA_TARGETS.filter((t) => config.targets.includes(t))) {
        const { in: nin, out } = projectionShape(model, target);
        const r = config.rank;
        let A: Float32Array, B: Float32Array;
        if (Array.isArray(init)) {
          ({ A, B } = init[i]!);
          if (A.length !== r * nin || B.length !== out * r) throw new LoraError(`adapter ${peftKey(layer, target, 'A')}: shapes do not match rank ${r}`);
        } else {
          // PEFT's default: A ~ kaiming-uniform(a = √5) = U(−1/√in, 1/√in), B = 0 (the adapter starts as a no-op)
          const rng = new Rng(mixSeed(init.seed, layer, LORA_TARGETS.indexOf(target)));
          const bound = 1 / Math.sqrt(nin);
          A = Float32Array.from({ length: r * nin }, () => (rng.next() * 2 - 1) * bound);
          B = new Float32Array(out * r);
        }
        const m: LoraModule = {
          layer, target, in: nin, out,
          A: storageBuffer(gpu, r * nin, `lora_A ${layer}.${target}`, A),
          B: storageBuffer(gpu, out * r, `lora_B ${layer}.${target}`, B),
          dA: storageBuffer(gpu, r * nin, `grad lora_A ${layer}.${target}`),
          dB: storageBuffer(gpu, out * r, `grad lora_B ${layer}.${target}`),
        };
        this.modules.push(m);
        this.byKey.set(`${layer}.${target}`, m);
        i++;
      }
    }
  }

  get(layer: number, target: LoraTarget): LoraModule | undefined {
    return this.byKey.get(`${layer}.${target}`);
  }

  /** Every trainable tensor (PEFT names), with its gradient. */
  params(): { name: string; buf: GPUBuffer; grad: GPUBuffer; n: number }[] {
    return this.modules.flatMap((m) => [
      { name: peftKey(m.layer, m.target, 'A'), buf: m.A, grad: m.dA, n: this.config.rank * m.in },
      { name: peftKey(m.layer, m.target, 'B'), buf: m.B, grad: m.dB, n: m.out * this.config.rank },
    ]);
  }

  zeroGrad(): void {
    for (const p of this.params()) writeBuffer(this.gpu, p.grad, new Float32Array(p.n));
  }

  /** The adapter as PEFT writes it: adapter_config.json and adapter_model.safetensors (F32). */
  async exportPeft(baseModel: string): Promise<{ 'adapter_config.json': string; 'adapter_model.safetensors': Uint8Array }> {
    const tensors = [];
    const bytes = (f: Float32Array) => new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
    for (const m of this.modules) {
      tensors.push({ name: peftKey(m.layer, m.target, 'A'), dtype: 'F32', shape: [this.config.rank, m.in], data: bytes(await readBuffer(this.gpu, m.A, this.config.rank * m.in)) });
      tensors.push({ name: peftKey(m.layer, m.target, 'B'), dtype: 'F32', shape: [m.out, this.config.rank], data: bytes(await readBuffer(this.gpu, m.B, m.out * this.config.rank)) });
    }
    const config = {
      peft_type: 'LORA', task_type: 'CAUSAL_LM', base_model_name_or_path: baseModel,
      r: this.config.rank, lora_alpha: this.config.alpha, lora_dropout: this.config.dropout,
      target_modules: this.config.targets, bias: 'none', fan_in_fan_out: false, inference_mode: true,
      init_lora_weights: true, modules_to_save: null, layers_to_transform: null, use_rslora: false, use_dora: false,
    };
    return { 'adapter_config.json': JSON.stringify(config, null, 2) + '\n', 'adapter_model.safetensors': serializeSafetensors(tensors, { format: 'pt' }) };
  }

  /** Load a PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors). */
  static fromPeft(gpu: Gpu, model: ModelConfig, configJson: string, weights: Uint8Array): LoraAdapter {
    const p = parsePeft(model, configJson, weights);
    return new LoraAdapter(gpu, model, p.config, p.modules);
  }

  destroy(): void {
    for (const m of this.modules) for (const b of [m.A, m.B, m.dA, m.dB]) b.destroy();
  }
}

/**
 * A PEFT LoRA adapter read on the CPU: its config and, per layer and target (in LORA_TARGETS
 * order), A [rank, in] and B [out, rank] as f32.
 */
export function parsePeft(model: ModelConfig, configJson: string, weights: Uint8Array): { config: LoraConfig; modules: { layer: number; target: LoraTarget; A: Float32Array; B: Float32Array }[] } {
  let c: Record<string, unknown>;
  try { c = JSON.parse(configJson); } catch (e) { throw new LoraError(`adapter_config.json: not valid JSON (${(e as Error).message})`); }
  if (c.peft_type !== 'LORA') throw new LoraError(`adapter_config.json: peft_type must be "LORA"; got ${JSON.stringify(c.peft_type)}`);
  if (c.use_dora || c.use_rslora) throw new LoraError('adapter_config.json: DoRA and rsLoRA adapters are not supported');
  const targets = (Array.isArray(c.target_modules) ? c.target_modules : String(c.target_modules ?? '').split(',')).map(String) as LoraTarget[];
  const config: LoraConfig = { rank: Number(c.r), alpha: Number(c.lora_alpha), dropout: Number(c.lora_dropout ?? 0), targets };
  const header = parseSafetensorsHeader(weights, { file: 'adapter_model.safetensors' });
  const get = (key: string) => {
    const e = header.tensors.get(key);
    if (!e) throw new LoraError(`adapter_model.safetensors: missing ${key}`);
    return decodeTensor(tensorBytes(weights, e), e.dtype, key);
  };
  const modules = [];
  for (let layer = 0; layer < model.layers; layer++) {
    for (const target of LORA_TARGETS.filter((x) => targets.includes(x))) modules.push({ layer, target, A: get(peftKey(layer, target, 'A')), B: get(peftKey(layer, target, 'B')) });
  }
  return { config, modules };
}
