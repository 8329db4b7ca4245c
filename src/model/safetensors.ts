// safetensors reader: 8-byte little-endian header length N, N bytes of JSON header
// ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}), then raw little-endian
// tensor data; offsets are relative to the start of the data (byte 8 + N).
//
// Built for large files: the header is parsed from the first bytes only, and tensors are read one at
// a time through a `RangeReader` (File.slice, fs read at an offset, HTTP Range…), so a 1 GB
// checkpoint never has to be one JS string or one buffer. Sharded checkpoints go through
// `model.safetensors.index.json`.

import { EvomError } from '../errors.ts';
import type { ModelSource } from './source.ts';

/** Dtypes the engine reads (converted to f32, or uploaded raw). */
export type FloatDtype = 'F32' | 'F16' | 'BF16';
export const FLOAT_DTYPES: readonly FloatDtype[] = ['F32', 'F16', 'BF16'];

/** Element sizes of every dtype the safetensors format defines (so headers with them can be checked). */
const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1,
  BOOL: 1, F8_E4M3: 1, F8_E5M2: 1, F8_E8M0: 1,
};

/** The safetensors format caps the header at 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

export class SafetensorsError extends EvomError {
  constructor(message: string, readonly file?: string, readonly tensor?: string) {
    super(`${file ?? 'safetensors'}${tensor ? `: tensor "${tensor}"` : ''}: ${message}`, 'safetensors');
  }
}

export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Absolute byte range in the file: [begin, end). */
  begin: number;
  end: number;
  byteLength: number;
  /** Number of elements (product of shape; 1 for a scalar). */
  numel: number;
}

export interface SafetensorsHeader {
  /** N, the JSON header's length. */
  headerLength: number;
  /** Absolute offset of the data section (8 + N). */
  dataOffset: number;
  /** End of the last tensor's data (absolute): the file must be at least this long. */
  dataEnd: number;
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string> | null;
}

export interface ParseOptions {
  /** The file name, for messages. */
  file?: string;
  /** Total file size when known (checked against the offsets). */
  fileSize?: number;
  /** Accept every dtype the format defines, not only F32/F16/BF16. Default false. */
  allowAnyDtype?: boolean;
}

/** `(offset, length) → bytes` of one file. */
export type RangeReader = (offset: number, length: number) => Promise<Uint8Array>;

function asBytes(b: Uint8Array | ArrayBufferLike): Uint8Array {
  return b instanceof Uint8Array ? b : new Uint8Array(b);
}

/** N from the first 8 bytes (u64 LE), checked to be sane. */
export function headerLength(first8: Uint8Array, file?: string): number {
  if (first8.length < 8) throw new SafetensorsError(`file too short (${first8.length} bytes) for a safetensors header`, file);
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  if (hi !== 0 || lo > MAX_HEADER_BYTES) {
    throw new SafetensorsError(`header length ${hi * 2 ** 32 + lo} is not sane (limit ${MAX_HEADER_BYTES}); not a safetensors file?`, file);
  }
  if (lo < 2) throw new SafetensorsError(`header length ${lo} is too small`, file);
  return lo;
}

/**
 * Parse and validate the header. `bytes` must hold at least the first 8 + N bytes of the file (the
 * whole file is fine); pass `fileSize` when `bytes` is only a prefix so offsets can be bounds-checked.
 */
