// The run store (src/host/run-store.ts): one layout and one contract on both backends, the file
// system (Node) and OPFS (headless Chromium), checked by the same function (test/run-store-checks.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsFiles } from '../src/host/run-store-fs.ts';
import { runStoreReport } from './run-store-checks.ts';
import { gpuPage } from './browser.ts';

function expectContract(r: Record<string, unknown>) {
  expect(r.listed).toEqual(['r1']);
  expect(r.duplicate).toMatchObject({ code: 'run_exists' });
  expect(r.missing).toMatchObject({ code: 'run_not_found' });
  expect(r.noCheckpoint).toBeNull();
  expect(r.noAdapter).toMatchObject({ code: 'no_checkpoint' });
  expect(r.startAdapterSame).toBe(true);
  expect(r.dataBack).toEqual(['a', 'b']);
  expect(r.firstCheckpoint).toBe('step-000001');
  expect(r.back).toEqual({ step: 2, position: 6, optimizerStep: 4, config: true, weights: true, moments: true, momentCount: 2 });
  expect(r.truncated).toMatchObject({ step: 2 });
  expect(r.metricsAfter).toEqual([1, 2]);
  expect(r.finished).toBe(true);
  expect(r.exportedFiles).toEqual([
    'adapter/adapter_config.json', 'adapter/adapter_model.safetensors',
    'checkpoints/latest',
    'checkpoints/step-000001/adapter_config.json', 'checkpoints/step-000001/adapter_model.safetensors', 'checkpoints/step-000001/optimizer.safetensors', 'checkpoints/step-000001/trainer.json',
    'checkpoints/step-000002/adapter_config.json', 'checkpoints/step-000002/adapter_model.safetensors', 'checkpoints/step-000002/optimizer.safetensors', 'checkpoints/step-000002/trainer.json',
    'checkpoints/step-000003/adapter_config.json',
    'data.json', 'metrics.jsonl', 'run.json',
    'start-adapter/adapter_config.json', 'start-adapter/adapter_model.safetensors',
  ]);
  expect(r.importedId).toBe('r2');
  expect(r.roundTrip).toBe(true);
  expect(r.importBad).toMatchObject({ code: 'data', message: expect.stringMatching(/no run\.json/) });
  expect(r.importEscape).toMatchObject({ code: 'data', message: expect.stringMatching(/bad file name/) });
  expect(r.importOld).toMatchObject({ code: 'data', message: expect.stringMatching(/not a run of this version/) });
  expect(r.oldLayout).toMatchObject({ code: 'data', message: expect.stringMatching(/not a run of this version/) });
  expect(r.badMetrics).toMatchObject({ code: 'data', message: expect.stringMatching(/metrics\.jsonl:2: not JSON/) });
  // a run of an older layout is still listed (so it can be deleted), but does not open
  expect(r.afterDelete).toEqual(['old', 'r1']);
}

describe('run store', () => {
  it('file system backend', async () => {
    const root = mkdtempSync(join(tmpdir(), 'evom-runs-'));
    expectContract(await runStoreReport(fsFiles(root)));
    // whole-file writes leave no temporary files behind
    const all = readdirSync(root, { recursive: true }) as string[];
    expect(all.filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  describe('OPFS backend', () => {
    let env: Awaited<ReturnType<typeof gpuPage>>;
    beforeAll(async () => { env = await gpuPage(); }, 120_000);
    afterAll(async () => { await env?.close(); });
    it('the same contract in Chromium', async () => {
      const r = await env.page.evaluate(`Promise.all([import('/test/run-store-checks.ts'), import('/src/host/run-store-opfs.ts')]).then(([c, o]) => c.runStoreReport(o.opfsFiles(['evom-test-runs'])))`);
      expectContract(r as Record<string, unknown>);
    }, 120_000);
  });
});
