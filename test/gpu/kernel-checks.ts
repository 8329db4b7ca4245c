// Runs in the Chromium page: each WGSL kernel against its TypeScript CPU reference on seeded
// random inputs. Returns the max absolute error per op (and the scale of the values).
import { acquireGpu, readBuffer, Recorder, storageBuffer, type Gpu } from '../../src/gpu.ts';
import { Rng } from '../../src/rng.ts';
import { matmul, matmulCpu } from '../../shaders/matmul.ts';
import { rmsnorm, rmsnormCpu } from '../../shaders/rmsnorm.ts';
import { swiglu, swigluCpu } from '../../shaders/swiglu.ts';
import { addInPlace, addCpu } from '../../shaders/add.ts';
import { embedding, embeddingCpu } from '../../shaders/embedding.ts';
import { rope, ropeCpu, ropeTable } from '../../shaders/rope.ts';
import { kvWrite, kvCopy } from '../../shaders/kv-cache.ts';
import { attention, attentionCpu } from '../../shaders/attention.ts';
import { logprob, logprobCpu, logprobTiles } from '../../shaders/logprob.ts';
import { packHalves, roundToHalf } from '../../shaders/weights.ts';

const rand = (rng: Rng, n: number, scale = 1) => Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!)); return a.length === b.length ? m : Infinity; };
const maxAbs = (a: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!)); return m; };

export interface Check { op: string; err: number; scale: number }

async function run(gpu: Gpu, f: (rec: Recorder) => void): Promise<void> {
  const rec = new Recorder(gpu);
  f(rec);
  rec.submit();
  await gpu.device.queue.onSubmittedWorkDone();
}

