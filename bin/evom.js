#!/usr/bin/env node
// Entry point of `npx evom`: runs the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
// `evom prompt … | head`: a closed pipe ends the command quietly
process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); throw e; });
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
