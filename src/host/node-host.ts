// The engine host in this Node process, on Node's own WebGPU (npm `webgpu`, Dawn): for machines
// with a real GPU driver (Dawn's Node binding aborts on SwiftShader, so it is not used without
// one). The verifier pool is Node's worker threads; runs live under `storeRoot`. It serves one
// model, the `source` it was opened with, whatever ModelRef a call names. Node only.

import { UsageError } from '../errors.ts';
import { acquireGpu } from '../gpu/device.ts';
import type { ModelSource } from '../model/source.ts';
import { createNodePool } from '../verifier/pool-node.ts';
import { RemoteVerifier } from '../verifier/remote.ts';
import { createEngineHost } from './engine-host.ts';
import type { PageHost } from './page-transport.ts';
import { fsFiles } from './run-store-fs.ts';
import { RunStore } from './run-store.ts';

export async function openNodeHost(source: ModelSource, storeRoot: string): Promise<PageHost> {
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch {
    throw new UsageError('--runtime node needs the npm package "webgpu" (Dawn for Node); install it, or use --runtime chromium');
  }
  const gpuApi = webgpu.create([]) as unknown as GPU;
  const host = createEngineHost({
    acquireGpu: () => acquireGpu(gpuApi),
    openPool: (o) => createNodePool({ ...(o.size ? { size: o.size } : {}), ...(o.remote ? { remote: new RemoteVerifier(o.remote) } : {}) }),
    source: () => source,
    store: new RunStore(fsFiles(storeRoot), storeRoot),
  });
  return { host, model: { kind: 'hub', id: source.name }, close: async () => { await host.trainClose(); } };
}
