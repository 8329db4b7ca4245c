// `evom serve`: load the configuration, tokens and classes (with their stored runs), check the
// sandbox, discover the Python targets, serve until SIGTERM/SIGINT, then drain. The in-browser
// targets (highs, glpk, glpk-json) run in a worker pool of the same code and WebAssembly as the
// browser's, so a result on the server means what it means in the page.

import { loadServerConfig, loadTokens, type ServerConfig } from './config.ts';
import { ClassStore } from './class-store.ts';
import { startSandboxServer, jsonLog, type SandboxRunner, type SandboxServer } from './http.ts';
import { checkSandbox, defaultSandboxConfig, discoverTargets, prewarmSandboxes, runPython, runSandboxed, type SandboxConfig } from './sandbox/sandbox.ts';
import { EvomError } from '../src/errors.ts';
import { checkedRun } from '../src/targets/python/check-export.ts';
import { closeExportChecks, poolResolver } from './sandbox/resolver.ts';
import { allTargets, targetModule } from '../src/targets/registry.ts';
import { createNodePool } from '../src/verifier/pool-node.ts';
import type { VerifierPool } from '../src/verifier/pool.ts';

export function sandboxConfigFrom(cfg: ServerConfig): SandboxConfig {
  const d = defaultSandboxConfig();
  return {
    ...d,
    python: cfg.python ?? d.python,
    pythonPath: cfg.python_path.length ? cfg.python_path : d.pythonPath,
    readOnlyPaths: [...d.readOnlyPaths, ...cfg.read_only_paths],
  };
}

/** The real runner: bubblewrap + cgroups around the Python harness (server/sandbox/sandbox.ts), and
 *  the verifier pool (`browserTargets`) for the targets that run in a browser. */
export function bubblewrapRunner(sb: SandboxConfig, browserTargets?: VerifierPool): SandboxRunner {
  return {
    // the harness's report, confirmed against the model it exported, outside the sandbox
    run: async (r) => {
      if (browserTargets && targetModule(r.target)?.runs === 'worker' && !targetModule(r.target)?.serverNative) {
        // the browser's limits, from the request's: the solver's time, the worker's wall clock, wasm memory
        return browserTargets.runCode({
          code: r.code, target: r.target, infeasibleCore: r.infeasibleCore === true,
          config: { solver_time_limit_s: r.timeLimitS, wall_limit_ms: Math.round(Math.max(r.timeLimitS + 2, r.timeLimitS * 1.25) * 1000), memory_limit_mb: r.memoryMb },
        });
      }
      const { exported, ...run } = await runSandboxed({ target: r.target, code: r.code, timeLimitS: r.timeLimitS, memoryMb: r.memoryMb, maxOutputBytes: r.maxOutputBytes, ...(r.signal ? { signal: r.signal } : {}) }, sb);
      return checkedRun(run, exported, r.timeLimitS, poolResolver, r.infeasibleCore === true);
    },
    runRaw: (r) => runPython({ code: r.code, stdin: r.stdin, timeLimitS: r.timeLimitS, memoryMb: r.memoryMb, maxOutputBytes: r.maxOutputBytes, ...(r.signal ? { signal: r.signal } : {}) }, sb),
    targets: async () => [
      ...(browserTargets ? allTargets().filter((t) => t.runs === 'worker' && !t.serverNative).map((t) => ({ name: t.name, available: true })) : []),
      ...await discoverTargets(sb),
    ],
  };
}

export async function startFromConfig(cfg: ServerConfig, log = jsonLog): Promise<SandboxServer> {
  const tokens = loadTokens(cfg);
  const classes = await ClassStore.open(cfg, tokens, log);
  const sb = sandboxConfigFrom(cfg);
  const check = await checkSandbox(sb);
  if (!check.ok) throw new EvomError(`the sandbox does not work on this machine: ${check.problems.join('; ')}`, 'sandbox');
  // Keep one started sandbox per worker: a run then begins in ~15 ms instead of ~80 ms.
  prewarmSandboxes(cfg.workers, sb);
  // in-browser targets: one worker per sandbox slot (workers start on first use)
  const browserTargets = createNodePool({ size: cfg.workers });
  const srv = await startSandboxServer(cfg, tokens, bubblewrapRunner(sb, browserTargets), log, classes);
  return { ...srv, stop: async () => { await srv.stop(); prewarmSandboxes(0, sb); await browserTargets.close(); await closeExportChecks(); } };
}

export async function serve(opts: { file?: string; flags?: Partial<ServerConfig> }, io: { stderr: (s: string) => void }): Promise<void> {
  const cfg = loadServerConfig({ file: opts.file, flags: opts.flags });
  const srv = await startFromConfig(cfg);
  io.stderr(`evom serve: listening on ${srv.url} (${cfg.workers} sandboxes${cfg.classes_file ? `; collecting class runs${cfg.class_data_dir ? ` in ${cfg.class_data_dir}` : ' in memory'}` : ''}); SIGTERM or Ctrl-C stops it after in-flight runs finish\n`);
  await new Promise<void>((resolve) => {
    const stop = () => { void srv.stop().then(resolve); };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
