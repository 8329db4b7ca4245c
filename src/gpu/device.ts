// WebGPU device, features and limits, in one place; buffers, pipelines and dispatches.
// The same code runs in browsers (navigator.gpu) and in Node (npm `webgpu`, Dawn's binding):
// callers pass the GPU object they have.

import { EvomError } from '../errors.ts';
import { bufferBytes, type BufferSpec } from './buffers.ts';

/** No WebGPU, no adapter, or a device that cannot be created. */
export class GpuUnavailableError extends EvomError {
  constructor(message: string) { super(message, 'gpu_unavailable'); }
}

/** A model or buffer that does not fit this adapter's limits. */
export class GpuCapacityError extends EvomError {
  constructor(message: string) { super(message, 'gpu_capacity'); }
}

/** An error reported by the device (shader compilation, validation, out of memory). */
export class GpuError extends EvomError {
  constructor(message: string, readonly details: string[], code = 'gpu_error') { super(message, code); }
}

/** The device could not allocate what was asked of it (a buffer, a pipeline): out of GPU memory. */
export class GpuOutOfMemoryError extends GpuError {
  constructor(details: string[]) { super(`the GPU ran out of memory (${details[0]?.split('\n')[0] ?? 'no details'})`, details, 'gpu_out_of_memory'); }
}

/**
 * The device is gone (destroyed, reset by the driver, reclaimed by the browser): nothing more runs
 * on it, and work in flight is lost. Only a new device (a new engine) continues.
 */
export class GpuDeviceLostError extends EvomError {
  /** `reason`: GPUDeviceLostInfo's ("destroyed" or "unknown"); `detail`: its message */
  constructor(readonly reason: string, readonly detail: string) {
    super(`the GPU device was lost (${lossWhy(reason, detail)})`, 'gpu_device_lost');
  }
  /** "reason: detail", as messages name the loss */
  get why(): string { return lossWhy(this.reason, this.detail); }
}

const lossWhy = (reason: string, detail: string) => `${reason}${detail ? `: ${detail.replace(/\.\s*$/, '')}` : ''}`;

export interface GpuCaps {
  /** adapter vendor/architecture, e.g. "google/swiftshader" */
  adapter: string;
  /**
   * A CPU implementation of WebGPU (SwiftShader, llvmpipe/lavapipe): a workgroup runs on one core
   * and each barrier costs a switch of all its invocations, so kernels with a variant for it pick
   * few workgroups and no barriers.
   */
  cpu: boolean;
  /** WGSL `f16` is available (shader-f16) */
  f16: boolean;
  /** subgroup operations are available */
  subgroups: boolean;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxStorageBuffersPerShaderStage: number;
  maxComputeWorkgroupsPerDimension: number;
  minStorageBufferOffsetAlignment: number;
}

export interface Gpu {
  device: GPUDevice;
  caps: GpuCaps;
  /** compute pipeline for a WGSL source (cached by source text) */
  pipeline(code: string, label: string): GPUComputePipeline;
  /** Throw if the device is lost (GpuDeviceLostError) or reported an error since the last check (GpuOutOfMemoryError, else GpuError). */
  check(): void;
  /** the device's loss, once it is lost (null while it works) */
  readonly lost: GpuDeviceLostError | null;
  /**
   * `p` (a mapAsync, a queue's work done), failing with GpuDeviceLostError when the device is lost
   * before `p` settles or `p` fails because of the loss: nothing awaited on the device waits forever.
   */
  settle<T>(p: Promise<T>): Promise<T>;
  /** Wait until the queue has done the work submitted so far, then check(). */
  idle(): Promise<void>;
  destroy(): void;
}

