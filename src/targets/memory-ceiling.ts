// A per-run ceiling on WebAssembly memory growth, inside a worker.
// worker_threads' resourceLimits do not cap wasm memory (GUIDE §3), so we wrap
// WebAssembly.Memory.prototype.grow: Emscripten's heap-resize catches the throw and
// malloc returns NULL, so the solver fails (abort) instead of taking the machine down.
// Memory a run holds outside wasm memory (files it wrote to an in-memory filesystem: JS typed
// arrays) counts against the same ceiling: wasm bytes + outside bytes <= ceiling.

let ceilingBytes = Infinity;
/** bytes the current run holds outside wasm memory (setOutsideBytes), counted against the ceiling */
let outsideBytes = 0;
let hits = 0;
let installed = false;

export function installMemoryCeiling(): void {
  if (installed) return;
  installed = true;
  const proto = WebAssembly.Memory.prototype;
  const grow = proto.grow;
  proto.grow = function (this: WebAssembly.Memory, deltaPages: number): number {
    const next = this.buffer.byteLength + deltaPages * 65536;
    if (next + outsideBytes > ceilingBytes) {
      hits++;
      throw new RangeError(`wasm memory ceiling of ${Math.round(ceilingBytes / 1048576)} MiB reached`);
    }
    return grow.call(this, deltaPages);
  };
}

/** Set the ceiling (bytes) for the runs that follow. */
export function setMemoryCeiling(bytes: number): void {
  ceilingBytes = bytes;
}

/** Bytes the current run holds outside wasm memory (e.g. file data); 0 between runs. */
export function setOutsideBytes(bytes: number): void {
  outsideBytes = bytes;
}

/** Number of refused grow calls so far; compare before and after a run. */
export function memoryCeilingHits(): number {
  return hits;
}
