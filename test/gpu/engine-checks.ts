// Runs in the Chromium page: the engine on a tiny checkpoint against the PyTorch reference dump
// (test/fixtures/reference/<model>.json), plus cache/batch consistency checks.
import { acquireGpu, readBuffer, storageBuffer } from '../../src/gpu/device.ts';
import { Engine } from '../../src/gpu/engine.ts';
import { generate, generateBatch } from '../../src/gpu/sampling.ts';
import { logSumExp } from '../../src/gpu/sampling.ts';
import type { ModelSource } from '../../src/model/source.ts';
import { ModelFileNotFoundError } from '../../src/model/source.ts';

/** Files served by the test's dev server under /test/fixtures/models/<name>/ (or `base`). */
export function fixtureSource(name: string, base = `/test/fixtures/models/${name}/`): ModelSource {
  const get = async (file: string) => {
    const res = await fetch(base + file);
    if (res.status === 404) throw new ModelFileNotFoundError(file, name);
    if (!res.ok) throw new Error(`${file}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
  return { name, readBytes: get, readText: async (f) => new TextDecoder().decode(await get(f)) };
}

type Ref = {
  inputs: Record<'A' | 'B', {
    input_ids: number[]; embeddings: number[][]; final_norm: number[][];
    layers: Record<string, number[][]>[]; logsumexp: number[];
    logits_positions: number[]; logits_row_offset: number;
    greedy: { ids: number[]; logprobs: number[] }; teacher_forced: { ids: number[]; logprobs: number[] };
  }>;
  logits_file: string; logits_shape: [number, number];
};

const flat = (x: number[][]) => Float32Array.from(x.flat());
function cmp(a: ArrayLike<number>, b: ArrayLike<number>): { err: number; scale: number } {
  if (a.length !== b.length) return { err: Infinity, scale: 0 };
  let err = 0, scale = 0;
  for (let i = 0; i < a.length; i++) { err = Math.max(err, Math.abs(a[i]! - b[i]!)); scale = Math.max(scale, Math.abs(b[i]!)); }
  return { err, scale };
}

export interface EngineReport {
  model: string; adapter: string;
  /** name → max abs error vs PyTorch and the largest reference magnitude */
  compared: Record<string, { err: number; scale: number }>;
  greedyEqual: Record<string, boolean>;
  cachedVsFull: { err: number; idsEqual: boolean };
  batchedVsSingle: { idsEqual: boolean; err: number };
  /** two prompts of different lengths decoded together (2 samples each) vs each prompt alone */
  multiPrompt: { idsEqual: boolean; err: number; lengths: number[] };
  /** stop token, stop string and streaming behave (greedy on input A) */
  stops: { token: boolean; string: boolean; streamed: boolean };
  seconds: number;
}

export async function checkEngine(model: string, weights: 'f32' | 'f16' = 'f32'): Promise<EngineReport> {
  const t0 = performance.now();
  const ref: Ref = await (await fetch(`/test/fixtures/reference/${model}.json`)).json();
  const logitsAll = new Float32Array(await (await fetch(`/test/fixtures/reference/${ref.logits_file}`)).arrayBuffer());
  const gpu = await acquireGpu();
  const engine = await Engine.fromSource(gpu, fixtureSource(model), { maxBatch: 4, maxContext: 64, weights });
  const V = engine.cfg.vocab;
  const compared: EngineReport['compared'] = {};
  const greedyEqual: Record<string, boolean> = {};
  for (const name of ['A', 'B'] as const) {
    const inp = ref.inputs[name];
    const T = inp.input_ids.length;
    const res = await engine.step({ ids: inp.input_ids, B: 1, T, pos0: 0, logits: 'all', capture: true });
    const cap = res.capture!;
    compared[`${name} embeddings`] = cmp(cap.embeddings, flat(inp.embeddings));
    cap.layers.forEach((l, i) => {
      for (const key of ['input_norm', 'q', 'k', 'q_rope', 'k_rope', 'attn_out', 'hidden_after_attn', 'mlp_out', 'output'] as const) {
        compared[`${name} layers[${i}].${key}`] = cmp(l[key], flat(inp.layers[i]![key]!));
      }
    });
    compared[`${name} final_norm`] = cmp(cap.final_norm, flat(inp.final_norm));
    // logits rows stored by the reference (some positions of each input)
    inp.logits_positions.forEach((pos, j) => {
      const row = inp.logits_row_offset + j;
      compared[`${name} logits[${pos}]`] = cmp(res.logits!.subarray(pos * V, (pos + 1) * V), logitsAll.subarray(row * V, (row + 1) * V));
    });
    compared[`${name} logsumexp`] = cmp(Array.from({ length: T }, (_, t) => logSumExp(res.logits!.subarray(t * V, (t + 1) * V))), inp.logsumexp);
    // greedy continuation with the KV cache
    const [g] = await generate(engine, inp.input_ids, { n: 1, temperature: 0, maxNewTokens: inp.greedy.ids.length });
    greedyEqual[name] = JSON.stringify(g!.ids) === JSON.stringify(inp.greedy.ids);
    compared[`${name} greedy logprobs`] = cmp(g!.logprobs, inp.greedy.logprobs);
    // teacher-forced log-probabilities through the fused vocabulary-tiled kernel
    const tf = inp.teacher_forced.ids;
    const lp = await engine.logprobs(tf.slice(0, -1), tf.slice(1));
    compared[`${name} teacher-forced logprobs`] = cmp(lp.logprobs, inp.teacher_forced.logprobs);
  }
  // KV-cached decoding equals full recomputation: greedy-decode 12 tokens, then prefill everything at once.
  const prompt = ref.inputs.A.input_ids;
  const [dec] = await generate(engine, prompt, { n: 1, temperature: 0, maxNewTokens: 12 });
  const all = [...prompt, ...dec!.ids];
  const full = await engine.step({ ids: all, B: 1, T: all.length, pos0: 0, logits: 'all' });
  let err = 0, idsEqual = true;
  dec!.ids.forEach((id, i) => {
    const row = full.logits!.subarray((prompt.length - 1 + i) * V, (prompt.length + i) * V);
    let arg = 0;
    for (let v = 1; v < V; v++) if (row[v]! > row[arg]!) arg = v;
    if (arg !== id) idsEqual = false;
    err = Math.max(err, Math.abs(row[id]! - logSumExp(row) - dec!.logprobs[i]!));
  });
  // Batched sampling equals one-at-a-time sampling (same seed, sample streams 0..2).
  const sp = { temperature: 0.9, topP: 0.95, topK: 50, seed: 1234, maxNewTokens: 10 };
  const batch = await generate(engine, prompt, { ...sp, n: 3 });
  let bErr = 0, bEq = true;
  for (let i = 0; i < 3; i++) {
    const [one] = await generate(engine, prompt, { ...sp, n: 1, firstSample: i });
    if (JSON.stringify(one!.ids) !== JSON.stringify(batch[i]!.ids)) bEq = false;
    bErr = Math.max(bErr, cmp(one!.logprobs, batch[i]!.logprobs).err);
  }
  // Several prompts of different lengths in one batch: each slot at its own position.
  const pB = ref.inputs.B.input_ids;
  const multi = await generateBatch(engine, [{ promptIds: prompt, seed: 7 }, { promptIds: pB, seed: 8 }], { ...sp, n: 2 });
  let mErr = 0, mEq = true;
  for (const [i, pr] of [prompt, pB].entries()) {
    const alone = await generate(engine, pr, { ...sp, n: 2, seed: 7 + i });
    for (let s = 0; s < 2; s++) {
      if (JSON.stringify(alone[s]!.ids) !== JSON.stringify(multi[i]![s]!.ids)) mEq = false;
      mErr = Math.max(mErr, cmp(alone[s]!.logprobs, multi[i]![s]!.logprobs).err);
    }
  }
  // Stops: the third greedy token as a stop token; the second one's text as a stop string; streaming.
  const gA = ref.inputs.A.greedy.ids;
  const [st] = await generate(engine, prompt, { n: 1, temperature: 0, maxNewTokens: 10, stopTokenIds: [gA[2]!] });
  const streamed: number[] = [];
  const decode = (ids: number[]) => ids.map((i) => `<${i}>`).join('');
  const [ss] = await generate(engine, prompt, { n: 1, temperature: 0, maxNewTokens: 10, stopStrings: [`<${gA[1]}>`] }, { decode, onToken: (_s, id) => streamed.push(id) });
  const stops = {
    token: st!.finish === 'stop_token' && JSON.stringify(st!.ids) === JSON.stringify(gA.slice(0, 3)),
    string: ss!.finish === 'stop_string' && ss!.ids.length === 2 && ss!.text === `<${gA[0]}>`,
    streamed: JSON.stringify(streamed) === JSON.stringify(gA.slice(0, 2)),
  };
  const adapter = gpu.caps.adapter;
  engine.destroy();
  return { model, adapter, compared, greedyEqual, cachedVsFull: { err, idsEqual }, batchedVsSingle: { idsEqual: bEq, err: bErr }, multiPrompt: { idsEqual: mEq, err: mErr, lengths: [prompt.length, pB.length] }, stops, seconds: (performance.now() - t0) / 1000 };
}

/** A KV cache beyond the adapter's buffer limit: a typed error naming the buffer, not a crash. */
export async function checkCapacityError(model: string): Promise<{ name: string; message: string }> {
  const gpu = await acquireGpu();
  try {
    await Engine.fromSource(gpu, fixtureSource(model), { maxBatch: 64, maxContext: 4_000_000 });
    return { name: 'none', message: '' };
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  } finally {
    gpu.destroy();
  }
}

/**
 * A device's out-of-memory error and its loss as typed errors: the error the device reports, a read
 * in flight when the device is destroyed, a read after, check() and idle(): none of them hangs.
 */
export async function checkDeviceLoss(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const named = (e: unknown) => `${(e as Error).name}: ${(e as Error).message}`;
  const gpu = await acquireGpu();
  gpu.device.dispatchEvent(new GPUUncapturedErrorEvent('uncapturederror', { error: new GPUOutOfMemoryError('allocation of 1 TiB failed') }));
  try { gpu.check(); out.oom = 'none'; } catch (e) { out.oom = named(e); }
  const buf = storageBuffer(gpu, 1024, 'twos', new Float32Array(1024).fill(2));
  out.before = String((await readBuffer(gpu, buf, 4))[0]);
  const inFlight = readBuffer(gpu, buf, 1024).then(() => 'resolved', named);
  gpu.device.destroy();
  out.inFlight = await inFlight;
  out.after = await readBuffer(gpu, buf, 4).then(() => 'resolved', named);
  try { gpu.check(); out.check = 'none'; } catch (e) { out.check = named(e); }
  out.idle = await gpu.idle().then(() => 'resolved', named);
  out.lost = gpu.lost?.reason ?? 'null';
  return out;
}
