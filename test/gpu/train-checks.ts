// Runs in the Chromium page: the training graph (LoRA and full fine-tuning), the GRPO/DAPO/Dr.GRPO
// losses and AdamW against the PyTorch reference in test/fixtures/training/<model>.json.
import { acquireGpu, readBuffer, type Gpu } from '../../src/gpu/device.ts';
import { Engine } from '../../src/gpu/engine.ts';
import { LoraAdapter, LORA_TARGETS, peftKey, type LoraTarget } from '../../src/rl/lora.ts';
import { TrainGraph } from '../../src/gpu/train-graph.ts';
import { groupAdvantages, policyLoss, type Aggregation, type AdvantageMode } from '../../src/rl/grpo.ts';
import { AdamW } from '../../src/rl/optimizer.ts';
import { logSumExp } from '../../src/gpu/sampling.ts';
import { fixtureSource } from './engine-checks.ts';
import { mergeAdapter } from '../../src/model/merge.ts';
import { memorySource, urlSource } from '../../src/model/source.ts';
import { openCheckpoint } from '../../src/model/safetensors.ts';
import { isQuant, storedValues, type WeightDtype } from '../../src/gpu/kernels/weights.ts';

interface TensorEntry { name: string; shape: number[]; file: string; offset: number; length: number }
interface ConfigRef { eps_low: number; eps_high: number; beta: number; aggregation: Aggregation; advantages: AdvantageMode; loss: number; n_clipped_low: number; n_clipped_high: number; dloss_dlogp: number[][]; grads: Record<string, string> }
interface Ref {
  lora: { r: number; lora_alpha: number; target_modules: LoraTarget[]; keys: string[] };
  batch: { prompt_ids: number[]; completion_ids: number[][]; rewards: number[]; max_new_tokens: number; logp: number[][]; old_logp: number[][]; ref_logp: number[][] };
  configs: Record<'grpo' | 'dapo' | 'drgrpo', ConfigRef>;
  full_finetune?: { loss: number; old_logp: number[][]; ref_logp: number[][]; logp: number[][]; grads: Record<string, string> };
  trajectory?: { lr: number; beta1: number; beta2: number; eps: number; weight_decay: number; max_grad_norm: number; warmup_steps: number; steps: { loss: number; grad_norm_preclip: number; lr: number }[]; weights_final: Record<string, string> };
  merged: { adapter_dir: string; input_ids: number[]; logits_tensor: string; logits_positions: number[]; logsumexp: number[] };
  tensors: TensorEntry[];
}

export interface Cmp { err: number; scale: number }
function cmp(a: ArrayLike<number>, b: ArrayLike<number>): Cmp {
  if (a.length !== b.length) return { err: Infinity, scale: 0 };
  let err = 0, scale = 0;
  for (let i = 0; i < a.length; i++) { err = Math.max(err, Math.abs(a[i]! - b[i]!)); scale = Math.max(scale, Math.abs(b[i]!)); }
  return { err, scale };
}

async function loadRef(model: string): Promise<{ ref: Ref; tensor: (name: string) => Float32Array }> {
  const ref: Ref = await (await fetch(`/test/fixtures/training/${model}.json`)).json();
  const files = new Map<string, ArrayBuffer>();
  for (const f of new Set(ref.tensors.map((t) => t.file))) files.set(f, await (await fetch(`/test/fixtures/training/${f}`)).arrayBuffer());
  const byName = new Map(ref.tensors.map((t) => [t.name, t]));
  return {
    ref,
    tensor: (name) => {
      const t = byName.get(name);
      if (!t) throw new Error(`fixture tensor ${name} not found`);
      return new Float32Array(files.get(t.file)!.slice(t.offset, t.offset + t.length * 4));
    },
  };
}

/** The fixture batch as right-padded rows: ids, next-token targets, and where each completion's tokens sit. */
function batchRows(ref: Ref): { ids: number[]; targets: number[]; B: number; T: number; rows: number[][] } {
  const P = ref.batch.prompt_ids.length, comps = ref.batch.completion_ids;
  const T = P + Math.max(...comps.map((c) => c.length)), B = comps.length;
  const ids: number[] = [], targets: number[] = [], rows: number[][] = [];
  comps.forEach((c, b) => {
    const seq = [...ref.batch.prompt_ids, ...c];
    for (let t = 0; t < T; t++) {
      ids.push(seq[t] ?? 0);
      targets.push(seq[t + 1] ?? 0);
    }
    // completion token i is predicted at position P − 1 + i
    rows.push(c.map((_, i) => b * T + P - 1 + i));
  });
  return { ids, targets, B, T, rows };
}