export function parseSafetensorsHeader(bytes: Uint8Array | ArrayBufferLike, opts: ParseOptions = {}): SafetensorsHeader {
  const b = asBytes(bytes);
  const file = opts.file;
  const n = headerLength(b, file);
  if (b.length < 8 + n) {
    throw new SafetensorsError(`header says ${n} bytes of JSON but only ${b.length - 8} bytes follow`, file);
  }
  let json: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(8, 8 + n));
    json = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`header is not valid UTF-8 JSON (${(e as Error).message})`, file);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SafetensorsError('header is not a JSON object', file);
  }
  const dataOffset = 8 + n;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> | null = null;
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)
        || Object.values(raw).some((v) => typeof v !== 'string')) {
        throw new SafetensorsError('__metadata__ must be an object of strings', file);
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    if (typeof raw !== 'object' || raw === null) throw new SafetensorsError('entry is not an object', file, name);
    const { dtype, shape, data_offsets: offs } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
      throw new SafetensorsError(`unknown dtype ${JSON.stringify(dtype)}`, file, name);
    }
    if (!opts.allowAnyDtype && !(FLOAT_DTYPES as readonly string[]).includes(dtype)) {
      throw new SafetensorsError(
        `dtype ${dtype} is not supported (supported: ${FLOAT_DTYPES.join(', ')}; quantized checkpoints are not)`, file, name);
    }
    if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
      throw new SafetensorsError(`bad shape ${JSON.stringify(shape)}`, file, name);
    }
    if (!Array.isArray(offs) || offs.length !== 2
      || offs.some((o) => typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) || offs[0] > offs[1]) {
      throw new SafetensorsError(`bad data_offsets ${JSON.stringify(offs)}`, file, name);
    }
    const numel = (shape as number[]).reduce((a, d) => a * d, 1);
    const byteLength = (offs[1] as number) - (offs[0] as number);
    if (numel * DTYPE_BYTES[dtype]! !== byteLength) {
      throw new SafetensorsError(
        `shape [${(shape as number[]).join(', ')}] × ${dtype} needs ${numel * DTYPE_BYTES[dtype]!} bytes but data_offsets span ${byteLength}`,
        file, name);
    }
    tensors.set(name, {
      name, dtype, shape: shape as number[], numel, byteLength,
      begin: dataOffset + (offs[0] as number), end: dataOffset + (offs[1] as number),
    });
  }
  // Non-overlapping, in bounds.
  const sorted = [...tensors.values()].sort((a, b2) => a.begin - b2.begin || a.end - b2.end);
  let dataEnd = dataOffset;
  let prev: TensorEntry | undefined;
  for (const t of sorted) {
    if (prev && t.begin < prev.end && t.byteLength > 0 && prev.byteLength > 0) {
      throw new SafetensorsError(`data overlaps tensor "${prev.name}"`, file, t.name);
    }
    if (t.end > dataEnd) dataEnd = t.end;
    if (t.byteLength > 0) prev = t;
  }
  const size = opts.fileSize ?? (b.length > 8 + n ? b.length : undefined);
  if (size !== undefined && dataEnd > size) {
    const last = sorted.find((t) => t.end === dataEnd)!;
    throw new SafetensorsError(`data ends at byte ${dataEnd} but the file has ${size} bytes (truncated?)`, file, last.name);
  }
  return { headerLength: n, dataOffset, dataEnd, tensors, metadata };
}

/** Read the first 8 + N bytes through a range reader and parse them. */
export async function readSafetensorsHeader(read: RangeReader, opts: ParseOptions = {}): Promise<SafetensorsHeader> {
  const first = await read(0, 8);
  const n = headerLength(first, opts.file);
  const head = await read(0, 8 + n);
  return parseSafetensorsHeader(head, opts);
}

// ---- dtype conversion ----------------------------------------------------------------------------

let f16Table: Float32Array | undefined;

/** All 65,536 half-precision values as f32, built once from the bit patterns (exact; NaN payloads kept). */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const bits = new Uint32Array(65536);
  const f = new Float32Array(bits.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) {
      f[h] = mant * 2 ** -24; // zero or subnormal: exact in f32
      bits[h] = (bits[h]! | sign) >>> 0;
    } else if (exp === 31) {
      bits[h] = (sign | 0x7f800000 | (mant << 13)) >>> 0; // inf / NaN
    } else {
      bits[h] = (sign | ((exp - 15 + 127) << 23) | (mant << 13)) >>> 0;
    }
  }
  return (f16Table = f);
}