export async function checkKernels(): Promise<{ adapter: string; subgroups: boolean; checks: Check[] }> {
  const gpu = await acquireGpu();
  const rng = new Rng(7);
  const checks: Check[] = [];
  const buf = (d: Float32Array | Uint32Array, label = 't') => storageBuffer(gpu, d.length, label, d);

  // matmul: every kernel on the shapes it accepts, with bias, odd sizes
  for (const [M, N, K] of [[1, 37, 28], [5, 64, 96], [8, 130, 8], [9, 33, 64], [30, 300, 20], [67, 70, 48], [3, 11, 7]] as const) {
    const X = rand(rng, M * K), W = rand(rng, N * K), b = rand(rng, N);
    const ref = matmulCpu(X, W, b, M, N, K);
    for (const kernel of ['skinny', 'rows', 'tiled64'] as const) {
      if ((kernel === 'skinny' && (K % 4 !== 0 || M > 32)) || (kernel === 'rows' && M > 8)) continue;
      const Y = storageBuffer(gpu, M * N, 'Y');
      await run(gpu, (rec) => matmul(rec, { X: buf(X), W: buf(W), bias: buf(b), Y, M, N, K }, kernel));
      checks.push({ op: `matmul ${kernel} ${M}x${N}x${K}`, err: maxDiff(await readBuffer(gpu, Y, M * N), ref), scale: maxAbs(ref) });
    }
  }
  // f16 weight storage (halves packed in u32): exact against the CPU reference on half-rounded weights
  for (const [M, N, K] of [[1, 37, 28], [8, 130, 8], [30, 300, 20], [67, 70, 48]] as const) {
    const X = rand(rng, M * K), W = rand(rng, N * K), b = rand(rng, N);
    const ref = matmulCpu(X, roundToHalf(W), b, M, N, K);
    for (const kernel of ['skinny', 'tiled64'] as const) {
      if (kernel === 'skinny' && M > 32) continue;
      const Y = storageBuffer(gpu, M * N, 'Y');
      await run(gpu, (rec) => matmul(rec, { X: buf(X), W: buf(packHalves(W)), wDtype: 'f16', bias: buf(b), Y, M, N, K }, kernel));
      checks.push({ op: `matmul f16 ${kernel} ${M}x${N}x${K}`, err: maxDiff(await readBuffer(gpu, Y, M * N), ref), scale: maxAbs(ref) });
    }
  }
  { // two W chunks writing column ranges of one Y (the LM head split by vocabulary)
    const M = 3, K = 16, N1 = 10, N2 = 7, X = rand(rng, M * K), W1 = rand(rng, N1 * K), W2 = rand(rng, N2 * K);
    const Y = storageBuffer(gpu, M * (N1 + N2), 'Y');
    await run(gpu, (rec) => {
      matmul(rec, { X: buf(X), W: buf(W1), bias: null, Y, M, N: N1, K, ldY: N1 + N2, off: 0 });
      matmul(rec, { X: buf(X), W: buf(W2), bias: null, Y, M, N: N2, K, ldY: N1 + N2, off: N1 });
    });
    const W = new Float32Array([...W1, ...W2]);
    const ref = matmulCpu(X, W, null, M, N1 + N2, K);
    checks.push({ op: 'matmul chunked columns', err: maxDiff(await readBuffer(gpu, Y, M * (N1 + N2)), ref), scale: maxAbs(ref) });
  }
  { // rmsnorm
    const rows = 13, C = 100, x = rand(rng, rows * C, 3), w = rand(rng, C);
    const y = storageBuffer(gpu, rows * C, 'y'), rs = storageBuffer(gpu, rows, 'rstd');
    const ref = rmsnormCpu(x, w, rows, C, 1e-6);
    for (const sg of gpu.caps.subgroups ? [false, true] : [false]) {
      await run(gpu, (rec) => rmsnorm(rec, buf(x), buf(w), y, rs, rows, C, 1e-6, sg));
      const tag = sg ? ' (subgroups)' : ' (workgroup)';
      checks.push({ op: 'rmsnorm' + tag, err: maxDiff(await readBuffer(gpu, y, rows * C), ref.y), scale: maxAbs(ref.y) });
      checks.push({ op: 'rmsnorm rstd' + tag, err: maxDiff(await readBuffer(gpu, rs, rows), ref.rstd), scale: maxAbs(ref.rstd) });
    }
  }
  { // swiglu + add
    const n = 1000, g = rand(rng, n, 4), u = rand(rng, n), h = storageBuffer(gpu, n, 'h');
    await run(gpu, (rec) => swiglu(rec, buf(g), buf(u), h, n));
    const ref = swigluCpu(g, u);
    checks.push({ op: 'swiglu', err: maxDiff(await readBuffer(gpu, h, n), ref), scale: maxAbs(ref) });
    const x = rand(rng, n), y = rand(rng, n), xb = buf(x);
    await run(gpu, (rec) => addInPlace(rec, xb, buf(y), n));
    addCpu(x, y);
    checks.push({ op: 'add', err: maxDiff(await readBuffer(gpu, xb, n), x), scale: maxAbs(x) });
  }
  { // embedding across two vocabulary chunks
    const V = 50, H = 12, E = rand(rng, V * H), ids = Uint32Array.from([3, 49, 0, 25, 26, 24]);
    const out = storageBuffer(gpu, ids.length * H, 'out');
    await run(gpu, (rec) => embedding(rec, buf(ids), [{ buf: buf(E.slice(0, 25 * H)), v0: 0, n: 25 }, { buf: buf(E.slice(25 * H)), v0: 25, n: 25 }], out, ids.length, H));
    const ref = embeddingCpu(ids, E, H);
    checks.push({ op: 'embedding', err: maxDiff(await readBuffer(gpu, out, ids.length * H), ref), scale: maxAbs(ref) });
    const out16 = storageBuffer(gpu, ids.length * H, 'out16');
    await run(gpu, (rec) => embedding(rec, buf(ids), [{ buf: buf(packHalves(E.slice(0, 25 * H))), v0: 0, n: 25, dtype: 'f16' }, { buf: buf(packHalves(E.slice(25 * H))), v0: 25, n: 25, dtype: 'f16' }], out16, ids.length, H));
    const ref16 = embeddingCpu(ids, roundToHalf(E), H);
    checks.push({ op: 'embedding f16', err: maxDiff(await readBuffer(gpu, out16, ids.length * H), ref16), scale: maxAbs(ref16) });
  }
  { // rope
    const R = 5, heads = 3, D = 16, x = rand(rng, R * heads * D), pos = Uint32Array.from([0, 1, 7, 30, 63]);
    const table = ropeTable(64, D, 1e6), xb = buf(x);
    await run(gpu, (rec) => rope(rec, xb, buf(pos), buf(table), R, heads, D));
    ropeCpu(x, pos, table, R, heads, D);
    checks.push({ op: 'rope', err: maxDiff(await readBuffer(gpu, xb, R * heads * D), x), scale: maxAbs(x) });
  }
  { // kv cache write + attention (2 sequences, prefill of 4 then a decode step), GQA 4:2
    const Bmax = 3, Hq = 4, Hkv = 2, D = 8, maxCtx = 16;
    const kc = storageBuffer(gpu, Bmax * Hkv * maxCtx * D, 'kc'), vc = storageBuffer(gpu, Bmax * Hkv * maxCtx * D, 'vc');
    const keys: Float32Array[][] = [[], []], values: Float32Array[][] = [[], []];
    const S = storageBuffer(gpu, 8 * Hq * 8, 'S'), lse = storageBuffer(gpu, 8 * Hq, 'lse');
    let worst = 0, scale = 0;
    for (const [T, pos0] of [[4, 0], [1, 4], [2, 5]] as const) {
      const B = 2, R = B * T;
      const q = rand(rng, R * Hq * D), k = rand(rng, R * Hkv * D), v = rand(rng, R * Hkv * D);
      const pos = Uint32Array.from({ length: R }, (_, r) => pos0 + (r % T));
      const out = storageBuffer(gpu, R * Hq * D, 'out');
      await run(gpu, (rec) => {
        const posb = buf(pos);
        kvWrite(rec, buf(k), buf(v), posb, kc, vc, { R, T, Hkv, D, maxCtx, seq0: 1 });
        attention(rec, { q: buf(q), kc, vc, pos: posb, S, lse, out, R, T, Hq, Hkv, D, maxCtx, stride: 8, seq0: 1 });
      });
      // reference: row r of sequence b sees keys 0..pos[r] of that sequence
      const rowKeys: Float32Array[][] = [], rowVals: Float32Array[][] = [];
      for (let r = 0; r < R; r++) {
        const b = Math.floor(r / T);
        keys[b]!.push(k.slice(r * Hkv * D, (r + 1) * Hkv * D));
        values[b]!.push(v.slice(r * Hkv * D, (r + 1) * Hkv * D));
      }
      for (let r = 0; r < R; r++) {
        const b = Math.floor(r / T);
        rowKeys.push(keys[b]!.slice(0, pos[r]! + 1));
        rowVals.push(values[b]!.slice(0, pos[r]! + 1));
      }
      const ref = attentionCpu(q, rowKeys, rowVals, Hq, Hkv, D);
      worst = Math.max(worst, maxDiff(await readBuffer(gpu, out, R * Hq * D), ref));
      scale = Math.max(scale, maxAbs(ref));
    }
    checks.push({ op: 'kv cache + attention (GQA, 3 steps)', err: worst, scale });
    // copying slot 1's first 7 positions into slot 0 makes their caches equal there
    await run(gpu, (rec) => kvCopy(rec, kc, vc, { from: 1, to: 0, n: 7, Hkv, D, maxCtx }));
    const all = await readBuffer(gpu, kc, Bmax * Hkv * maxCtx * D);
    let e = 0;
    for (let h = 0; h < Hkv; h++) for (let j = 0; j < 7; j++) for (let d = 0; d < D; d++) {
      e = Math.max(e, Math.abs(all[((0 * Hkv + h) * maxCtx + j) * D + d]! - all[((1 * Hkv + h) * maxCtx + j) * D + d]!));
    }
    checks.push({ op: 'kv cache copy', err: e, scale: 1 });
  }
  { // fused LM-head log-softmax over 3 vocabulary chunks (600 rows → 3 tiles)
    const R = 4, H = 24, V = 600, x = rand(rng, R * H, 2), W = rand(rng, V * H, 2), ids = Uint32Array.from([0, 599, 256, 300]);
    const chunks = [{ v0: 0, n: 250 }, { v0: 250, n: 250 }, { v0: 500, n: 100 }].map((c) => ({ ...c, buf: buf(W.slice(c.v0 * H, (c.v0 + c.n) * H)) }));
    const tiles = logprobTiles(chunks);
    const part = storageBuffer(gpu, R * tiles * 2, 'part'), tgt = storageBuffer(gpu, R, 'tgt'), lse = storageBuffer(gpu, R, 'lse'), out = storageBuffer(gpu, R, 'out');
    await run(gpu, (rec) => logprob(rec, { x: buf(x), chunks, ids: buf(ids), part, tgt, lse, out, R, H }));
    const logits = matmulCpu(x, W, null, R, V, H);
    const ref = Array.from(ids, (id, r) => logprobCpu(logits.subarray(r * V, (r + 1) * V), id));
    checks.push({ op: 'logprob (fused LM head)', err: maxDiff(await readBuffer(gpu, out, R), ref.map((z) => z.logprob)), scale: Math.max(...ref.map((z) => Math.abs(z.logprob))) });
    checks.push({ op: 'logprob lse', err: maxDiff(await readBuffer(gpu, lse, R), ref.map((z) => z.lse)), scale: Math.max(...ref.map((z) => Math.abs(z.lse))) });
    const chunks16 = chunks.map((c) => ({ ...c, buf: buf(packHalves(W.slice(c.v0 * H, (c.v0 + c.n) * H))), dtype: 'f16' as const }));
    await run(gpu, (rec) => logprob(rec, { x: buf(x), chunks: chunks16, ids: buf(ids), part, tgt, lse, out, R, H }));
    const logits16 = matmulCpu(x, roundToHalf(W), null, R, V, H);
    const ref16 = Array.from(ids, (id, r) => logprobCpu(logits16.subarray(r * V, (r + 1) * V), id).logprob);
    checks.push({ op: 'logprob f16', err: maxDiff(await readBuffer(gpu, out, R), ref16), scale: Math.max(...ref16.map(Math.abs)) });
  }
  const adapter = gpu.caps.adapter, subgroups = gpu.caps.subgroups;
  gpu.destroy();
  return { adapter, subgroups, checks };
}
