// Where a browser place finds a model's files (ModelRef → ModelSource): the built-in policies under
// the app's base, Hub models (cached in the browser when asked), files the user picked. Used by the
// engine worker and the page host, and by the Studio's page for tokenizers (the Playground), so it
// holds no engine code.
import type { DownloadProgress } from '../model/hub.ts';
import { defaultBrowserCache, hubSource } from '../model/hub.ts';
import { BUILTIN_FILES, BUILTIN_POLICIES, isBuiltinPolicy } from '../model/builtin.ts';
import { fileListSource, urlSource, type ModelSource } from '../model/source.ts';
import { UsageError } from '../errors.ts';
import type { ModelRef } from './engine-host.ts';

/** A browser place's model files: the built-in one under the ref's base (else `base`), Hub models (cached in `cache`), picked files.
 *  `tokenAdvice`: how this place's user gives a Hub token (HubAuthError's advice). */
export function browserSource(base: string, cache: boolean, tokenAdvice?: string) {
  return (m: ModelRef, onProgress?: (p: DownloadProgress) => void, signal?: AbortSignal): ModelSource => {
    if (m.kind === 'builtin') {
      const id = m.id ?? 'evom-tiny';
      if (!isBuiltinPolicy(id)) throw new UsageError(`no built-in policy "${String(id)}" (there are ${BUILTIN_POLICIES.join(', ')})`);
      return urlSource(new URL(`models/${id}`, m.base ?? base).href, `built-in ${id}`, BUILTIN_FILES);
    }
    if (m.kind === 'hub') {
      return hubSource(m.id, {
        cache: cache ? defaultBrowserCache() : null, ...(m.hubUrl ? { baseUrl: m.hubUrl } : {}), ...(onProgress ? { onProgress } : {}),
        ...(m.token ? { token: m.token } : {}), ...(tokenAdvice ? { tokenAdvice } : {}), ...(signal ? { signal } : {}),
      });
    }
    return fileListSource(m.files, 'local files');
  };
}
