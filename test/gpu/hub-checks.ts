// Runs in the Chromium page: load a model from a Hub stand-in through the browser caches (OPFS or
// the Cache API) and decode greedily.
import { acquireGpu } from '../../src/gpu.ts';
import { Engine } from '../../src/engine.ts';
import { generate } from '../../src/generate.ts';
import { cacheApiCache, hubSource, opfsCache } from '../../src/hub.ts';

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
