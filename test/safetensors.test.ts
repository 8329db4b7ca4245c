import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectedTensors, parseModelConfig } from '../src/model/config.ts';
import { fileListSource, memorySource, ModelFileNotFoundError, readJson, readJsonIfExists } from '../src/model/source.ts';
import { directorySource } from '../src/model/source-node.ts';
import {
  bf16ToF32, bytesRangeReader, checkTensorShapes, decodeTensor, encodeFloats, f16ToF32, f32ToBf16, f32ToF16,
  openCheckpoint, openSafetensors, parseSafetensorsHeader, parseSafetensorsIndex, readTensor, SafetensorsError,
  serializeSafetensors, tensorBytes,
} from '../src/model/safetensors.ts';

const enc = new TextEncoder();

/** A safetensors file written by hand (header not padded, so the data starts at an odd offset). */
function handMade(header: object, data: Uint8Array): Uint8Array {
  const h = enc.encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function u16le(...vals: number[]): Uint8Array {
  const b = new Uint8Array(vals.length * 2);
  vals.forEach((v, i) => { b[2 * i] = v & 0xff; b[2 * i + 1] = v >> 8; });
  return b;
}

function err(fn: () => unknown): SafetensorsError {
  try { fn(); } catch (e) { expect(e).toBeInstanceOf(SafetensorsError); return e as SafetensorsError; }
  throw new Error('expected a SafetensorsError');
}

/** Reference half → number, written independently of the table in safetensors.ts. */
function halfRef(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + m / 1024);
}

describe('dtype conversion', () => {
  it('F16: every one of the 65,536 bit patterns, exactly (subnormals, ±0, ±inf, NaN)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const f = decodeTensor(new Uint8Array(all.buffer), 'F16');
    const bad: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const ref = halfRef(h);
      if (Number.isNaN(ref) ? !Number.isNaN(f[h]) : !Object.is(f[h], ref)) bad.push(h);
    }
    expect(bad).toEqual([]);
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(f16ToF32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(f16ToF32(0x7bff)).toBe(65504);
    expect(f16ToF32(0xfc00)).toBe(-Infinity);
    expect(Object.is(f16ToF32(0x8000), -0)).toBe(true);
  });

  it('BF16: every bit pattern becomes the upper half of the f32 (NaN payloads too)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const f = decodeTensor(new Uint8Array(all.buffer), 'BF16');
    const bits = new Uint32Array(f.buffer);
    const bad: number[] = [];
    for (let h = 0; h < 65536; h++) if (bits[h] !== (h << 16) >>> 0) bad.push(h);
    expect(bad).toEqual([]);
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(bf16ToF32(0xc040)).toBe(-3);
  });

  it('encoders round to nearest even and invert the decoders', () => {
    const bad: number[] = [];
    for (let h = 0; h < 65536; h++) {
      if (!Number.isNaN(halfRef(h)) && f32ToF16(f16ToF32(h)) !== h) bad.push(h);
      const b = bf16ToF32(h);
      if (!Number.isNaN(b) && f32ToBf16(b) !== h) bad.push(h);
    }
    expect(bad).toEqual([]);
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(f32ToF16(65519)).toBe(0x7bff);
    expect(f32ToF16(65520)).toBe(0x7c00);
    expect(f32ToF16(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal → even
    expect(f32ToF16(3 * 2 ** -26)).toBe(1);
    expect(Number.isNaN(f16ToF32(f32ToF16(NaN)))).toBe(true);
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80);
    expect(f32ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(Number.isNaN(bf16ToF32(f32ToBf16(NaN)))).toBe(true);
  });
});