async function engineFor(gpu: Gpu, model: string, weights: WeightDtype, B: number, T: number): Promise<Engine> {
  return Engine.fromSource(gpu, fixtureSource(model), { maxBatch: B, maxContext: T, weights });
}

function loraFromFixture(gpu: Gpu, e: Engine, ref: Ref, tensor: (n: string) => Float32Array): LoraAdapter {
  const targets = LORA_TARGETS.filter((t) => ref.lora.target_modules.includes(t));
  const init: { A: Float32Array; B: Float32Array }[] = [];
  for (let l = 0; l < e.cfg.layers; l++) for (const t of targets) init.push({ A: tensor(`lora_init/${peftKey(l, t, 'A')}`), B: tensor(`lora_init/${peftKey(l, t, 'B')}`) });
  return new LoraAdapter(gpu, e.cfg, { rank: ref.lora.r, alpha: ref.lora.lora_alpha, dropout: 0, targets }, init);
}

export interface LoraReport {
  compared: Record<string, Cmp>; losses: Record<string, { got: number; want: number }>; clipping: Record<string, { got: [number, number]; want: [number, number] }>;
  /** quantized base: the engine's dequantized values vs PyTorch's, by tensor (must be exact) */
  dequantized: Record<string, Cmp>;
}

/**
 * LoRA: policy and reference log-probs, each config's loss, ∂L/∂logp and every LoRA gradient. A
 * quantized base (q8, q4) is checked against <model>-<kind>.json (make_quant_reference.py: PyTorch
 * on the dequantized weights), and the engine's quantizer against its dequantized layer 0.
 */
export async function checkLoraGradients(model: string, weights: WeightDtype = 'f32'): Promise<LoraReport> {
  const { ref, tensor } = await loadRef(isQuant(weights) ? `${model}-${weights}` : model);
  const gpu = await acquireGpu();
  const { ids, targets, B, T, rows } = batchRows(ref);
  const e = await engineFor(gpu, model, weights, B, T);
  const dequantized: Record<string, Cmp> = {};
  if (isQuant(weights)) {
    if (e.baseDtype !== weights) throw new Error(`the engine holds ${e.baseDtype} projections, not ${weights}`);
    const ckpt = await openCheckpoint(fixtureSource(model));
    for (const t of ref.tensors.filter((x) => x.name.startsWith('dequantized/'))) {
      const name = t.name.slice('dequantized/'.length);
      dequantized[name] = cmp(storedValues(await ckpt.readFloat32(name), weights), tensor(t.name));
    }
  }
  e.lora = loraFromFixture(gpu, e, ref, tensor);
  const graph = new TrainGraph(e, { maxRows: B * T, maxT: T });
  const compared: Record<string, Cmp> = {}, losses: LoraReport['losses'] = {}, clipping: LoraReport['clipping'] = {};
  const pick = (lp: Float32Array) => rows.map((rs) => rs.map((r) => lp[r]!));
  e.loraEnabled = false;
  const refLp = pick((await graph.forward(ids, targets, B, T)).logprobs);
  compared['ref logp'] = cmp(refLp.flat(), ref.batch.ref_logp.flat());
  e.loraEnabled = true;
  for (const name of ['grpo', 'dapo', 'drgrpo'] as const) {
    const c = ref.configs[name];
    // GRPO runs the LM head on every row; DAPO and Dr. GRPO on the completion rows only (gathered)
    const scored = name === 'grpo' ? undefined : rows.flat().sort((x, y) => x - y);
    const logp = pick((await graph.forward(ids, targets, B, T, scored)).logprobs);
    compared[`${name} logp`] = cmp(logp.flat(), ref.batch.logp.flat());
    const adv = groupAdvantages(ref.batch.rewards, c.advantages, 1e-4);
    const pl = policyLoss(logp.map((lp, g) => ({ logp: lp, old: ref.batch.old_logp[g]!, ref: ref.batch.ref_logp[g]!, advantage: adv[g]! })),
      { epsLow: c.eps_low, epsHigh: c.eps_high, beta: c.beta, aggregation: c.aggregation, advantages: c.advantages, stdEps: 1e-4, maxNewTokens: ref.batch.max_new_tokens });
    losses[name] = { got: pl.loss, want: c.loss };
    clipping[name] = { got: [pl.stats.clippedLow, pl.stats.clippedHigh], want: [c.n_clipped_low, c.n_clipped_high] };
    compared[`${name} dL/dlogp`] = cmp(pl.dlogp.flat(), c.dloss_dlogp.flat());
    const g = new Float32Array(B * T);
    rows.forEach((rs, b) => rs.forEach((r, i) => { g[r] = pl.dlogp[b]![i]!; }));
    graph.zeroGrad();
    await graph.backward(g);
    for (const p of e.lora.params()) compared[`${name} grad ${p.name.replace('base_model.model.model.', '')}`] = cmp(await readBuffer(gpu, p.grad, p.n), tensor(c.grads[p.name]!));
  }
  e.destroy();
  return { compared, losses, clipping, dequantized };
}

