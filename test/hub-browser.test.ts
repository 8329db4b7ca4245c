// The Hub loader in Chromium: download with the browser caches (OPFS, Cache API), then reload
// with the network off and load the model from the cache alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { callInPage, gpuPage } from './browser.ts';
import { startHubServer, type HubServer } from './hub-server.ts';

let env: Awaited<ReturnType<typeof gpuPage>>;
let hub: HubServer;
const MODELS = join(import.meta.dirname, 'fixtures', 'models');
beforeAll(async () => {
  env = await gpuPage();
  hub = await startHubServer({ 'evom/tiny-llama': join(MODELS, 'tiny-llama') });
}, 120_000);
afterAll(async () => { await env?.close(); await hub?.close(); });

describe('Hub loading in the browser', () => {
  for (const kind of ['opfs', 'cache-api'] as const) {
    it(`${kind}: downloads once, then loads offline from the cache`, async () => {
      const before = hub.requests.length;
      const online = await callInPage<{ ids: number[]; phases: string[] }>(env.page, '/test/gpu/hub-checks.ts', 'greedyFromHub', hub.base, 'evom/tiny-llama', kind, [1, 307, 42]);
      expect(hub.requests.length).toBeGreaterThan(before);
      expect(online.phases).toContain('model.safetensors:done');
      expect(online.ids).toEqual([784, 817, 396, 622]); // the greedy continuation `evom generate` gives for these ids
      const after = hub.requests.length;
      await env.page.context().setOffline(true);
      try {
        const offline = await callInPage<{ ids: number[]; phases: string[] }>(env.page, '/test/gpu/hub-checks.ts', 'greedyFromHub', hub.base, 'evom/tiny-llama', kind, [1, 307, 42]);
        expect(offline.ids).toEqual(online.ids);
        expect(offline.phases).toContain('model.safetensors:cached');
        expect(hub.requests.length).toBe(after);
      } finally {
        await env.page.context().setOffline(false);
      }
    }, 120_000);
  }
});

describe('local files in the browser', () => {
  it('loads a model folder chosen with a directory picker', async () => {
    await env.page.evaluate(() => {
      const input = document.createElement('input');
      input.type = 'file';
      input.id = 'picker';
      input.webkitdirectory = true;
      document.body.append(input);
    });
    await env.page.setInputFiles('#picker', join(MODELS, 'tiny-llama'));
    const r = await callInPage<{ ids: number[]; files: string[] }>(env.page, '/test/gpu/hub-checks.ts', 'greedyFromPicker', '#picker', [1, 307, 42]);
    expect(r.files).toEqual(['config.json', 'generation_config.json', 'model.safetensors']);
    expect(r.ids).toEqual([784, 817, 396, 622]);
  }, 120_000);
});
