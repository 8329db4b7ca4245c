// Target assets in Node: files of installed npm packages, found the way Node resolves packages
// (node_modules of this folder and its parents).

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AssetLoader, AssetRef } from './target.ts';
import { SetupError } from '../errors.ts';

const require = createRequire(import.meta.url);

/** Absolute path of an asset; throws naming the package when it is not installed. */
export function assetPath(ref: AssetRef): string {
  for (const dir of require.resolve.paths(ref.package) ?? []) {
    const p = join(dir, ref.package, ref.file);
    if (existsSync(p)) return p;
  }
  throw new SetupError(`${ref.file} of the npm package "${ref.package}" is not installed (npm ci installs it)`);
}

export const nodeAssets: AssetLoader = (ref) => readFile(assetPath(ref));