/** One IEEE half (as its 16 bits) → number. */
export function f16ToF32(h: number): number {
  return halfTable()[h & 0xffff]!;
}

const scratch = new DataView(new ArrayBuffer(4));

/** One bfloat16 (as its 16 bits) → number: the upper 16 bits of an f32. */
export function bf16ToF32(h: number): number {
  scratch.setUint32(0, (h & 0xffff) << 16 >>> 0);
  return scratch.getFloat32(0);
}

/** number → bfloat16 bits, round to nearest even (NaN stays NaN). */
export function f32ToBf16(x: number): number {
  scratch.setFloat32(0, x);
  const u = scratch.getUint32(0);
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) return (u >>> 16) | 0x40; // quiet NaN
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** number → IEEE half bits, round to nearest even, with subnormals, overflow to inf, NaN. */
export function f32ToF16(x: number): number {
  scratch.setFloat32(0, x);
  const u = scratch.getUint32(0);
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    if (rem > half || (rem === half && (r & 1))) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1))) r++; // may carry into the exponent: correct (→ inf at top)
  return sign | r;
}

function u16View(bytes: Uint8Array): Uint16Array {
  if (bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1);
  return new Uint16Array(bytes.slice().buffer);
}

/**
 * Raw little-endian tensor bytes → a new Float32Array. F32 is copied, BF16 widened exactly (bits << 16),
 * F16 converted exactly (subnormals, ±inf, NaN included). Assumes a little-endian host (every browser
 * and Node platform the engine targets).
 */
export function decodeTensor(bytes: Uint8Array, dtype: string, name?: string): Float32Array {
  switch (dtype) {
    case 'F32': {
      if (bytes.byteLength % 4) throw new SafetensorsError(`F32 data of ${bytes.byteLength} bytes`, undefined, name);
      return new Float32Array(bytes.slice().buffer);
    }
    case 'BF16': {
      const src = u16View(bytes);
      const out = new Uint32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = src[i]! << 16;
      return new Float32Array(out.buffer);
    }
    case 'F16': {
      const src = u16View(bytes);
      const table = halfTable();
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = table[src[i]!]!;
      return out;
    }
    default:
      throw new SafetensorsError(`dtype ${dtype} cannot be read as floats (supported: ${FLOAT_DTYPES.join(', ')})`,
        undefined, name);
  }
}

/** A zero-copy view of one tensor's raw bytes inside a whole-file buffer. */
export function tensorBytes(file: Uint8Array | ArrayBufferLike, entry: TensorEntry): Uint8Array {
  const b = asBytes(file);
  if (entry.end > b.length) {
    throw new SafetensorsError(`data [${entry.begin}, ${entry.end}) is past the end of the buffer (${b.length} bytes)`,
      undefined, entry.name);
  }
  return b.subarray(entry.begin, entry.end);
}

/** One tensor of a whole-file buffer as f32. */
export function readTensor(file: Uint8Array | ArrayBufferLike, entry: TensorEntry): Float32Array {
  return decodeTensor(tensorBytes(file, entry), entry.dtype, entry.name);
}

// ---- one file, read lazily -----------------------------------------------------------------------

export interface SafetensorsFile {
  readonly file: string;
  readonly header: SafetensorsHeader;
  readonly tensors: ReadonlyMap<string, TensorEntry>;
  /** Raw little-endian bytes of one tensor (for uploading F16/BF16 to the GPU as they are). */
  readRaw(name: string): Promise<Uint8Array>;
  /** One tensor converted to f32. */
  readFloat32(name: string): Promise<Float32Array>;
}

