// Every target on the server: `evom serve` verifies the in-browser targets (highs, glpk, glpk-json)
// with the same code and WebAssembly as the browser, through the same worker pool. Parity: the same
// completions through the local verifier pool (what `evom verify` / `evom eval` and the pages use),
// through the server's /v1/run, and through the remote client give the same class, reward, status
// and objective.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerConfig } from '../server/config.ts';
import { startFromConfig } from '../server/main.ts';
import type { SandboxServer } from '../server/http.ts';
import { createNodePool } from '../src/verifier/pool-node.ts';
import { RemoteVerifier } from '../src/verifier/remote.ts';
import { resolveConfig } from '../src/verifier/config.ts';
import type { Answer } from '../src/verifier/outcome.ts';

const TOKEN = 'targets-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'evom-server-targets-'));
writeFileSync(join(dir, 'tokens'), `${TOKEN}\n`, { mode: 0o600 });
const FIX = join(import.meta.dirname, 'fixtures');

interface Case { name: string; target: string; code: string; answer: Answer; question?: string }

/** The wasm targets' hack corpus (with its gold models) and the broken fixtures: every class appears. */
function cases(): Case[] {
  const hacks = JSON.parse(readFileSync(join(FIX, 'hacks', 'manifest.json'), 'utf8')) as { question: string; questions: Record<string, string>; items: { file: string; target: string; answer: Answer; question?: string }[] };
  // MiniZinc: its real models and one hack of each kind (a run costs ~0.5 s there: the rest of its
  // corpus runs through the pool in integrity.test.ts)
  const MINIZINC = new Set(['gold.mzn', 'gold-inf.mzn', 'mzn-domain-bound.mzn', 'mzn-output-forge.mzn', 'mzn-inf-one-var-row.mzn', 'mzn-inf-fresh-bounds.mzn']);
  const out: Case[] = hacks.items.filter((h) => ['highs', 'glpk', 'glpk-json'].includes(h.target) || MINIZINC.has(h.file)).map((h) => ({
    name: `hacks/${h.file}`, target: h.target, code: readFileSync(join(FIX, 'hacks', h.file), 'utf8'), answer: h.answer,
    question: h.question ? hacks.questions[h.question]! : hacks.question,
  }));
  for (const f of readdirSync(join(FIX, 'broken'))) {
    const target = f.startsWith('glpk-json') ? 'glpk-json' : f.startsWith('glpk') ? 'glpk' : f.startsWith('highs') || f.endsWith('.lp') ? 'highs' : null;
    if (target) out.push({ name: `broken/${f}`, target, code: readFileSync(join(FIX, 'broken', f), 'utf8'), answer: 10 });
  }
  return out;
}

describe('the in-browser targets on the server', () => {
  let srv: SandboxServer;
  beforeAll(async () => { srv = await startFromConfig(loadServerConfig({ env: {}, flags: { port: 0, tokens_file: join(dir, 'tokens'), workers: 2 } }), () => {}); }, 60_000);
  afterAll(() => srv?.stop());

  it('are listed as available', async () => {
    const r = await fetch(`${srv.url}/v1/targets`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const names = ((await r.json()) as { targets: { name: string; available: boolean }[] }).targets.filter((t) => t.available).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['highs', 'glpk', 'glpk-json', 'minizinc', 'minizinc-gecode', 'pulp']));
  }, 60_000);

  it('give the same class, reward, status and objective as the local pool, directly and through the remote client', async () => {
    const all = cases();
    expect(all.length).toBeGreaterThan(50);
    expect(new Set(all.map((c) => c.target))).toEqual(new Set(['highs', 'glpk', 'glpk-json', 'minizinc']));
    const cfg = resolveConfig();
    const pool = createNodePool({ size: 2 });
    const remote = new RemoteVerifier({ urls: [srv.url], token: TOKEN });
    const differences: string[] = [];
    const classes = new Set<string>();
    try {
      for (const c of all) {
        const job = { completion: c.code, raw_code: true, target: c.target, answer: c.answer, ...(c.question ? { question: c.question } : {}) };
        // the three at once (the pool's and the server's workers are separate processes)
        const [local, server, viaClient] = await Promise.all([
          pool.verify(job),
          fetch(`${srv.url}/v1/run`, {
            method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
            body: JSON.stringify({ target: c.target, code: c.code, answer: c.answer, question: c.question, time_limit_s: cfg.solver_time_limit_s, memory_mb: cfg.memory_limit_mb }),
          }).then(async (res) => (await res.json()) as { class: string; reward: number; status: string; objective: number | null }),
          // the remote client scores the server's run under its own settings: the same again
          remote.verifyCode(job, cfg, c.code, performance.now()),
        ]);
        classes.add(local.class);
        // a timeout's incumbent objective depends on how far the solver got before the limit (21.99…
        // in one run, 20 in the next): class, reward and status must agree, the incumbent need not
        const seen = (o: { class: string | null; reward: number | null; status: string; objective: number | null }) =>
          JSON.stringify([o.class, o.reward, o.status, o.class === 'timeout' ? null : o.objective]);
        if (seen(server) !== seen(local) || seen(viaClient) !== seen(local)) differences.push(`${c.name}: local ${seen(local)}, server ${seen(server)}, client ${seen(viaClient)}`);
      }
    } finally { await pool.close(); }
    expect(differences).toEqual([]);
    // the comparison covered verdicts and failures alike
    for (const k of ['correct', 'no_model', 'parse_error', 'runtime_error', 'wrong_answer']) expect(classes, k).toContain(k);
  }, 600_000);
});
