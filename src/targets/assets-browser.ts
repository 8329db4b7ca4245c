// Target assets in browsers: URLs of the files the build emits for every asset in the registry
// (the `evom-target-assets` plugin in vite.config.ts writes this virtual module).

import urls from 'virtual:evom-target-assets';
import type { AssetLoader } from './target.ts';
import { SetupError } from '../errors.ts';

export const browserAssets: AssetLoader = async (ref) => {
  const url = urls[`${ref.package}/${ref.file}`];
  if (!url) throw new SetupError(`the build has no asset ${ref.package}/${ref.file}: rebuild with the target registered (npm run build)`);
  const res = await fetch(url);
  if (!res.ok) throw new SetupError(`could not load ${url}: HTTP ${res.status}`);
  return res.arrayBuffer();
};
