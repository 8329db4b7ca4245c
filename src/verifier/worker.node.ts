// Verifier worker for Node (worker_threads), spawned by src/verifier/pool-node.ts.
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createVerifierApi } from './worker-api.ts';
import { nodeSolverAssets } from '../targets/assets-node.ts';

if (!parentPort) throw new Error('verifier.node.ts must run as a worker thread');
Comlink.expose(createVerifierApi(nodeSolverAssets), nodeEndpoint(parentPort));
