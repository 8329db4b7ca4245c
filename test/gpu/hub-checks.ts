// Runs in the Chromium page: load a model from a Hub stand-in through the browser caches (OPFS or
// the Cache API) and decode greedily.
import { acquireGpu } from '../../src/gpu/device.ts';
import { Engine } from '../../src/gpu/engine.ts';
import { generate } from '../../src/gpu/sampling.ts';
import { cacheApiCache, hubSource, opfsCache } from '../../src/model/hub.ts';
import { fileListSource } from '../../src/model/source.ts';

export async function greedyFromHub(baseUrl: string, repo: string, cacheKind: 'opfs' | 'cache-api', prompt: number[]): Promise<{ ids: number[]; phases: string[] }> {
  const phases: string[] = [];
  const cache = cacheKind === 'opfs' ? opfsCache('evom-test') : cacheApiCache('evom-test');
  const source = hubSource(repo, { baseUrl, cache, onProgress: (p) => { if (p.phase === 'cached' || p.phase === 'done') phases.push(`${p.file}:${p.phase}`); } });
  const gpu = await acquireGpu();
  const engine = await Engine.fromSource(gpu, source, { maxBatch: 1, maxContext: 32 });
  try {
    const [c] = await generate(engine, prompt, { n: 1, temperature: 0, maxNewTokens: 4 });
    return { ids: c!.ids, phases };
  } finally {
    engine.destroy();
  }
}

/** Files chosen in an `<input type="file" webkitdirectory>` of the page → the engine. */
export async function greedyFromPicker(selector: string, prompt: number[]): Promise<{ ids: number[]; files: string[] }> {
  const input = document.querySelector(selector) as HTMLInputElement;
  const source = fileListSource(input.files!, 'picked folder');
  const gpu = await acquireGpu();
  const engine = await Engine.fromSource(gpu, source, { maxBatch: 1, maxContext: 32 });
  try {
    const [c] = await generate(engine, prompt, { n: 1, temperature: 0, maxNewTokens: 4 });
    return { ids: c!.ids, files: await source.list!() };
  } finally {
    engine.destroy();
  }
}