/** Request the adapter and a device with the adapter's own limits (the defaults are small). */
export async function acquireGpu(gpu: GPU | undefined = globalThis.navigator?.gpu, opts: { powerPreference?: GPUPowerPreference } = {}): Promise<Gpu> {
  if (!gpu) {
    throw new GpuUnavailableError('WebGPU is not available here. Use a browser with WebGPU (Chrome or Edge 113+, Safari 26+, Firefox 141+ on Windows) or, in Node, the npm `webgpu` package with a GPU driver.');
  }
  const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  if (!adapter) throw new GpuUnavailableError('WebGPU is present but no GPU adapter was found (blocklisted driver, or no GPU). In Chrome, check chrome://gpu; on Linux headless, start with --enable-unsafe-webgpu.');
  const features: GPUFeatureName[] = [];
  const f16 = adapter.features.has('shader-f16');
  const subgroups = adapter.features.has('subgroups' as GPUFeatureName);
  if (f16) features.push('shader-f16');
  if (subgroups) features.push('subgroups' as GPUFeatureName);
  const L = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
    maxBufferSize: L.maxBufferSize,
    maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: L.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: L.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: L.maxComputeWorkgroupSizeY,
    maxStorageBuffersPerShaderStage: L.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupsPerDimension: L.maxComputeWorkgroupsPerDimension,
  };
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures: features, requiredLimits });
  } catch (e) {
    throw new GpuUnavailableError(`the GPU adapter refused a device: ${(e as Error).message}`);
  }
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const adapterName = info ? `${info.vendor}/${info.architecture}` : 'unknown';
  const caps: GpuCaps = {
    adapter: adapterName, cpu: /swiftshader|llvmpipe|lavapipe/i.test(`${adapterName} ${info?.device ?? ''} ${info?.description ?? ''}`),
    f16, subgroups,
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
    maxBufferSize: device.limits.maxBufferSize,
    maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
    maxStorageBuffersPerShaderStage: device.limits.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
    minStorageBufferOffsetAlignment: device.limits.minStorageBufferOffsetAlignment,
  };
  const cache = new Map<string, GPUComputePipeline>();
  const errors: string[] = [];
  let outOfMemory = false;
  device.addEventListener('uncapturederror', (ev) => {
    const e = (ev as GPUUncapturedErrorEvent).error;
    if (isOutOfMemory(e)) outOfMemory = true;
    if (errors.length < 20) errors.push(e.message);
  });
  // the loss, and the rejections of what is awaited on the device when it comes
  let lost: GpuDeviceLostError | null = null;
  const waiting = new Set<(e: GpuDeviceLostError) => void>();
  const lostSettled = device.lost.then((info) => {
    lost = new GpuDeviceLostError(info.reason ?? 'unknown', info.message ?? '');
    for (const fail of waiting) fail(lost);
    waiting.clear();
  });
  const check = () => {
    if (lost) throw lost;
    if (errors.length === 0) return;
    const all = errors.splice(0), oom = outOfMemory;
    outOfMemory = false;
    if (oom) throw new GpuOutOfMemoryError(all);
    throw new GpuError(`the GPU reported ${all.length} error(s): ${all[0]!.split('\n')[0]}`, all);
  };
  const settle = <T>(p: Promise<T>): Promise<T> => new Promise<T>((resolve, reject) => {
    if (lost) { p.catch(() => undefined); reject(lost); return; }
    waiting.add(reject);
    p.then((v) => { waiting.delete(reject); resolve(v); }, async (e: unknown) => {
      waiting.delete(reject);
      // a mapAsync that the loss aborts rejects before device.lost resolves; the queue's work done
      // resolves after it (Chromium): wait for that, and name the loss rather than the abort
      if (!lost) await Promise.race([lostSettled, device.queue.onSubmittedWorkDone()]).catch(() => undefined);
      try { check(); } catch (typed) { reject(typed); return; }
      reject(e);
    });
  });
  return {
    device, caps,
    get lost() { return lost; },
    settle,
    async idle() {
      await settle(device.queue.onSubmittedWorkDone());
      check();
    },
    pipeline(code, label) {
      let p = cache.get(code);
      if (!p) {
        const module = device.createShaderModule({ code, label });
        p = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label });
        cache.set(code, p);
      }
      return p;
    },
    check,
    destroy() {
      cache.clear();
      device.destroy();
    },
  };
}

/** GPUOutOfMemoryError (by name where the class is not a global, as in Dawn's Node binding). */
function isOutOfMemory(e: GPUError): boolean {
  const C = (globalThis as { GPUOutOfMemoryError?: abstract new (...a: never[]) => GPUError }).GPUOutOfMemoryError;
  return (C !== undefined && e instanceof C) || e?.constructor?.name === 'GPUOutOfMemoryError';
}

