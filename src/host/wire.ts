// Values across a page boundary that carries JSON only (Playwright's page.evaluate and exposed
// functions): typed arrays become {"__typed": name, "b64": …}, and functions passed as callbacks
// become {"__callback": id} for the other side to call back through. Comlink (worker boundaries)
// needs none of this: structured clone carries typed arrays, and Comlink.proxy carries callbacks.
// A typed error (EvomError) crosses as {"__error": {name, code, message, …its fields}}.

import { EvomError } from '../errors.ts';

type Typed = Uint8Array | Float32Array;
const TYPED = { Uint8Array, Float32Array } as const;

function b64(u: Uint8Array): string {
  let s = '';
  for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
  return btoa(s);
}
const unb64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** `onFunction` names a function argument (returns its callback id); without it functions are an error. */
export function toWire(v: unknown, onFunction?: (f: (...a: unknown[]) => unknown) => number): unknown {
  if (v instanceof Uint8Array || v instanceof Float32Array) {
    return { __typed: v.constructor.name, b64: b64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  }
  if (typeof v === 'function') {
    if (!onFunction) throw new TypeError('a function cannot cross this boundary');
    return { __callback: onFunction(v as (...a: unknown[]) => unknown) };
  }
  if (Array.isArray(v)) return v.map((x) => toWire(x, onFunction));
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = toWire(x, onFunction);
    return o;
  }
  return v;
}

/** The inverse of toWire; `callback(id)` builds the function for a callback id. */
export function fromWire(v: unknown, callback?: (id: number) => (...a: unknown[]) => unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => fromWire(x, callback));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.__typed === 'string' && typeof o.b64 === 'string') {
      const bytes = unb64(o.b64);
      const T = TYPED[o.__typed as keyof typeof TYPED];
      if (!T) throw new TypeError(`unknown typed array ${o.__typed}`);
      return T === Uint8Array ? bytes : new Float32Array(bytes.buffer as ArrayBuffer, 0, bytes.byteLength / 4) as Typed;
    }
    if (typeof o.__callback === 'number') {
      if (!callback) throw new TypeError('a callback cannot cross this boundary');
      return callback(o.__callback);
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = fromWire(x, callback);
    return out;
  }
  return v;
}

/** An EvomError as a result ({"__error": …}): its name, code and message cross, and its own fields. */
export function errorToWire(e: EvomError): { __error: Record<string, unknown> } {
  return { __error: { ...toWire({ ...e }) as Record<string, unknown>, name: e.name, code: e.code, message: e.message } };
}

/** The EvomError a result carries (its class is EvomError, its name the original's), or null. */
export function errorFromWire(v: unknown): EvomError | null {
  const w = v && typeof v === 'object' ? (v as { __error?: Record<string, unknown> }).__error : undefined;
  if (!w || typeof w.message !== 'string' || typeof w.code !== 'string') return null;
  const { message, code, ...rest } = w;
  return Object.assign(new EvomError(message, code), fromWire(rest));
}
