// Targets: the in-browser solvers, and remote targets through a sandbox server (URL and token; the
// token stays in this browser's localStorage, never in links or exports).
import { useEffect, useState } from 'preact/hooks';
import { RemoteVerifier, type RemoteTargetInfo } from '../verifier/remote.ts';
import { TOLERANCE_DESCRIPTIONS, TOLERANCE_RULES, type ToleranceRule } from '../verifier/tolerance.ts';
import { useStudio } from './app.ts';
import { serverToken } from './state.ts';
import { UsageError } from '../errors.ts';
import { allTargets } from '../targets/registry.ts';
import { cacheTargetOffline, targetCachedOffline } from './target-offline.ts';
import { DEFAULTS } from '../verifier/config.ts';
import { preparePyodide, targetUsesPyodide } from '../verifier/pyodide-link.ts';
import { isUnreachable, unreachableMessage } from './messages.ts';
import { ScrollRegion } from './scroll-region.tsx';

/** The in-browser targets, from the registry: [name, label] */
export const IN_BROWSER: readonly (readonly [string, string])[] = allTargets().filter((t) => t.runs === 'worker').map((t) => [t.name, `${t.name} — ${t.language}, in this browser (wasm)`] as const);

/** In-browser targets whose files the service worker caches on first use, not at install (vite.config.ts
 *  runtimeCaching): MiniZinc's 18 MB wasm, over the precache's size limit; pulp's Python (Pyodide:
 *  a 9.6 MB wasm, a 2.5 MB standard library), which a visit that never runs Python should not download. */
const CACHED_ON_USE: readonly (readonly [RegExp, string])[] = [[/^minizinc/, 'solver (about 19 MB)'], [/^pulp$/, 'Python (Pyodide, about 14 MB)']];

function OfflineTarget({ target }: { target: string }) {
  const s = useStudio();
  const [cached, setCached] = useState<boolean | null>(null);
  useEffect(() => { void targetCachedOffline(target).then(setCached); }, [target]);
  const what = CACHED_ON_USE.find(([re]) => re.test(target))?.[1];
  if (!what) return null;
  const make = () => s.job(`Caching ${target} for offline use`, async () => {
    const bytes = await cacheTargetOffline(target);
    const ok = await targetCachedOffline(target);
    setCached(ok);
    if (!ok) throw new UsageError(`fetched ${(bytes / 1048576).toFixed(1)} MB, but the files are not in the offline cache: offline use needs the built app (npm run build) served over HTTPS or localhost`);
  });
  return (
    <p id="target-offline" class="help">
      {cached ? `${target} is available offline.` : `${target}'s ${what} is cached the first time it solves.`}{' '}
      {!cached && <button type="button" id="make-offline" disabled={!!s.busy} onClick={make}>Make available offline</button>}
    </p>
  );
}

/** What went wrong talking to a sandbox server, in words a user can act on. */
export function serverProblem(url: string, reason: string): string {
  if (/token rejected|HTTP 401|HTTP 403/.test(reason)) return `The sandbox server at ${url} rejected the token. Check the token with whoever runs the server (evom serve --tokens FILE).`;
  if (isUnreachable(reason) || /fetch/i.test(reason)) return unreachableMessage('the sandbox server', url, { start: 'npx evom serve', cors: 'its cors_origins setting' });
  return `The sandbox server at ${url} answered with an error: ${reason}`;
}

export function TargetsPanel() {
  const s = useStudio();
  const [token, setToken] = useState(serverToken.get());
  const [remoteTargets, setRemoteTargets] = useState<RemoteTargetInfo[] | null>(null);
  const check = () => s.job('Asking the sandbox server for its targets', async () => {
    const url = s.form.remoteUrl;
    if (!/^https?:\/\//.test(url)) throw new UsageError(`"${url}" is not a server address (http://host:port)`);
    const all = await new RemoteVerifier({ urls: [url], token }).targets();
    const failed = all.find((t) => t.name === '*');
    if (failed) { setRemoteTargets(null); throw new UsageError(serverProblem(url, failed.reason ?? '')); }
    setRemoteTargets(all);
  });
  const inBrowser = IN_BROWSER.some(([t]) => t === s.form.target);
  // a target run in the page's Python isolates (pulp): its first interpreter is prepared once it is
  // chosen, so that the first evaluation's runs do not spend their wall clock loading Python (with a
  // sandbox server set, the server runs it: nothing to prepare)
  const local = targetUsesPyodide(s.form.target) && !s.form.remoteUrl;
  useEffect(() => { if (local) void preparePyodide(DEFAULTS); }, [s.form.target, local]);
  return (
    <div>
      <fieldset>
        <legend>Target: the solver that checks the policy's models</legend>
        <label>Target <select id="target" value={s.form.target} onChange={(e) => s.update({ target: (e.target as HTMLSelectElement).value, settings: { ...s.form.settings, target: (e.target as HTMLSelectElement).value } })}>
          {IN_BROWSER.map(([v, l]) => <option value={v}>{l}</option>)}
          {(remoteTargets ?? []).filter((t) => t.available).map((t) => <option value={t.name}>{t.name} — Python on the sandbox server{t.version ? ` (${t.version})` : ''}</option>)}
          {!inBrowser && !(remoteTargets ?? []).some((t) => t.name === s.form.target) && <option value={s.form.target}>{s.form.target} — on the sandbox server</option>}
        </select></label>
        {inBrowser && <OfflineTarget target={s.form.target} />}
        <label>Tolerance <select id="tolerance" value={s.form.tolerance} onChange={(e) => { const t = (e.target as HTMLSelectElement).value as ToleranceRule; s.update({ tolerance: t, settings: { ...s.form.settings, tolerance: t } }); }}>
          {TOLERANCE_RULES.map((r) => <option value={r}>{r} — {TOLERANCE_DESCRIPTIONS[r]}</option>)}
        </select></label>
      </fieldset>
      <fieldset>
        <legend>Sandbox server (remote targets: PuLP, SciPy, OR-Tools, Gurobi, COPT)</legend>
        <div class="row">
          <label>Server address <input id="server-url" type="url" size={30} placeholder="http://127.0.0.1:8787" value={s.form.remoteUrl} onInput={(e) => s.update({ remoteUrl: (e.target as HTMLInputElement).value.trim() })} /></label>
          <label>Token <input id="server-token" type="password" autocomplete="off" size={24} value={token} onInput={(e) => { const t = (e.target as HTMLInputElement).value; setToken(t); serverToken.set(t); }} /></label>
          <button type="button" id="check-server" disabled={!!s.busy || !s.form.remoteUrl} onClick={check}>Connect</button>
        </div>
        <p class="help">The token is kept only in this browser (never in share links, run cards or exports). Start a server with <code>npx evom serve --tokens FILE</code>.</p>
        {remoteTargets && (
          <ScrollRegion label="Targets on the sandbox server (table)"><table id="server-targets">
            <caption>Targets on {s.form.remoteUrl}</caption>
            <thead><tr><th scope="col">Target</th><th scope="col">Available</th><th scope="col">Version or reason</th></tr></thead>
            <tbody>{remoteTargets.map((t) => <tr><td>{t.name}</td><td>{t.available ? 'yes' : 'no'}</td><td>{t.version ?? t.reason ?? ''}</td></tr>)}</tbody>
          </table></ScrollRegion>
        )}
      </fieldset>
    </div>
  );
}
