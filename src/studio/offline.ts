/// <reference types="vite-plugin-pwa/vanillajs" />
// Offline use after the first visit: registers the Workbox service worker that `vite build`
// generates (vite.config.ts, vite-plugin-pwa) and reports where the Studio stands. The worker
// precaches the pages, bundle, module workers, wasm solvers, built-in model, configs and bundled
// benchmarks; models downloaded from the Hugging Face Hub are cached separately in OPFS (src/model/hub.ts).

import { registerSW } from 'virtual:pwa-register';

/** True under the Vite dev server, false in builds (vite.config.ts defines it). */
declare const __EVOM_DEV_SERVER__: boolean;

export interface OfflineState {
  /** A service worker can be registered here (a built app, in a browser that has them). */
  supported: boolean;
  /** The app is cached: the Studio opens without the network. */
  ready: boolean;
  /** One sentence for the page. */
  message: string;
}

const NO_NETWORK_SUFFIX = 'the Studio needs the network on every visit';

export const OFFLINE_MESSAGES = {
  dev: 'Offline use is off under the development server: build the app (npm run build) and serve dist/ to get it',
  noServiceWorker: `This browser has no service workers: ${NO_NETWORK_SUFFIX}`,
  insecure: `Offline use needs HTTPS (or localhost): ${NO_NETWORK_SUFFIX}`,
  caching: 'Caching the app for offline use…',
  ready: 'Available offline',
  updated: 'A new version of the Studio is cached: reload the page to use it',
} as const;

/**
 * Register the service worker and report its state: the returned state is the one at registration
 * (`ready` when a previous visit already cached the app); `onState` also receives every later change
 * (caching finished, caching failed, an update is ready). A no-op with `supported: false` under the
 * Vite dev server and in browsers (or insecure pages) without service workers.
 */
export async function registerOffline(onState?: (s: OfflineState) => void): Promise<OfflineState> {
  let current: OfflineState | undefined;
  const emit = (s: OfflineState): OfflineState => { current = s; onState?.(s); return s; };

  // Under the dev server `virtual:pwa-register` is a stub that never calls back. (Not
  // import.meta.env.DEV: it follows NODE_ENV, which is 'test' for builds made inside Vitest.)
  const devServer = typeof __EVOM_DEV_SERVER__ === 'undefined' || __EVOM_DEV_SERVER__;
  if (devServer) return emit({ supported: false, ready: false, message: OFFLINE_MESSAGES.dev });
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator) || !navigator.serviceWorker) {
    const insecure = typeof window !== 'undefined' && window.isSecureContext === false;
    return emit({ supported: false, ready: false, message: insecure ? OFFLINE_MESSAGES.insecure : OFFLINE_MESSAGES.noServiceWorker });
  }

  const unavailable = (why: unknown): OfflineState =>
    ({ supported: true, ready: false, message: `Offline use is unavailable (${why instanceof Error ? why.message : String(why)}): ${NO_NETWORK_SUFFIX}` });

  // The first state to resolve with: set once registration settles.
  let settle!: (s: OfflineState) => void;
  const registered = new Promise<OfflineState>((resolve) => { settle = resolve; });

  /** Caching is done when a worker is active: it only activates after its whole precache is stored. */
  const watch = (reg: ServiceWorkerRegistration): OfflineState => {
    const installing = reg.installing ?? reg.waiting;
    if (installing) {
      installing.addEventListener('statechange', () => {
        // An install fails as a whole when one file does not download; the next visit retries.
        if (installing.state === 'redundant' && !reg.active) emit(unavailable('a file could not be cached; the next visit tries again'));
      });
    }
    if (reg.active) return { supported: true, ready: true, message: OFFLINE_MESSAGES.ready };
    return { supported: true, ready: false, message: OFFLINE_MESSAGES.caching };
  };

  registerSW({
    // Registration waits for the page's load event, so the first visit renders before caching starts.
    immediate: false,
    onOfflineReady: () => emit({ supported: true, ready: true, message: OFFLINE_MESSAGES.ready }),
    // A newer worker took over (autoUpdate): say so instead of reloading, which would drop a
    // training run in progress.
    onNeedReload: () => emit({ supported: true, ready: true, message: OFFLINE_MESSAGES.updated }),
    onRegisteredSW: (_url, reg) => {
      if (!reg) return settle(emit(unavailable('no registration')));
      const s = watch(reg);
      // onOfflineReady may already have reported `ready`: never step back to "caching".
      settle(current?.ready ? current : emit(s));
    },
    onRegisterError: (e) => settle(emit(unavailable(e))),
  });
  return registered;
}