/** Full fine-tuning (no LoRA): every base gradient under the GRPO config. */
export async function checkFullFinetune(model: string): Promise<{ compared: Record<string, Cmp>; loss: { got: number; want: number } }> {
  const { ref, tensor } = await loadRef(model);
  const ft = ref.full_finetune!;
  const gpu = await acquireGpu();
  const { ids, targets, B, T, rows } = batchRows(ref);
  const e = await engineFor(gpu, model, 'f32', B, T);
  const graph = new TrainGraph(e, { maxRows: B * T, maxT: T, fullFinetune: true });
  const c = ref.configs.grpo;
  const logp = rows.map((rs) => rs.map((r) => 0)) as number[][];
  // the LM head (and its gradient) on the completion rows only
  const lp = (await graph.forward(ids, targets, B, T, rows.flat().sort((x, y) => x - y))).logprobs;
  rows.forEach((rs, b) => rs.forEach((r, i) => { logp[b]![i] = lp[r]!; }));
  const compared: Record<string, Cmp> = { logp: cmp(logp.flat(), ft.logp.flat()) };
  const adv = groupAdvantages(ref.batch.rewards, 'grpo', 1e-4);
  const pl = policyLoss(logp.map((l, g) => ({ logp: l, old: ft.old_logp[g]!, ref: ft.ref_logp[g]!, advantage: adv[g]! })),
    { epsLow: c.eps_low, epsHigh: c.eps_high, beta: c.beta, aggregation: c.aggregation, advantages: 'grpo', stdEps: 1e-4, maxNewTokens: ref.batch.max_new_tokens });
  const g = new Float32Array(B * T);
  rows.forEach((rs, b) => rs.forEach((r, i) => { g[r] = pl.dlogp[b]![i]!; }));
  graph.zeroGrad();
  await graph.backward(g);
  for (const p of graph.baseParams()) {
    const name = p.name.replace(/\[\d+:\d+\]$/, '');
    compared[`grad ${name}`] = cmp(await readBuffer(gpu, p.grad, p.n), tensor(ft.grads[name]!));
  }
  e.destroy();
  return { compared, loss: { got: pl.loss, want: ft.loss } };
}