/**
 * Count the storage buffers alive on a device from now on (device.createBuffer and destroy
 * wrapped): the returned function gives their bytes by label. The memory plan's tests and
 * bench/memory-count.ts compare it with the plan.
 */
export function trackStorageBuffers(gpu: Gpu): () => Map<string, number> {
  const alive = new Map<GPUBuffer, { label: string; size: number }>();
  const dev = gpu.device, create = dev.createBuffer.bind(dev);
  dev.createBuffer = (d: GPUBufferDescriptor) => {
    const b = create(d);
    if (d.usage & 0x80 /* STORAGE */) {
      alive.set(b, { label: d.label ?? '', size: d.size });
      const destroy = b.destroy.bind(b);
      b.destroy = () => { alive.delete(b); destroy(); };
    }
    return b;
  };
  return () => { const o = new Map<string, number>(); for (const x of alive.values()) o.set(x.label, (o.get(x.label) ?? 0) + x.size); return o; };
}

const STORAGE = 0x80 | 0x8 | 0x4; // STORAGE | COPY_DST | COPY_SRC (GPUBufferUsage is not a global in every runtime)

/** A storage buffer of `n` f32 (or u32) values; contents zero or `data`. */
export function storageBuffer(gpu: Gpu, n: number, label: string, data?: Float32Array | Uint32Array | Int32Array): GPUBuffer {
  const size = bufferBytes(n);
  if (size > gpu.caps.maxBufferSize) throw new GpuCapacityError(`buffer "${label}" needs ${size} bytes; this adapter's maxBufferSize is ${gpu.caps.maxBufferSize}`);
  const buf = gpu.device.createBuffer({ size, usage: STORAGE, label, mappedAtCreation: Boolean(data) });
  if (data) {
    const view = data instanceof Float32Array ? new Float32Array(buf.getMappedRange()) : new Uint32Array(buf.getMappedRange());
    view.set(data as ArrayLike<number>);
    buf.unmap();
  }
  return buf;
}

/** One zeroed storage buffer per spec (src/gpu/buffers.ts), by key. */
export function allocate<K extends string>(gpu: Gpu, specs: readonly BufferSpec<K>[]): Record<K, GPUBuffer> {
  const out = {} as Record<K, GPUBuffer>;
  for (const s of specs) out[s.key] = storageBuffer(gpu, s.words, s.name);
  return out;
}

export function writeBuffer(gpu: Gpu, buf: GPUBuffer, data: Float32Array | Uint32Array | Int32Array, offsetFloats = 0): void {
  gpu.device.queue.writeBuffer(buf, offsetFloats * 4, data.buffer, data.byteOffset, data.byteLength);
}

/** Copy `n` f32 values (from `offset`) back to the CPU. */
export async function readBuffer(gpu: Gpu, buf: GPUBuffer, n: number, offsetFloats = 0): Promise<Float32Array> {
  const size = Math.ceil((n * 4) / 4) * 4;
  const staging = gpu.device.createBuffer({ size, usage: 0x1 | 0x8 /* MAP_READ | COPY_DST */ });
  const enc = gpu.device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, offsetFloats * 4, staging, 0, size);
  gpu.device.queue.submit([enc.finish()]);
  try {
    await gpu.settle(staging.mapAsync(0x1 /* READ */));
  } catch (e) {
    staging.destroy();
    throw e;
  }
  gpu.check();
  const out = new Float32Array(staging.getMappedRange().slice(0, n * 4));
  staging.unmap();
  staging.destroy();
  return out;
}

/** Small uniform buffer of u32/f32 parameters, written as 32-bit words. */
export function uniforms(gpu: Gpu, words: (number | { f32: number })[], label: string): GPUBuffer {
  const data = new ArrayBuffer(Math.max(16, Math.ceil((words.length * 4) / 16) * 16));
  const u = new Uint32Array(data), f = new Float32Array(data);
  words.forEach((w, i) => { if (typeof w === 'number') u[i] = w >>> 0; else f[i] = w.f32; });
  const buf = gpu.device.createBuffer({ size: data.byteLength, usage: 0x40 | 0x8 /* UNIFORM | COPY_DST */, label });
  gpu.device.queue.writeBuffer(buf, 0, data);
  return buf;
}

