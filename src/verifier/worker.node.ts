// Verifier worker for Node (worker_threads), spawned by src/verifier/pool-node.ts.
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createVerifierApi } from './worker-api.ts';
import { nodeAssets } from '../targets/assets-node.ts';
import { loadTargetPlugins } from '../targets/registry.ts';

if (!parentPort) throw new Error('worker.node.ts must run as a worker thread');
await loadTargetPlugins();
Comlink.expose(createVerifierApi(nodeAssets), nodeEndpoint(parentPort));
