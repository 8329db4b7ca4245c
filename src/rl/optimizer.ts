// AdamW over a list of GPU parameters with global-norm gradient clipping and a learning-rate
// schedule with warm-up. State (moments, step) can be read and restored for checkpoints.

import { type Gpu, Recorder, readBuffer, storageBuffer, writeBuffer } from '../gpu/device.ts';
import { adamwStep, sumsq, sumsqParts, type AdamWHyper } from '../gpu/kernels/adamw.ts';

export interface Param { name: string; buf: GPUBuffer; grad: GPUBuffer; n: number }

export interface OptimizerConfig extends AdamWHyper {
  /** clip the global gradient norm to this (0 = no clipping) */
  maxGradNorm: number;
  /** linear warm-up steps (lr_k = lr · min(1, k / warmup), k = 1, 2, …) */
  warmupSteps: number;
  /** after warm-up: constant, or cosine decay to 0 at totalSteps */
  schedule: 'constant' | 'cosine';
  totalSteps: number;
}

export const OPTIMIZER_DEFAULTS: OptimizerConfig = {
  lr: 1e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1.0, warmupSteps: 0, schedule: 'constant', totalSteps: 0,
};

/** Learning rate of step k (1-based). */
export function learningRate(cfg: OptimizerConfig, k: number): number {
  const warm = cfg.warmupSteps > 0 ? Math.min(1, k / cfg.warmupSteps) : 1;
  if (cfg.schedule === 'cosine' && cfg.totalSteps > cfg.warmupSteps && k > cfg.warmupSteps) {
    const t = Math.min(1, (k - cfg.warmupSteps) / (cfg.totalSteps - cfg.warmupSteps));
    return cfg.lr * 0.5 * (1 + Math.cos(Math.PI * t));
  }
  return cfg.lr * warm;
}

export class AdamW {
  private readonly m: GPUBuffer[];
  private readonly v: GPUBuffer[];
  private readonly partial: GPUBuffer;
  private readonly offsets: number[];
  /** steps taken */
  step = 0;

  constructor(private readonly gpu: Gpu, readonly params: Param[], readonly cfg: OptimizerConfig) {
    this.m = params.map((p) => storageBuffer(gpu, p.n, `adam m ${p.name}`));
    this.v = params.map((p) => storageBuffer(gpu, p.n, `adam v ${p.name}`));
    let o = 0;
    this.offsets = params.map((p) => { const at = o; o += sumsqParts(p.n); return at; });
    this.partial = storageBuffer(gpu, o, 'grad norm partials');
  }

  /** The global L2 norm of all gradients. */
  async gradNorm(): Promise<number> {
    const rec = new Recorder(this.gpu);
    this.params.forEach((p, i) => sumsq(rec, p.grad, this.partial, p.n, this.offsets[i]!));
    rec.submit();
    const parts = await readBuffer(this.gpu, this.partial, this.offsets.at(-1)! + sumsqParts(this.params.at(-1)!.n));
    let s = 0;
    for (const x of parts) s += x;
    return Math.sqrt(s);
  }

  /** One update with the current gradients; returns the pre-clip norm, the clip factor and the lr. */
  async update(): Promise<{ gradNorm: number; clip: number; lr: number }> {
    const gradNorm = await this.gradNorm();
    // torch.nn.utils.clip_grad_norm_: c = min(1, max / (norm + 1e-6))
    const clip = this.cfg.maxGradNorm > 0 ? Math.min(1, this.cfg.maxGradNorm / (gradNorm + 1e-6)) : 1;
    this.step++;
    const lr = learningRate(this.cfg, this.step);
    const rec = new Recorder(this.gpu);
    this.params.forEach((p, i) => adamwStep(rec, p.buf, p.grad, this.m[i]!, this.v[i]!, p.n, { ...this.cfg, lr }, this.step, clip));
    rec.submit();
    await this.gpu.device.queue.onSubmittedWorkDone();
    return { gradNorm, clip, lr };
  }

  /** Moments and step, for checkpoints. */
  async state(): Promise<{ step: number; m: Float32Array[]; v: Float32Array[] }> {
    return {
      step: this.step,
      m: await Promise.all(this.params.map((p, i) => readBuffer(this.gpu, this.m[i]!, p.n))),
      v: await Promise.all(this.params.map((p, i) => readBuffer(this.gpu, this.v[i]!, p.n))),
    };
  }

  restore(s: { step: number; m: Float32Array[]; v: Float32Array[] }): void {
    this.step = s.step;
    this.params.forEach((_, i) => { writeBuffer(this.gpu, this.m[i]!, s.m[i]!); writeBuffer(this.gpu, this.v[i]!, s.v[i]!); });
  }
}