/**
 * Records compute passes into one command encoder; `submit()` sends them. Uniform buffers made
 * for the recorded dispatches are destroyed after the queue finishes with them.
 */
/** Per-label queue time of dispatches while profiling (bench/profile.ts); null: not profiling. */
export interface DispatchProfile { byLabel: Map<string, { ms: number; n: number }>; last?: number; pending?: Promise<void>; phase?: string }
let dispatchProfile: DispatchProfile | null = null;
/** Tests only (EngineHost.testLoseDeviceInStep): called with each phase named by profilePhase. */
let testPhaseHook: ((phase: string) => void) | null = null;
export function setTestPhaseHook(f: ((phase: string) => void) | null): void { testPhaseHook = f; }
/** Name the phase that following dispatches belong to (labels become "phase: kernel"); no-op unless profiling (or a test hooks it). */
export function profilePhase(phase: string): void {
  testPhaseHook?.(phase);
  if (dispatchProfile) dispatchProfile.phase = phase;
}
/** Start (a fresh profile) or stop (null) profiling every Recorder's dispatches; each is then submitted alone. */
export function profileDispatches(p: DispatchProfile | null): void { dispatchProfile = p; }

export class Recorder {
  private enc: GPUCommandEncoder;
  private temps: GPUBuffer[] = [];
  constructor(private readonly gpu: Gpu) {
    this.enc = gpu.device.createCommandEncoder();
  }
  /** the device's features and limits, for kernels that choose a variant */
  get caps(): GpuCaps { return this.gpu.caps; }
  /** One dispatch: `buffers` bind to @binding(0..n-1) of group 0, `params` to the next binding as a uniform. */
  dispatch(code: string, label: string, buffers: GPUBuffer[], params: (number | { f32: number })[] | null, groups: [number, number?, number?]): void {
    const pipeline = this.gpu.pipeline(code, label);
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
    if (params) {
      const u = uniforms(this.gpu, params, `${label} params`);
      this.temps.push(u);
      entries.push({ binding: buffers.length, resource: { buffer: u } });
    }
    const max = this.gpu.caps.maxComputeWorkgroupsPerDimension;
    const [x, y = 1, z = 1] = groups;
    if (x > max || y > max || z > max) throw new GpuCapacityError(`${label}: dispatch ${x}×${y}×${z} exceeds ${max} workgroups per dimension`);
    const bind = this.gpu.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const pass = this.enc.beginComputePass({ label });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(x, y, z);
    pass.end();
    if (dispatchProfile) this.profiled(label);
  }
  /** Profiling (dispatchProfile set): submit this dispatch alone and charge the queue's time to its label. */
  private profiled(label: string): void {
    const p = dispatchProfile!, key = `${p.phase ? `${p.phase}: ` : ''}${label.replace(/ \d+$/, '')}`;
    this.submit();
    const done = this.gpu.device.queue.onSubmittedWorkDone(), submitted = performance.now();
    p.pending = (p.pending ?? Promise.resolve()).then(() => done).then(() => {
      const now = performance.now(), e = p.byLabel.get(key) ?? { ms: 0, n: 0 };
      e.ms += now - Math.max(p.last ?? submitted, submitted); e.n++; p.last = now;
      p.byLabel.set(key, e);
    });
  }
  copy(src: GPUBuffer, srcOffsetFloats: number, dst: GPUBuffer, dstOffsetFloats: number, nFloats: number): void {
    this.enc.copyBufferToBuffer(src, srcOffsetFloats * 4, dst, dstOffsetFloats * 4, nFloats * 4);
  }
  submit(): void {
    this.gpu.device.queue.submit([this.enc.finish()]);
    const temps = this.temps;
    this.temps = [];
    this.enc = this.gpu.device.createCommandEncoder();
    void this.gpu.device.queue.onSubmittedWorkDone().then(() => temps.forEach((b) => b.destroy()));
  }
}