/** Open one safetensors file through a range reader: reads the header now, tensors on demand. */
export async function openSafetensors(read: RangeReader, opts: ParseOptions = {}): Promise<SafetensorsFile> {
  const header = await readSafetensorsHeader(read, opts);
  const file = opts.file ?? 'safetensors';
  const entry = (name: string): TensorEntry => {
    const e = header.tensors.get(name);
    if (!e) throw new SafetensorsError(`no tensor named "${name}"`, file);
    return e;
  };
  const readRaw = async (name: string): Promise<Uint8Array> => {
    const e = entry(name);
    const bytes = await read(e.begin, e.byteLength);
    if (bytes.length !== e.byteLength) {
      throw new SafetensorsError(`read ${bytes.length} of ${e.byteLength} bytes (file truncated?)`, file, name);
    }
    return bytes;
  };
  return {
    file, header, tensors: header.tensors, readRaw,
    async readFloat32(name) { return decodeTensor(await readRaw(name), entry(name).dtype, name); },
  };
}

/** A range reader over bytes already in memory. */
export function bytesRangeReader(bytes: Uint8Array | ArrayBufferLike): RangeReader {
  const b = asBytes(bytes);
  return async (offset, length) => b.subarray(offset, Math.min(b.length, offset + length));
}

// ---- sharded checkpoints -------------------------------------------------------------------------

export const INDEX_FILE = 'model.safetensors.index.json';
export const SINGLE_FILE = 'model.safetensors';

export interface SafetensorsIndex {
  /** tensor name → shard file name */
  weightMap: Map<string, string>;
  /** Shard files in first-appearance order. */
  files: string[];
  metadata: Record<string, unknown> | null;
}

export function parseSafetensorsIndex(json: unknown, file = INDEX_FILE): SafetensorsIndex {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SafetensorsError('index is not a JSON object', file);
  }
  const wm = (json as Record<string, unknown>).weight_map;
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) {
    throw new SafetensorsError('index has no "weight_map" object', file);
  }
  const weightMap = new Map<string, string>();
  const files: string[] = [];
  for (const [name, shard] of Object.entries(wm)) {
    if (typeof shard !== 'string' || shard === '' || shard.includes('..') || shard.startsWith('/')) {
      throw new SafetensorsError(`weight_map entry has a bad shard name ${JSON.stringify(shard)}`, file, name);
    }
    weightMap.set(name, shard);
    if (!files.includes(shard)) files.push(shard);
  }
  const md = (json as Record<string, unknown>).metadata;
  return { weightMap, files, metadata: typeof md === 'object' && md !== null ? md as Record<string, unknown> : null };
}

/** All tensors of a checkpoint (one file or several shards), read one at a time. */
export interface Checkpoint {
  /** The files, in order (one for an unsharded checkpoint). */
  readonly files: readonly string[];
  /** Every tensor: entry plus the file that holds it. */
  readonly tensors: ReadonlyMap<string, TensorEntry & { file: string }>;
  readRaw(name: string): Promise<Uint8Array>;
  readFloat32(name: string): Promise<Float32Array>;
  /** Sum of all tensors' byte lengths. */
  readonly totalBytes: number;
}

/** A source's range reader for one file (falls back to reading the whole file once, then slicing). */
function rangeReaderFor(source: ModelSource, file: string): RangeReader {
  if (source.readRange) {
    const rr = source.readRange.bind(source);
    return (offset, length) => rr(file, offset, length);
  }
  let whole: Promise<Uint8Array> | undefined;
  return async (offset, length) => {
    whole ??= source.readBytes(file);
    const b = await whole;
    return b.subarray(offset, Math.min(b.length, offset + length));
  };
}

/**
 * Open the checkpoint of a model source: `model.safetensors.index.json` + its shards when the index
 * exists, else `model.safetensors`. Only headers are read here. Checks that the index and the shards
 * agree (every mapped tensor is in its shard, no tensor is in two shards, no shard tensor is unmapped).
 */