/** Ten AdamW steps on the same batch (LoRA, GRPO config): losses, pre-clip norms, final weights. */
export async function checkTrajectory(model: string): Promise<{ losses: [number, number][]; norms: [number, number][]; lrs: [number, number][]; final: Record<string, Cmp> }> {
  const { ref, tensor } = await loadRef(model);
  const tr = ref.trajectory!;
  const gpu = await acquireGpu();
  const { ids, targets, B, T, rows } = batchRows(ref);
  const e = await engineFor(gpu, model, 'f32', B, T);
  e.lora = loraFromFixture(gpu, e, ref, tensor);
  const graph = new TrainGraph(e, { maxRows: B * T, maxT: T });
  const opt = new AdamW(gpu, e.lora.params(), { lr: tr.lr, beta1: tr.beta1, beta2: tr.beta2, eps: tr.eps, weightDecay: tr.weight_decay, maxGradNorm: tr.max_grad_norm, warmupSteps: tr.warmup_steps, schedule: 'constant', totalSteps: tr.steps.length });
  const c = ref.configs.grpo;
  const adv = groupAdvantages(ref.batch.rewards, 'grpo', 1e-4);
  const losses: [number, number][] = [], norms: [number, number][] = [], lrs: [number, number][] = [];
  for (const step of tr.steps) {
    const lp = (await graph.forward(ids, targets, B, T)).logprobs;
    const logp = rows.map((rs) => rs.map((r) => lp[r]!));
    const pl = policyLoss(logp.map((l, g) => ({ logp: l, old: ref.batch.old_logp[g]!, ref: ref.batch.ref_logp[g]!, advantage: adv[g]! })),
      { epsLow: c.eps_low, epsHigh: c.eps_high, beta: c.beta, aggregation: c.aggregation, advantages: 'grpo', stdEps: 1e-4, maxNewTokens: ref.batch.max_new_tokens });
    const g = new Float32Array(B * T);
    rows.forEach((rs, b) => rs.forEach((r, i) => { g[r] = pl.dlogp[b]![i]!; }));
    graph.zeroGrad();
    await graph.backward(g);
    const u = await opt.update();
    losses.push([pl.loss, step.loss]);
    norms.push([u.gradNorm, step.grad_norm_preclip]);
    lrs.push([u.lr, step.lr]);
  }
  const final: Record<string, Cmp> = {};
  for (const p of e.lora.params()) final[p.name.replace('base_model.model.model.', '')] = cmp(await readBuffer(gpu, p.buf, p.n), tensor(tr.weights_final[p.name]!));
  e.destroy();
  return { losses, norms, lrs, final };
}

/** The fixture's PEFT adapter, loaded by the engine, reproduces the merged model's logits; re-exported, its tensors are unchanged. */
export async function checkPeft(model: string): Promise<{ logits: Cmp; lse: Cmp; exported: Record<string, Cmp>; config: Record<string, unknown> }> {
  const { ref, tensor } = await loadRef(model);
  const gpu = await acquireGpu();
  const dir = `/test/fixtures/training/${model}-adapter/`;
  const cfgText = await (await fetch(dir + 'adapter_config.json')).text();
  const weights = new Uint8Array(await (await fetch(dir + 'adapter_model.safetensors')).arrayBuffer());
  const ids = ref.merged.input_ids;
  const e = await engineFor(gpu, model, 'f32', 1, ids.length);
  e.lora = LoraAdapter.fromPeft(gpu, e.cfg, cfgText, weights);
  const res = await e.step({ ids, B: 1, T: ids.length, pos0: 0, logits: 'all' });
  const want = tensor(ref.merged.logits_tensor); // rows at merged.logits_positions
  const V = e.cfg.vocab;
  const got = new Float32Array(ref.merged.logits_positions.length * V);
  ref.merged.logits_positions.forEach((pos, i) => got.set(res.logits!.subarray(pos * V, (pos + 1) * V), i * V));
  const lse = Array.from({ length: ids.length }, (_, t) => logSumExp(res.logits!.subarray(t * V, (t + 1) * V)));
  const out = await e.lora.exportPeft('test');
  const again = LoraAdapter.fromPeft(gpu, e.cfg, out['adapter_config.json'], out['adapter_model.safetensors']);
  const exported: Record<string, Cmp> = {};
  const orig = e.lora.params(), back = again.params();
  for (let i = 0; i < orig.length; i++) exported[orig[i]!.name] = cmp(await readBuffer(gpu, back[i]!.buf, back[i]!.n), await readBuffer(gpu, orig[i]!.buf, orig[i]!.n));
  const config = JSON.parse(out['adapter_config.json']);
  e.destroy();
  return { logits: cmp(got, want), lse: cmp(lse, ref.merged.logsumexp), exported, config };
}

