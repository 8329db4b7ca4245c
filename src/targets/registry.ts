// Every target EVOM knows, in one list (Ratchet's registry.rs, verl's reward-manager registry).
// Adding a target: a folder src/targets/<name>/ whose index.ts exports a TargetModule, and one line
// below. The CLI's target list, the prompts, the generator's gold models, the verifier pool's
// runners, the browser bundle's assets and the sandbox server's target list all come from here.
//
// A deployment can add targets without editing this file: EVOM_TARGETS=/path/a.ts,/path/b.ts (Node
// only) names modules whose default export is a TargetModule; the CLI and every verifier worker
// load them at start (loadTargetPlugins).

import { UnknownTargetError, UsageError } from '../errors.ts';
import { glpk } from './glpk/index.ts';
import { glpkJson } from './glpk-json/index.ts';
import { highs } from './highs/index.ts';
import { MINIZINC_TARGETS } from './minizinc/index.ts';
import { pulp } from './pulp/index.ts';
import { PYTHON_TARGETS } from './python/index.ts';
import type { TargetModule } from './target.ts';

const registry = new Map<string, TargetModule>();

/** Add a target; its name must be new. Returns a function that removes it again. */
export function registerTarget(t: TargetModule): () => void {
  if (!/^[a-z][a-z0-9-]*$/.test(t.name)) throw new UsageError(`a target name is lower-case letters, digits and '-', starting with a letter; got "${t.name}"`);
  if (registry.has(t.name)) throw new UsageError(`target "${t.name}" is already registered`);
  if (t.runs === 'worker' && !t.createRunner) throw new UsageError(`target "${t.name}" runs in the verifier pool but has no createRunner`);
  registry.set(t.name, t);
  return () => { if (registry.get(t.name) === t) registry.delete(t.name); };
}

for (const t of [highs, glpk, glpkJson, ...MINIZINC_TARGETS, pulp, ...PYTHON_TARGETS]) registerTarget(t);

export function allTargets(): TargetModule[] {
  return [...registry.values()];
}

export function targetModule(name: string): TargetModule | undefined {
  return registry.get(name);
}

/** The target called `name`, or a typed error listing the known ones. */
export function requireTarget(name: string): TargetModule {
  const t = registry.get(name);
  if (!t) throw new UnknownTargetError(name, [...registry.keys()]);
  return t;
}

/** Targets whose runner is in this process's verifier pool (wasm, in browsers and in Node). */
export function workerTargetNames(): string[] {
  return allTargets().filter((t) => t.runs === 'worker').map((t) => t.name);
}

/** Targets that run on a sandbox server (pulp too: the server runs it with its own Python). */
export function sandboxTargetNames(): string[] {
  return allTargets().filter((t) => t.runs === 'sandbox' || t.serverNative).map((t) => t.name);
}

/** Whether a job for `name` goes to the sandbox servers: a sandbox target, or one the server runs
 *  natively when servers are configured. */
export function runsRemotely(name: string, haveServer: boolean): boolean {
  const t = registry.get(name);
  return t?.runs !== 'worker' || (haveServer && t.serverNative === true);
}

const loadedPlugins = new Set<string>();

/** Register the target modules named in EVOM_TARGETS (comma-separated paths; Node only). Idempotent. */
export async function loadTargetPlugins(spec: string | undefined = globalThis.process?.env?.EVOM_TARGETS): Promise<void> {
  for (const path of (spec ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (loadedPlugins.has(path)) continue;
    const { pathToFileURL } = await import('node:url');
    let mod: { default?: TargetModule };
    try {
      mod = await import(/* @vite-ignore */ pathToFileURL(path).href) as { default?: TargetModule };
    } catch (e) {
      throw new UsageError(`EVOM_TARGETS: cannot load ${path}: ${(e as Error).message}`);
    }
    if (!mod.default || typeof mod.default.name !== 'string') throw new UsageError(`EVOM_TARGETS: ${path} has no default export that is a TargetModule`);
    registerTarget(mod.default);
    loadedPlugins.add(path);
  }
}