export async function openCheckpoint(source: ModelSource, opts: Omit<ParseOptions, 'file' | 'fileSize'> = {}): Promise<Checkpoint> {
  let index: SafetensorsIndex | null = null;
  let indexText: string | null = null;
  try {
    indexText = await source.readText(INDEX_FILE);
  } catch (e) {
    if ((e as { code?: string }).code !== 'model_file_not_found') throw e;
  }
  if (indexText !== null) {
    let json: unknown;
    try { json = JSON.parse(indexText); } catch (e) {
      throw new SafetensorsError(`not valid JSON (${(e as Error).message})`, INDEX_FILE);
    }
    index = parseSafetensorsIndex(json);
  }
  const files = index ? index.files : [SINGLE_FILE];
  const opened = await Promise.all(files.map((f) => openSafetensors(rangeReaderFor(source, f), { ...opts, file: f })));
  const byFile = new Map(opened.map((o) => [o.file, o]));
  const tensors = new Map<string, TensorEntry & { file: string }>();
  for (const o of opened) {
    for (const [name, e] of o.tensors) {
      const prev = tensors.get(name);
      if (prev) throw new SafetensorsError(`tensor is in both ${prev.file} and ${o.file}`, o.file, name);
      if (index && index.weightMap.get(name) !== o.file) {
        throw new SafetensorsError(`tensor is not mapped to this shard in ${INDEX_FILE}`, o.file, name);
      }
      tensors.set(name, { ...e, file: o.file });
    }
  }
  if (index) {
    for (const [name, shard] of index.weightMap) {
      if (!tensors.has(name)) throw new SafetensorsError(`${INDEX_FILE} maps it to ${shard}, which does not hold it`, shard, name);
    }
  }
  const which = (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new SafetensorsError(`no tensor named "${name}" in the checkpoint`, files.join(', '));
    return byFile.get(t.file)!;
  };
  let totalBytes = 0;
  for (const t of tensors.values()) totalBytes += t.byteLength;
  return {
    files, tensors, totalBytes,
    readRaw: (name) => which(name).readRaw(name),
    readFloat32: (name) => which(name).readFloat32(name),
  };
}

/**
 * Check a checkpoint against the tensors a config expects (see `expectedTensors` in model-config.ts):
 * returns human-readable problems (missing tensors, wrong shapes); an empty list means it matches.
 * Extra tensors are tolerated (e.g. an `lm_head.weight` kept in a tied checkpoint).
 */
export function checkTensorShapes(ckpt: Pick<Checkpoint, 'tensors'>, expected: Map<string, number[]>): string[] {
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const t = ckpt.tensors.get(name);
    if (!t) problems.push(`missing tensor ${name} [${shape.join(', ')}]`);
    else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      problems.push(`tensor ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
  }
  return problems;
}

// ---- writing (tests, fixtures, tools) ------------------------------------------------------------

export interface TensorToWrite {
  name: string;
  dtype: string;
  shape: number[];
  /** Raw little-endian bytes. */
  data: Uint8Array;
}

/** Serialize tensors into one safetensors file (header padded with spaces to a multiple of 8). */
export function serializeSafetensors(tensors: TensorToWrite[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let hb = enc.encode(json);
  const pad = (8 - (hb.length % 8)) % 8;
  if (pad) { json += ' '.repeat(pad); hb = enc.encode(json); }
  const out = new Uint8Array(8 + hb.length + offset);
  new DataView(out.buffer).setUint32(0, hb.length, true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const t of tensors) { out.set(t.data, p); p += t.data.byteLength; }
  return out;
}

/** f32 values → raw bytes of the given float dtype (for writing). */
export function encodeFloats(values: ArrayLike<number>, dtype: FloatDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(Float32Array.from(values).buffer);
  const out = new Uint16Array(values.length);
  const conv = dtype === 'F16' ? f32ToF16 : f32ToBf16;
  for (let i = 0; i < values.length; i++) out[i] = conv(values[i]!);
  return new Uint8Array(out.buffer);
}