describe('parseSafetensorsHeader / readTensor', () => {
  it('reads a hand-made file (unpadded header, odd data offset) in every float dtype', () => {
    const f32 = new Uint8Array(new Float32Array([1.5, -2, 3.25]).buffer);
    const f16 = u16le(0x3c00, 0xc000, 0x0001, 0x7c00); // 1, -2, 2^-24, inf
    const bf16 = u16le(0x3f80, 0x4049); // 1, 3.140625
    const data = new Uint8Array([...f32, ...f16, ...bf16]);
    const file = handMade({
      __metadata__: { format: 'pt' },
      a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
      b: { dtype: 'F16', shape: [2, 2], data_offsets: [12, 20] },
      c: { dtype: 'BF16', shape: [2], data_offsets: [20, 24] },
    }, data);
    const h = parseSafetensorsHeader(file);
    expect(h.metadata).toEqual({ format: 'pt' });
    expect(h.dataOffset % 2).toBe(1); // exercise unaligned views
    expect([...h.tensors.keys()]).toEqual(['a', 'b', 'c']);
    expect(h.tensors.get('b')).toMatchObject({ dtype: 'F16', shape: [2, 2], numel: 4, byteLength: 8, begin: h.dataOffset + 12 });
    expect([...readTensor(file, h.tensors.get('a')!)]).toEqual([1.5, -2, 3.25]);
    expect([...readTensor(file, h.tensors.get('b')!)]).toEqual([1, -2, 2 ** -24, Infinity]);
    expect([...readTensor(file, h.tensors.get('c')!)]).toEqual([1, 3.140625]);
    expect([...tensorBytes(file.buffer, h.tensors.get('c')!)]).toEqual([0x80, 0x3f, 0x49, 0x40]);
  });

  it('round-trips through serializeSafetensors', () => {
    const vals = [0, 1, -1, 0.5, 1e-5, 3.14159, -65504, 7];
    const file = serializeSafetensors([
      { name: 'x.f32', dtype: 'F32', shape: [2, 4], data: encodeFloats(vals, 'F32') },
      { name: 'x.f16', dtype: 'F16', shape: [8], data: encodeFloats(vals, 'F16') },
      { name: 'x.bf16', dtype: 'BF16', shape: [4, 2], data: encodeFloats(vals, 'BF16') },
      { name: 'scalar', dtype: 'F32', shape: [], data: encodeFloats([42], 'F32') },
      { name: 'empty', dtype: 'F16', shape: [0, 3], data: new Uint8Array(0) },
    ]);
    const h = parseSafetensorsHeader(file);
    expect(h.headerLength % 8).toBe(0);
    expect([...readTensor(file, h.tensors.get('x.f32')!)]).toEqual(vals.map(Math.fround));
    const f16 = readTensor(file, h.tensors.get('x.f16')!);
    vals.forEach((v, i) => expect(f16[i]).toBe(f16ToF32(f32ToF16(v))));
    expect(f16[4]).toBeCloseTo(1e-5, 7);
    const bf = readTensor(file, h.tensors.get('x.bf16')!);
    vals.forEach((v, i) => expect(Math.abs(bf[i]! - v)).toBeLessThanOrEqual(Math.abs(v) / 128));
    expect([...readTensor(file, h.tensors.get('scalar')!)]).toEqual([42]);
    expect(h.tensors.get('scalar')!.numel).toBe(1);
    expect(readTensor(file, h.tensors.get('empty')!).length).toBe(0);
  });

  const ok = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  it('rejects broken files with errors that say what is wrong', () => {
    expect(err(() => parseSafetensorsHeader(new Uint8Array(5))).message).toContain('too short');
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(0, 0xffffffff, true);
    expect(err(() => parseSafetensorsHeader(huge)).message).toContain('not sane');
    new DataView(huge.buffer).setUint32(0, 0, true);
    new DataView(huge.buffer).setUint32(4, 1, true);
    expect(err(() => parseSafetensorsHeader(huge)).message).toContain('not sane');
    const short = handMade({ a: ok }, new Uint8Array(8)).subarray(0, 20);
    expect(err(() => parseSafetensorsHeader(short)).message).toContain('only');
    const bad = new Uint8Array(8 + 5);
    new DataView(bad.buffer).setUint32(0, 5, true);
    bad.set(enc.encode('{"a":'), 8);
    expect(err(() => parseSafetensorsHeader(bad)).message).toContain('JSON');
    // Truncated data: offsets past the end of the file.
    const trunc = handMade({ a: ok, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, new Uint8Array(12));
    const t = err(() => parseSafetensorsHeader(trunc));
    expect(t.tensor).toBe('b');
    expect(t.message).toContain('truncated');
    // Overlap.
    const over = handMade({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, new Uint8Array(16));
    expect(err(() => parseSafetensorsHeader(over)).message).toMatch(/"b".*overlaps tensor "a"/);
    // Shape × dtype ≠ byte length.
    const mism = handMade({ w: { dtype: 'BF16', shape: [3, 3], data_offsets: [0, 16] } }, new Uint8Array(16));
    const m = err(() => parseSafetensorsHeader(mism));
    expect(m.tensor).toBe('w');
    expect(m.message).toContain('needs 18 bytes');
    // Bad offsets / shape.
    expect(err(() => parseSafetensorsHeader(handMade({ a: { ...ok, data_offsets: [8, 0] } }, new Uint8Array(8)))).message).toContain('data_offsets');
    expect(err(() => parseSafetensorsHeader(handMade({ a: { ...ok, shape: [-2] } }, new Uint8Array(8)))).message).toContain('shape');
  });

  it('rejects unsupported dtypes naming the tensor (unless allowAnyDtype)', () => {
    const q = handMade({ 'model.layers.0.mlp.up_proj.weight': { dtype: 'I8', shape: [4], data_offsets: [0, 4] } }, new Uint8Array(4));
    const e = err(() => parseSafetensorsHeader(q, { file: 'model.safetensors' }));
    expect(e.message).toContain('model.safetensors: tensor "model.layers.0.mlp.up_proj.weight": dtype I8 is not supported');
    const f8 = handMade({ w: { dtype: 'F8_E4M3', shape: [4], data_offsets: [0, 4] } }, new Uint8Array(4));
    expect(err(() => parseSafetensorsHeader(f8)).message).toContain('F8_E4M3');
    const h = parseSafetensorsHeader(q, { allowAnyDtype: true });
    const e2 = err(() => readTensor(q, h.tensors.get('model.layers.0.mlp.up_proj.weight')!));
    expect(e2.tensor).toBe('model.layers.0.mlp.up_proj.weight');
    expect(e2.message).toContain('I8');
    expect(err(() => parseSafetensorsHeader(handMade({ w: { dtype: 'Q4_K', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), { allowAnyDtype: true })).message).toContain('unknown dtype');
  });

  it('reads one tensor at a time through a range reader', async () => {
    const big = new Float32Array(100_000).map((_, i) => i);
    const file = serializeSafetensors([
      { name: 'big', dtype: 'F32', shape: [100_000], data: new Uint8Array(big.buffer) },
      { name: 'small', dtype: 'BF16', shape: [2], data: u16le(0x3f80, 0x4000) },
    ]);
    const calls: [number, number][] = [];
    const inner = bytesRangeReader(file);
    const st = await openSafetensors(async (o, l) => { calls.push([o, l]); return inner(o, l); }, { file: 'x.safetensors' });
    expect(calls.length).toBe(2);
    expect(calls[1]![1]).toBe(st.header.dataOffset);
    expect([...await st.readFloat32('small')]).toEqual([1, 2]);
    expect(calls[2]).toEqual([st.tensors.get('small')!.begin, 4]);
    expect(calls.reduce((a, c) => a + c[1], 0)).toBeLessThan(1000); // the 400 kB tensor was never read
    expect((await st.readRaw('big')).length).toBe(400_000);
    await expect(st.readRaw('nope')).rejects.toThrow(/no tensor named "nope"/);
    // A reader that comes back short.
    const trunc = await openSafetensors(async (o, l) => inner(o, o === 0 ? l : Math.min(l, 100)), { file: 't' });
    await expect(trunc.readRaw('big')).rejects.toThrow(/truncated/);
  });
});

describe('sharded checkpoints', () => {
  const shard = (names: string[]) => serializeSafetensors(names.map((n, i) => ({ name: n, dtype: 'F32', shape: [2], data: encodeFloats([i, i + 0.5], 'F32') })));
  const index = (wm: Record<string, string>) => JSON.stringify({ metadata: { total_size: 16 }, weight_map: wm });

  it('opens an index + shards and reads across them', async () => {
    const src = memorySource({
      'model.safetensors.index.json': index({ a: 'm-1.safetensors', b: 'm-1.safetensors', c: 'm-2.safetensors' }),
      'm-1.safetensors': shard(['a', 'b']),
      'm-2.safetensors': shard(['c']),
    });
    const ck = await openCheckpoint(src);
    expect(ck.files).toEqual(['m-1.safetensors', 'm-2.safetensors']);
    expect(ck.tensors.get('c')!.file).toBe('m-2.safetensors');
    expect([...await ck.readFloat32('b')]).toEqual([1, 1.5]);
    expect([...await ck.readFloat32('c')]).toEqual([0, 0.5]);
    expect(ck.totalBytes).toBe(24);
  });

  it('falls back to model.safetensors and checks index/shard agreement', async () => {
    const single = await openCheckpoint(memorySource({ 'model.safetensors': shard(['w']) }));
    expect(single.files).toEqual(['model.safetensors']);
    await expect(openCheckpoint(memorySource({
      'model.safetensors.index.json': index({ a: 'm-1.safetensors', b: 'm-2.safetensors' }),
      'm-1.safetensors': shard(['a']), 'm-2.safetensors': shard(['c']),
    }))).rejects.toThrow(/tensor "c": tensor is not mapped to this shard/);
    await expect(openCheckpoint(memorySource({
      'model.safetensors.index.json': index({ a: 'm-1.safetensors', b: 'm-1.safetensors' }),
      'm-1.safetensors': shard(['a']),
    }))).rejects.toThrow(/tensor "b": model.safetensors.index.json maps it to m-1.safetensors, which does not hold it/);
    await expect(openCheckpoint(memorySource({}))).rejects.toThrow(/no file "model.safetensors"/);
    expect(() => parseSafetensorsIndex({ weight_map: { a: '../x' } })).toThrow(/bad shard name/);
    expect(() => parseSafetensorsIndex({})).toThrow(/weight_map/);
  });
});

describe('fixture checkpoints', () => {
  const dir = new URL('./fixtures/models/', import.meta.url).pathname;
  const ref = new URL('./fixtures/reference/', import.meta.url).pathname;
  for (const [model, dtype] of [['tiny-qwen2', 'BF16'], ['tiny-qwen3', 'F32'], ['tiny-llama', 'F16']] as const) {
    it.runIf(existsSync(`${dir}${model}/config.json`))(`${model}: shapes match the config, embeddings match the reference`, async () => {
      const src = directorySource(`${dir}${model}`);
      const cfg = parseModelConfig(JSON.parse(await src.readText('config.json')));
      const ck = await openCheckpoint(src);
      expect(checkTensorShapes(ck, expectedTensors(cfg))).toEqual([]);
      expect(new Set([...ck.tensors.values()].map((t) => t.dtype))).toEqual(new Set([dtype]));
      if (model === 'tiny-qwen3') expect(ck.files.length).toBe(2);
      if (!existsSync(`${ref}${model}.json`)) return;
      const r = JSON.parse(readFileSync(`${ref}${model}.json`, 'utf8'));
      const emb = await ck.readFloat32('model.embed_tokens.weight');
      const { input_ids: ids, embeddings } = r.inputs.A as { input_ids: number[]; embeddings: number[][] };
      ids.forEach((id, t) => {
        const row = emb.subarray(id * cfg.hidden, (id + 1) * cfg.hidden);
        embeddings[t]!.forEach((v, j) => expect(row[j]).toBe(Math.fround(v)));
      });
    });
  }
});

describe('model sources', () => {
  const ckpt = serializeSafetensors([{ name: 'w', dtype: 'F16', shape: [3], data: encodeFloats([1, 2, 3], 'F16') }]);
  const picked = (path: string, data: Uint8Array | string) => {
    const f = new File([data as BlobPart], path.split('/').pop()!);
    return Object.assign(f, { webkitRelativePath: path });
  };

  it('reads picked browser files by relative path (directory picker drops the top folder)', async () => {
    const src = fileListSource([
      picked('Qwen2.5-0.5B/config.json', '{"a":1}'),
      picked('Qwen2.5-0.5B/model.safetensors', ckpt),
      picked('Qwen2.5-0.5B/sub/x.txt', 'x'),
    ]);
    expect(await src.list!()).toEqual(['config.json', 'model.safetensors', 'sub/x.txt']);
    expect(await src.readText('config.json')).toBe('{"a":1}');
    expect(await src.readText('Qwen2.5-0.5B/config.json')).toBe('{"a":1}');
    expect(await src.readRange!('model.safetensors', 0, 8)).toEqual(ckpt.subarray(0, 8));
    expect([...await (await openCheckpoint(src)).readFloat32('w')]).toEqual([1, 2, 3]);
    await expect(src.readText('tokenizer.json')).rejects.toThrow(/no file "tokenizer.json" among the picked files \(config.json/);
    await expect(src.readText('../etc/passwd')).rejects.toThrow(/not a relative path/);
    // A plain multi-file picker: bare names.
    const flat = fileListSource([new File(['{}'], 'config.json'), new File([ckpt as BlobPart], 'model.safetensors')]);
    expect(await flat.list!()).toEqual(['config.json', 'model.safetensors']);
    expect(await flat.size!('model.safetensors')).toBe(ckpt.length);
  });

  it('reads a folder on disk, refusing paths outside it', async () => {
    const dir = new URL('./fixtures/', import.meta.url).pathname;
    const src = directorySource(dir);
    await expect(src.readText('../package.json')).rejects.toThrow(/not a relative path/);
    await expect(src.readText('does-not-exist.json')).rejects.toBeInstanceOf(ModelFileNotFoundError);
    await expect(readJsonIfExists(src, 'does-not-exist.json')).resolves.toBeNull();
    const mem = memorySource({ 'config.json': '{bad' });
    await expect(readJson(mem, 'config.json')).rejects.toThrow(/memory: config.json: not valid JSON/);
  });

  it.runIf(existsSync(new URL('./fixtures/models/tiny-llama/model.safetensors', import.meta.url).pathname))('range-reads a fixture file from disk', async () => {
    const path = new URL('./fixtures/models/tiny-llama/', import.meta.url).pathname;
    const src = directorySource(path);
    const whole = readFileSync(`${path}model.safetensors`);
    expect(await src.readRange!('model.safetensors', 100, 50)).toEqual(new Uint8Array(whole.subarray(100, 150)));
    expect((await src.readRange!('model.safetensors', whole.length - 4, 50)).length).toBe(4);
    expect(await src.size!('model.safetensors')).toBe(whole.length);
    expect(await src.list!()).toContain('model.safetensors');
  });
});
