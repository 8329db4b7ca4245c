// Sandbox server under load: many concurrent clients for a bounded time against a real server on
// 127.0.0.1 (real bubblewrap, Python, PuLP/CBC and SciPy). Every request must be answered exactly
// once; prints throughput and latency percentiles.
//
//   npx tsx bench/server.ts [--clients 16] [--seconds 20]
import { loadServerConfig } from '../server/config.ts';
import { startFromConfig } from '../server/main.ts';

const arg = (name: string, dflt: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const CLIENTS = arg('clients', 16), SECONDS = arg('seconds', 20);
const TOKEN = 'bench-token-0123456789abcdef';

const MODELS = [
  { target: 'pulp', answer: 11, code: 'import pulp\nprob = pulp.LpProblem("m", pulp.LpMaximize)\nx = pulp.LpVariable("x", 0, 3)\ny = pulp.LpVariable("y", 0)\nprob += 3 * x + 2 * y\nprob += x + y <= 4\nprob += x + 3 * y <= 6\nprob.solve(pulp.PULP_CBC_CMD(msg=0))\n' },
  { target: 'scipy', answer: 11, code: 'from scipy.optimize import linprog\nres = linprog(c=[-3, -2], A_ub=[[1, 1], [1, 3]], b_ub=[4, 6], bounds=[(0, 3), (0, None)])\nprint("Optimal value:", -res.fun)\n' },
];

const srv = await startFromConfig(loadServerConfig({ env: {}, flags: { port: 0, tokens: [TOKEN], per_token_concurrency: 1000, per_token_rate_per_minute: 1_000_000 } }), () => {});
const latencies: number[] = [];
const statuses: Record<string, number> = {};
let sent = 0, answered = 0, correct = 0;
const deadline = Date.now() + SECONDS * 1000;
const t0 = performance.now();
await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
  for (let i = 0; Date.now() < deadline; i++) {
    const m = MODELS[(c + i) % MODELS.length]!;
    const start = performance.now();
    sent++;
    try {
      const res = await fetch(`${srv.url}/v1/run`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(m) });
      const body = await res.json() as { class?: string };
      answered++;
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (body.class === 'correct') correct++;
      if (res.status === 200) latencies.push(performance.now() - start);
      else await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
    } catch (e) {
      statuses[`error ${(e as Error).message}`] = (statuses[`error ${(e as Error).message}`] ?? 0) + 1;
    }
  }
}));
const secs = (performance.now() - t0) / 1000;
await srv.stop();
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
console.log(`# sandbox server load (${new Date().toISOString()}): ${CLIENTS} clients for ${SECONDS} s, ${srv.url}, workers = cores`);
console.log(`requests sent ${sent}, answered ${answered} (${sent === answered ? 'every request answered exactly once' : 'MISMATCH'}), correct ${correct}`);
console.log(`HTTP statuses: ${JSON.stringify(statuses)}`);
console.log(`throughput ${(latencies.length / secs).toFixed(1)} runs/s; latency p50 ${pct(0.5).toFixed(0)} ms, p90 ${pct(0.9).toFixed(0)} ms, p99 ${pct(0.99).toFixed(0)} ms, max ${latencies.at(-1)!.toFixed(0)} ms`);
process.exit(sent === answered ? 0 : 1);
