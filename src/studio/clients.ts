// The page's handles on its workers: the engine worker (WebGPU engine, trainer, verifier pool) and
// the problems worker (generator, benchmark parsing). Both are comlink proxies; nothing heavy runs
// on the page's thread.
import * as Comlink from 'comlink';
import type { StudioEngineApi } from '../studio-engine.ts';
import type { ProblemsApi } from '../../workers/problems.browser.ts';

let engine: Comlink.Remote<StudioEngineApi> | null = null;
let problems: Comlink.Remote<ProblemsApi> | null = null;

export function engineWorker(): Comlink.Remote<StudioEngineApi> {
  engine ??= Comlink.wrap<StudioEngineApi>(new Worker(new URL('../../workers/engine.browser.ts', import.meta.url), { type: 'module', name: 'evom-engine' }));
  return engine;
}

export function problemsWorker(): Comlink.Remote<ProblemsApi> {
  problems ??= Comlink.wrap<ProblemsApi>(new Worker(new URL('../../workers/problems.browser.ts', import.meta.url), { type: 'module', name: 'evom-problems' }));
  return problems;
}

export const proxy = Comlink.proxy;