/** The fixture's adapter merged into the base weights (F32, and in the base's own dtype): the plain engine reproduces PyTorch's merged logits. */
export async function checkMerged(model: string): Promise<Record<'f32' | 'base dtype', { logits: Cmp; weights: Cmp; compared: number; changed: number; same: number }>> {
  const { ref, tensor } = await loadRef(model);
  const ids = ref.merged.input_ids;
  const want = tensor(ref.merged.logits_tensor);
  const out = {} as Record<'f32' | 'base dtype', { logits: Cmp; weights: Cmp; compared: number; changed: number; same: number }>;
  const base = await openCheckpoint(fixtureSource(model));
  for (const kind of ['f32', 'base dtype'] as const) {
    const files = await mergeAdapter(fixtureSource(model), urlSource(`/test/fixtures/training/${model}-adapter`), kind === 'f32' ? { dtype: 'F32' } : {});
    const gpu = await acquireGpu(); // one device per engine: Engine.destroy releases it
    const e = await Engine.fromSource(gpu, memorySource(files, 'merged'), { maxBatch: 1, maxContext: ids.length, weights: 'f32' });
    const res = await e.step({ ids, B: 1, T: ids.length, pos0: 0, logits: 'all' });
    const V = e.cfg.vocab;
    const got = new Float32Array(ref.merged.logits_positions.length * V);
    ref.merged.logits_positions.forEach((pos, i) => got.set(res.logits!.subarray(pos * V, (pos + 1) * V), i * V));
    e.destroy();
    // the merged weights differ from the base exactly where the adapter applies
    const merged = await openCheckpoint(memorySource(files, 'merged'));
    let changed = 0, same = 0, compared = 0;
    let weights: Cmp = { err: 0, scale: 0 };
    for (const name of base.tensors.keys()) {
      const a = await base.readFloat32(name), b = await merged.readFloat32(name);
      if (ref.tensors.some((t) => t.name === `merged/${name}`)) {
        const c = cmp(b, tensor(`merged/${name}`));
        weights = { err: Math.max(weights.err, c.err), scale: Math.max(weights.scale, c.scale) };
        compared++;
      }
      let diff = false;
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) { diff = true; break; }
      if (diff) changed++; else same++;
    }
    out[kind] = { logits: cmp(got, want), weights, compared, changed, same };
  }
  return out;
}

export interface RecomputeReport {
  /** per case ('lora', 'full'): each gradient with recomputation vs without (Cmp against the latter), the log-probs, ms of both steps */
  [mode: string]: { grads: Record<string, Cmp>; logp: Cmp; ms: number };
}

/**
 * Activation recomputation (TrainGraph's recompute) against keeping every layer's activations: the
 * same forward (LM head on the completion rows) and backward on one f32 engine, with the fixture's
 * LoRA adapter, then (`full`) fine-tuning every weight without it. Same kernels on the same inputs:
 * the gradients should be bit-identical (err 0).
 */
export async function checkRecompute(model: string, full: boolean): Promise<RecomputeReport> {
  const { ref, tensor } = await loadRef(model);
  const gpu = await acquireGpu();
  const { ids, targets, B, T, rows } = batchRows(ref);
  const e = await engineFor(gpu, model, 'f32', B, T);
  const dl = ref.configs.grpo.dloss_dlogp, g = new Float32Array(B * T);
  rows.forEach((rs, b) => rs.forEach((r, i) => { g[r] = dl[b]![i]!; }));
  const scored = rows.flat().sort((x, y) => x - y);
  const step = async (ft: boolean, recompute: boolean) => {
    const graph = new TrainGraph(e, { maxRows: B * T, maxT: T, fullFinetune: ft, recompute });
    graph.zeroGrad();
    const lp = (await graph.forward(ids, targets, B, T, scored)).logprobs;
    await graph.backward(g);
    const out = new Map<string, Float32Array>();
    for (const p of ft ? graph.baseParams() : e.lora!.params()) out.set(p.name, await readBuffer(gpu, p.grad, p.n));
    return { lp, out };
  };
  const report: RecomputeReport = {};
  for (const mode of full ? ['lora', 'full'] as const : ['lora'] as const) {
    e.lora = mode === 'lora' ? loraFromFixture(gpu, e, ref, tensor) : null;
    const t0 = performance.now();
    const a = await step(mode === 'full', false), b = await step(mode === 'full', true);
    const grads: Record<string, Cmp> = {};
    for (const [name, want] of a.out) grads[name] = cmp(b.out.get(name)!, want);
    report[mode] = { grads, logp: cmp(b.lp, a.lp), ms: Math.round(performance.now() - t0) };
  }
  e.destroy();
  return report;
}
