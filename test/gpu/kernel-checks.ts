// Runs in the Chromium page: each WGSL kernel against its TypeScript CPU reference on seeded
// random inputs. Returns the max absolute error per op (and the scale of the values).
import { acquireGpu, readBuffer, Recorder, storageBuffer, type Gpu } from '../../src/gpu/device.ts';
import { Rng } from '../../src/problems/rng.ts';
import { gemm, matmul, matmulBackward, matmulBackwardCpu, matmulCpu } from '../../src/gpu/kernels/matmul.ts';
import { rmsnorm, rmsnormBackward, rmsnormBackwardCpu, rmsnormCpu } from '../../src/gpu/kernels/rmsnorm.ts';
import { swiglu, swigluBackward, swigluBackwardCpu, swigluCpu } from '../../src/gpu/kernels/swiglu.ts';
import { addInPlace, addCpu } from '../../src/gpu/kernels/add.ts';
import { embedding, embeddingBackward, embeddingBackwardCpu, embeddingCpu, groupRowsById } from '../../src/gpu/kernels/embedding.ts';
import { loraA } from '../../src/gpu/kernels/lora-a.ts';
import { rope, ropeBackward, ropeCpu, ropeQkKv, ropeTable } from '../../src/gpu/kernels/rope.ts';
import { kvWrite, kvCopy } from '../../src/gpu/kernels/kv-cache.ts';
import { attention, attentionBackward, attentionBackwardCpu, attentionCpu } from '../../src/gpu/kernels/attention.ts';
import { logitGradTile, logprob, logprobBackward, logprobBackwardCpu, logprobCpu, logprobTiles } from '../../src/gpu/kernels/logprob.ts';
import { encodeWeights, packHalves, roundToHalf, storedValues } from '../../src/gpu/kernels/weights.ts';

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
    for (const kernel of ['skinny', 'rows', 'tiled64', 'cols'] as const) {
      if ((kernel === 'skinny' && (K % 4 !== 0 || M > 32)) || (kernel === 'rows' && M > 8) || (kernel === 'cols' && (K % 4 !== 0 || M > 8))) continue;
      const Y = storageBuffer(gpu, M * N, 'Y');
      await run(gpu, (rec) => matmul(rec, { X: buf(X), W: buf(W), bias: buf(b), Y, M, N, K }, kernel));
      checks.push({ op: `matmul ${kernel} ${M}x${N}x${K}`, err: maxDiff(await readBuffer(gpu, Y, M * N), ref), scale: maxAbs(ref) });
    }
  }
  // f16 (halves packed in u32) and group-wise q8 / q4 weight storage: against the CPU reference on
  // the values the storage holds (half-rounded, dequantized); the groups of 64-value blocks run
  // across rows when K % 32 ≠ 0, which the kernels must handle too
  for (const [M, N, K] of [[1, 37, 28], [8, 130, 8], [30, 300, 20], [67, 70, 48], [4, 96, 64]] as const) {
    const X = rand(rng, M * K), W = rand(rng, N * K), b = rand(rng, N);
    for (const dt of ['f16', 'q8', 'q4'] as const) {
      if (dt === 'q8' && M !== 1 && M !== 4) continue; // q8 differs from q4 only in its decode: two shapes suffice
      const ref = matmulCpu(X, storedValues(W, dt), b, M, N, K);
      for (const kernel of ['skinny', 'tiled64', 'cols'] as const) {
        if ((kernel === 'skinny' && M > 32) || (kernel === 'cols' && M > 8)) continue;
        const Y = storageBuffer(gpu, M * N, 'Y');
        await run(gpu, (rec) => matmul(rec, { X: buf(X), W: buf(encodeWeights(W, dt)), wDtype: dt, bias: buf(b), Y, M, N, K }, kernel));
        checks.push({ op: `matmul ${dt} ${kernel} ${M}x${N}x${K}`, err: maxDiff(await readBuffer(gpu, Y, M * N), ref), scale: maxAbs(ref) });
      }
    }
  }
  // LoRA in the matmul's epilogue: Y = X·Wᵀ + b + s·(X·Aᵀ)·Bᵀ, every kernel, f32 and f16 base weights
  for (const [M, N, K, r] of [[1, 37, 28, 4], [8, 130, 8, 8], [30, 300, 20, 2], [67, 70, 48, 8], [3, 11, 7, 4]] as const) {
    const X = rand(rng, M * K), W = rand(rng, N * K), b = rand(rng, N), A = rand(rng, r * K), Bm = rand(rng, N * r), scale = 2.5;
    const t = matmulCpu(X, A, null, M, r, K);
    for (const dt of ['f32', 'f16', 'q4'] as const) {
      if (dt !== 'f32' && K % 4 !== 0) continue;
      if (dt === 'q4' && M !== 1 && M !== 67) continue; // the epilogue is the same code for every storage: two shapes
      const base = matmulCpu(X, storedValues(W, dt), b, M, N, K), lo = matmulCpu(t, Bm, null, M, N, r);
      const ref = base.map((v, i) => v + scale * lo[i]!);
      for (const kernel of ['skinny', 'rows', 'tiled64', 'cols'] as const) {
        if ((kernel === 'skinny' && (K % 4 !== 0 || M > 32)) || (kernel === 'rows' && (M > 8 || dt !== 'f32')) || (kernel === 'cols' && (K % 4 !== 0 || M > 8))) continue;
        const Y = storageBuffer(gpu, M * N, 'Y'), T = storageBuffer(gpu, M * r, 't');
        await run(gpu, (rec) => {
          matmul(rec, { X: buf(X), W: buf(A), bias: null, Y: T, M, N: r, K });
          matmul(rec, { X: buf(X), W: buf(encodeWeights(W, dt)), wDtype: dt, bias: buf(b), Y, M, N, K, lora: { t: T, B: buf(Bm), rank: r, scale } }, kernel);
        });
        checks.push({ op: `matmul+LoRA ${dt} ${kernel} ${M}x${N}x${K} r${r}`, err: maxDiff(await readBuffer(gpu, Y, M * N), ref), scale: maxAbs(ref) });
        if (kernel === 'rows') continue;
        // accumulated into a residual stream: Y0 + X·Wᵀ + b + s·(X·Aᵀ)·Bᵀ
        const Y0 = rand(rng, M * N), Yr = buf(Y0);
        await run(gpu, (rec) => matmul(rec, { X: buf(X), W: buf(encodeWeights(W, dt)), wDtype: dt, bias: buf(b), Y: Yr, M, N, K, lora: { t: T, B: buf(Bm), rank: r, scale }, accumulate: true }, kernel));
        const refAcc = ref.map((v, i) => Y0[i]! + v);
        checks.push({ op: `matmul+LoRA+residual ${dt} ${kernel} ${M}x${N}x${K} r${r}`, err: maxDiff(await readBuffer(gpu, Yr, M * N), refAcc), scale: maxAbs(refAcc) });
      }
    }
  }
  // LoRA's first half for up to 3 adapters sharing an input, in one dispatch (and K % 4 ≠ 0 through matmul)
  for (const [M, K, r, n] of [[1, 28, 4, 3], [8, 64, 8, 2], [37, 20, 2, 1], [5, 7, 4, 3]] as const) {
    const X = rand(rng, M * K), As = Array.from({ length: n }, () => rand(rng, r * K));
    const ts = As.map(() => storageBuffer(gpu, M * r, 't'));
    await run(gpu, (rec) => loraA(rec, buf(X), As.map((A, i) => ({ A: buf(A), t: ts[i]! })), M, K, r));
    let err = 0, scale = 0;
    for (const [i, A] of As.entries()) {
      const ref = matmulCpu(X, A, null, M, r, K);
      err = Math.max(err, maxDiff(await readBuffer(gpu, ts[i]!, M * r), ref)); scale = Math.max(scale, maxAbs(ref));
    }
    checks.push({ op: `LoRA x·Aᵀ for ${n} adapters ${M}x${K} r${r}`, err, scale });
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
    for (const kernel of gpu.caps.subgroups ? ['workgroup', 'subgroups', 'rows'] as const : ['workgroup', 'rows'] as const) {
      await run(gpu, (rec) => rmsnorm(rec, buf(x), buf(w), y, rs, rows, C, 1e-6, kernel));
      const tag = ` (${kernel})`;
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
  { // rope of q and k and the cache append in one dispatch (2 sequences × T 3 rows from slot 1, GQA 4:2)
    const T = 3, R = 2 * T, Hq = 4, Hkv = 2, D = 8, maxCtx = 8, Bmax = 3, seq0 = 1;
    const q = rand(rng, R * Hq * D), k = rand(rng, R * Hkv * D), v = rand(rng, R * Hkv * D), pos = Uint32Array.from([2, 3, 4, 0, 1, 2]);
    const table = ropeTable(maxCtx, D, 1e4), qb = buf(q), kb = buf(k);
    const kc = storageBuffer(gpu, Bmax * Hkv * maxCtx * D, 'kc'), vc = storageBuffer(gpu, Bmax * Hkv * maxCtx * D, 'vc');
    await run(gpu, (rec) => ropeQkKv(rec, { q: qb, k: kb, v: buf(v), pos: buf(pos), table: buf(table), kc, vc, R, T, Hq, Hkv, D, maxCtx, seq0 }));
    ropeCpu(q, pos, table, R, Hq, D);
    ropeCpu(k, pos, table, R, Hkv, D);
    const kcRef = new Float32Array(Bmax * Hkv * maxCtx * D), vcRef = new Float32Array(kcRef.length);
    for (let r = 0; r < R; r++) for (let h = 0; h < Hkv; h++) for (let d = 0; d < D; d++) {
      const dst = (((seq0 + Math.floor(r / T)) * Hkv + h) * maxCtx + pos[r]!) * D + d;
      kcRef[dst] = k[(r * Hkv + h) * D + d]!; vcRef[dst] = v[(r * Hkv + h) * D + d]!;
    }
    const e = Math.max(maxDiff(await readBuffer(gpu, qb, R * Hq * D), q), maxDiff(await readBuffer(gpu, kb, R * Hkv * D), k),
      maxDiff(await readBuffer(gpu, kc, kcRef.length), kcRef), maxDiff(await readBuffer(gpu, vc, vcRef.length), vcRef));
    checks.push({ op: 'rope q, k + cache append (fused)', err: e, scale: Math.max(maxAbs(q), maxAbs(k)) });
  }
  { // kv cache write + attention (2 sequences, prefill of 4 then a decode step), GQA 4:2
    const Bmax = 3, Hq = 4, Hkv = 2, D = 8, maxCtx = 16;
    const kc = storageBuffer(gpu, Bmax * Hkv * maxCtx * D, 'kc'), vc = storageBuffer(gpu, Bmax * Hkv * maxCtx * D, 'vc');
    const keys: Float32Array[][] = [[], []], values: Float32Array[][] = [[], []];
    const S = storageBuffer(gpu, 8 * Hq * 8, 'S'), lse = storageBuffer(gpu, 8 * Hq, 'lse');
    const S2 = storageBuffer(gpu, 8 * Hq * 8, 'S2'), lse2 = storageBuffer(gpu, 8 * Hq, 'lse2');
    let worst = 0, scale = 0, worstRows = 0, sDiff = 0;
    for (const [T, pos0] of [[4, 0], [1, 4], [2, 5]] as const) {
      const B = 2, R = B * T;
      const q = rand(rng, R * Hq * D), k = rand(rng, R * Hkv * D), v = rand(rng, R * Hkv * D);
      const pos = Uint32Array.from({ length: R }, (_, r) => pos0 + (r % T));
      const out = storageBuffer(gpu, R * Hq * D, 'out'), out2 = storageBuffer(gpu, R * Hq * D, 'out2');
      await run(gpu, (rec) => {
        const posb = buf(pos), qb = buf(q);
        kvWrite(rec, buf(k), buf(v), posb, kc, vc, { R, T, Hkv, D, maxCtx, seq0: 1 });
        // both kernels: a workgroup per (row, head), and a thread per (row, head) (CPU adapters)
        attention(rec, { q: qb, kc, vc, pos: posb, S, lse, out, R, T, Hq, Hkv, D, maxCtx, stride: 8, seq0: 1 }, 'workgroup');
        attention(rec, { q: qb, kc, vc, pos: posb, S: S2, lse: lse2, out: out2, R, T, Hq, Hkv, D, maxCtx, stride: 8, seq0: 1 }, 'rows');
      });
      sDiff = Math.max(sDiff, maxDiff(await readBuffer(gpu, S, R * Hq * 8), await readBuffer(gpu, S2, R * Hq * 8)), maxDiff(await readBuffer(gpu, lse, R * Hq), await readBuffer(gpu, lse2, R * Hq)));
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
      worstRows = Math.max(worstRows, maxDiff(await readBuffer(gpu, out2, R * Hq * D), ref));
      scale = Math.max(scale, maxAbs(ref));
    }
    checks.push({ op: 'kv cache + attention (GQA, 3 steps)', err: worst, scale });
    checks.push({ op: 'kv cache + attention, a thread per (row, head)', err: worstRows, scale });
    checks.push({ op: 'attention probabilities and lse: both kernels agree', err: sDiff, scale: 1 });
    // copying slot 1's first 7 positions into slot 0 makes their caches equal there
    await run(gpu, (rec) => kvCopy(rec, kc, vc, { from: 1, to: 0, n: 7, Hkv, D, maxCtx }));
    const all = await readBuffer(gpu, kc, Bmax * Hkv * maxCtx * D);
    let e = 0;
    for (let h = 0; h < Hkv; h++) for (let j = 0; j < 7; j++) for (let d = 0; d < D; d++) {
      e = Math.max(e, Math.abs(all[((0 * Hkv + h) * maxCtx + j) * D + d]! - all[((1 * Hkv + h) * maxCtx + j) * D + d]!));
    }
    checks.push({ op: 'kv cache copy', err: e, scale: 1 });
  }
  { // fused LM-head log-softmax over 3 vocabulary chunks (2600 rows → 2 + 2 + 1 tiles of 1024), 11 rows
    // (a block of 8 and a partial one), H = 100 (two slices of x, one partial)
    const R = 11, H = 100, V = 2600, x = rand(rng, R * H, 2), W = rand(rng, V * H, 2), ids = Uint32Array.from([0, 2599, 1023, 1024, 1099, 1100, 2499, 2500, 7, 2048, 1500]);
    const chunks = [{ v0: 0, n: 1100 }, { v0: 1100, n: 1400 }, { v0: 2500, n: 100 }].map((c) => ({ ...c, buf: buf(W.slice(c.v0 * H, (c.v0 + c.n) * H)) }));
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

/** Backward kernels against their CPU references. */
export async function checkBackwardKernels(): Promise<{ checks: Check[] }> {
  const gpu = await acquireGpu();
  const rng = new Rng(11);
  const checks: Check[] = [];
  const buf = (d: Float32Array | Uint32Array, label = 't') => storageBuffer(gpu, d.length, label, d);
  const zeros = (n: number) => storageBuffer(gpu, n, 'z');

  // the general product C (+)= s·A·B in every layout, both kernels (tiled for GPUs, simple for CPU adapters)
  for (const [I, J, K] of [[67, 70, 48], [5, 8, 37], [8, 29, 130]] as const) {
    for (const aT of [false, true]) for (const bT of [false, true]) {
      const A = rand(rng, I * K), Bv = rand(rng, K * J), C0 = rand(rng, I * J), scale = 0.75;
      const ref = new Float32Array(I * J);
      for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += A[aT ? k * I + i : i * K + k]! * Bv[bT ? j * K + k : k * J + j]!;
        ref[i * J + j] = C0[i * J + j]! + scale * acc;
      }
      for (const kernel of ['tiled', 'simple'] as const) {
        const C = buf(C0);
        await run(gpu, (rec) => gemm(rec, { A: buf(A), B: buf(Bv), C, I, J, K, aT, bT, accumulate: true, scale }, kernel));
        checks.push({ op: `gemm ${kernel} ${aT ? 't' : 'n'}${bT ? 't' : 'n'} ${I}x${J}x${K} (accumulated)`, err: maxDiff(await readBuffer(gpu, C, I * J), ref), scale: maxAbs(ref) });
      }
    }
  }
  // matmul backward (f32, f16 and quantized weights), with accumulation into existing gradients;
  // dX = dY·W through both gemm kernels
  for (const [M, N, K] of [[5, 37, 28], [67, 70, 48], [3, 11, 8]] as const) {
    for (const dt of ['f32', 'f16', 'q8', 'q4'] as const) {
      const X = rand(rng, M * K), W = rand(rng, N * K), dY = rand(rng, M * N);
      const Wv = storedValues(W, dt);
      const ref = matmulBackwardCpu(dY, X, Wv, M, N, K);
      const dX = zeros(M * K), dW = buf(Float32Array.from({ length: N * K }, () => 0.5)), db = buf(Float32Array.from({ length: N }, () => -1));
      await run(gpu, (rec) => matmulBackward(rec, { dY: buf(dY), X: buf(X), W: buf(encodeWeights(W, dt)), wDtype: dt, M, N, K, dX, dW, db }));
      checks.push({ op: `matmul backward dX ${dt} ${M}x${N}x${K}`, err: maxDiff(await readBuffer(gpu, dX, M * K), ref.dX), scale: maxAbs(ref.dX) });
      if (dt !== 'f32' && M !== 3) {
        for (const kernel of ['tiled', 'simple'] as const) {
          const dX2 = zeros(M * K);
          await run(gpu, (rec) => gemm(rec, { A: buf(dY), B: buf(encodeWeights(W, dt)), C: dX2, I: M, J: K, K: N, aT: false, bT: false, bDtype: dt }, kernel));
          checks.push({ op: `gemm ${kernel} dX ${dt} ${M}x${N}x${K}`, err: maxDiff(await readBuffer(gpu, dX2, M * K), ref.dX), scale: maxAbs(ref.dX) });
        }
      }
      if (dt === 'f32') {
        checks.push({ op: `matmul backward dW ${M}x${N}x${K} (accumulated)`, err: maxDiff(await readBuffer(gpu, dW, N * K), ref.dW.map((v) => v + 0.5)), scale: maxAbs(ref.dW) });
        checks.push({ op: `matmul backward db ${M}x${N}x${K} (accumulated)`, err: maxDiff(await readBuffer(gpu, db, N), ref.db.map((v) => v - 1)), scale: maxAbs(ref.db) });
      }
    }
  }
  { // rmsnorm backward
    const rows = 9, C = 70, x = rand(rng, rows * C, 2), w = rand(rng, C), dy = rand(rng, rows * C);
    const fwd = rmsnormCpu(x, w, rows, C, 1e-6);
    const ref = rmsnormBackwardCpu(x, w, dy, rows, C, 1e-6);
    const dx = zeros(rows * C), dw = zeros(C);
    await run(gpu, (rec) => rmsnormBackward(rec, { x: buf(x), w: buf(w), rstd: buf(fwd.rstd), dy: buf(dy), dx, dw, rows, C }));
    checks.push({ op: 'rmsnorm backward dx', err: maxDiff(await readBuffer(gpu, dx, rows * C), ref.dx), scale: maxAbs(ref.dx) });
    checks.push({ op: 'rmsnorm backward dw', err: maxDiff(await readBuffer(gpu, dw, C), ref.dw), scale: maxAbs(ref.dw) });
  }
  { // swiglu backward
    const n = 500, g = rand(rng, n, 4), u = rand(rng, n), dh = rand(rng, n);
    const ref = swigluBackwardCpu(g, u, dh);
    const dg = zeros(n), du = zeros(n);
    await run(gpu, (rec) => swigluBackward(rec, buf(g), buf(u), buf(dh), dg, du, n));
    checks.push({ op: 'swiglu backward dg', err: maxDiff(await readBuffer(gpu, dg, n), ref.dg), scale: maxAbs(ref.dg) });
    checks.push({ op: 'swiglu backward du', err: maxDiff(await readBuffer(gpu, du, n), ref.du), scale: maxAbs(ref.du) });
  }
  { // rope backward = inverse rotation: backward(forward(x)) = x, and matches the CPU inverse
    const R = 6, heads = 2, D = 8, x = rand(rng, R * heads * D), pos = Uint32Array.from([0, 1, 2, 3, 9, 20]);
    const table = ropeTable(32, D, 1e4), xb = buf(x), pb = buf(pos), tb = buf(table);
    await run(gpu, (rec) => { rope(rec, xb, pb, tb, R, heads, D); ropeBackward(rec, xb, pb, tb, R, heads, D); });
    checks.push({ op: 'rope backward ∘ forward = identity', err: maxDiff(await readBuffer(gpu, xb, R * heads * D), x), scale: maxAbs(x) });
  }
  // attention backward: 2 sequences × 5 tokens, GQA 4:2, through the cache kernels; both kernels
  for (const kernel of ['workgroup', 'rows'] as const) {
    const B = 2, T = 5, Hq = 4, Hkv = 2, D = 8, maxCtx = 8, R = B * T;
    const q = rand(rng, R * Hq * D), k = rand(rng, R * Hkv * D), v = rand(rng, R * Hkv * D), dO = rand(rng, R * Hq * D);
    const kc = zeros(B * Hkv * maxCtx * D), vc = zeros(B * Hkv * maxCtx * D), S = zeros(R * Hq * T), lse = zeros(R * Hq), out = zeros(R * Hq * D);
    const dS = zeros(R * Hq * T), dq = zeros(R * Hq * D), dk = zeros(R * Hkv * D), dv = zeros(R * Hkv * D);
    const pos = buf(Uint32Array.from({ length: R }, (_, r) => r % T)), qb = buf(q);
    await run(gpu, (rec) => {
      kvWrite(rec, buf(k), buf(v), pos, kc, vc, { R, T, Hkv, D, maxCtx });
      attention(rec, { q: qb, kc, vc, pos, S, lse, out, R, T, Hq, Hkv, D, maxCtx, stride: T }, kernel);
      attentionBackward(rec, { q: qb, kc, vc, pos, S, dO: buf(dO), dS, dq, dk, dv, R, T, Hq, Hkv, D, maxCtx, stride: T }, kernel);
    });
    const gq = await readBuffer(gpu, dq, R * Hq * D), gk = await readBuffer(gpu, dk, R * Hkv * D), gv = await readBuffer(gpu, dv, R * Hkv * D);
    let eq = 0, ek = 0, ev = 0, sc = 0;
    for (let b = 0; b < B; b++) {
      const sl = (a: Float32Array, w: number) => a.slice(b * T * w, (b + 1) * T * w);
      const ref = attentionBackwardCpu(sl(q, Hq * D), sl(k, Hkv * D), sl(v, Hkv * D), sl(dO, Hq * D), T, Hq, Hkv, D);
      eq = Math.max(eq, maxDiff(sl(gq, Hq * D), ref.dq)); ek = Math.max(ek, maxDiff(sl(gk, Hkv * D), ref.dk)); ev = Math.max(ev, maxDiff(sl(gv, Hkv * D), ref.dv));
      sc = Math.max(sc, maxAbs(ref.dq), maxAbs(ref.dk), maxAbs(ref.dv));
    }
    checks.push({ op: `attention backward dq (${kernel})`, err: eq, scale: sc }, { op: `attention backward dk (${kernel})`, err: ek, scale: sc }, { op: `attention backward dv (${kernel})`, err: ev, scale: sc });
  }
  { // embedding backward with repeated ids over two chunks
    const V = 40, H = 6, ids = [3, 39, 3, 20, 21, 3, 39], dx = rand(rng, ids.length * H);
    const grp = groupRowsById(ids);
    const c0 = buf(Float32Array.from({ length: 20 * H }, () => 1)), c1 = buf(new Float32Array(20 * H));
    await run(gpu, (rec) => embeddingBackward(rec, { uniq: buf(grp.uniq), start: buf(grp.start), rows: buf(grp.rows), U: grp.uniq.length }, buf(dx), [{ buf: c0, v0: 0, n: 20 }, { buf: c1, v0: 20, n: 20 }], H));
    const ref = embeddingBackwardCpu(ids, dx, V, H);
    const got = new Float32Array([...(await readBuffer(gpu, c0, 20 * H)).map((x) => x - 1), ...(await readBuffer(gpu, c1, 20 * H))]);
    checks.push({ op: 'embedding backward (repeated ids, 2 chunks)', err: maxDiff(got, ref), scale: maxAbs(ref) });
  }
  { // fused LM-head log-softmax backward over 2 chunks (dx), and the logit-gradient tile (dW)
    const R = 4, H = 24, V = 300, x = rand(rng, R * H, 2), W = rand(rng, V * H, 2), ids = Uint32Array.from([0, 299, 150, 7]), g = rand(rng, R);
    const logits = matmulCpu(x, W, null, R, V, H);
    const lse = Float32Array.from(ids, (id, r) => logprobCpu(logits.subarray(r * V, (r + 1) * V), id).lse);
    const ref = logprobBackwardCpu(x, W, ids, g, R, V, H);
    for (const dt of ['f32', 'f16'] as const) {
      const Wv = dt === 'f16' ? roundToHalf(W) : W;
      const refv = dt === 'f16' ? logprobBackwardCpu(x, Wv, ids, g, R, V, H) : ref;
      const lsev = dt === 'f16' ? Float32Array.from(ids, (id, r) => logprobCpu(matmulCpu(x, Wv, null, R, V, H).subarray(r * V, (r + 1) * V), id).lse) : lse;
      const chunks = [{ v0: 0, n: 170 }, { v0: 170, n: 130 }].map((c) => ({ ...c, dtype: dt, buf: buf(dt === 'f16' ? packHalves(Wv.slice(c.v0 * H, (c.v0 + c.n) * H)) : W.slice(c.v0 * H, (c.v0 + c.n) * H)) }));
      const dx = zeros(R * H);
      await run(gpu, (rec) => logprobBackward(rec, { x: buf(x), chunks, ids: buf(ids), lse: buf(lsev), g: buf(g), dx, R, H }));
      checks.push({ op: `logprob backward dx ${dt}`, err: maxDiff(await readBuffer(gpu, dx, R * H), refv.dx), scale: maxAbs(refv.dx) });
    }
    const tile = zeros(R * V);
    await run(gpu, (rec) => logitGradTile(rec, { x: buf(x), W: buf(W), ids: buf(ids), lse: buf(lse), g: buf(g), out: tile, R, H, v0: 0, n: V, w0: 0 }));
    const dW = zeros(V * H);
    await run(gpu, (rec) => gemm(rec, { A: tile, B: buf(x), C: dW, I: V, J: H, K: R, aT: true, bT: false }));
    checks.push({ op: 'LM head dW (logit-gradient tile + gemm)', err: maxDiff(await readBuffer(gpu, dW, V * H), ref.dW), scale: maxAbs(ref.dW) });
  }
  gpu.destroy();
  return { checks };
}
