// Two `evom serve` processes behind the Python reward client (python/evom_reward), as a cluster
// trainer would use them; one is killed (SIGKILL) mid-run. Reports whether every completion got
// exactly one reward, and right, and how long the calls around the kill took against the calls
// before it (the failover time). On 2 cores two servers cannot show throughput scaling: that needs
// one server per machine (or per license seat) and the same driver with more items per call.
//
//   npx tsx bench/cluster-failover.ts [--items 160] [--per-call 8] [--kill-after-calls 5]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PULP_OK } from '../test/python-models.ts';

const arg = (name: string, dflt: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const ITEMS = arg('items', 160), PER_CALL = arg('per-call', 8), KILL_AFTER_CALLS = arg('kill-after-calls', 5);
const TOKEN = 'bench-cluster-token-0123456789ab';
const ROOT = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'evom-cluster-'));
writeFileSync(join(dir, 'tokens'), `${TOKEN}\n`, { mode: 0o600 });

/** A server child and the items it answered (from its JSON log: one line per /v1/batch with its item count). */
async function startServer(): Promise<{ proc: ChildProcess; url: string; items: () => number }> {
  const proc = spawn(process.execPath, [join(ROOT, 'bin', 'evom.js'), 'serve', '--tokens', join(dir, 'tokens'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '', items = 0;
  const url = await new Promise<string>((resolve, reject) => {
    setTimeout(() => reject(new Error('a server did not start in 60 s')), 60_000).unref();
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        if (!l.startsWith('{')) continue;
        const e = JSON.parse(l) as { msg?: string; url?: string; path?: string; status?: number; items?: number };
        if (e.msg === 'listening') resolve(e.url!);
        if (e.path === '/v1/batch' && e.status === 200) items += e.items ?? 0;
      }
    });
  });
  return { proc, url, items: () => items };
}

const [a, b] = await Promise.all([startServer(), startServer()]);
// the driver: one compute_score_batch call per PER_CALL items, as a trainer's reward step; one JSON line per call
const driver = `
import json, sys, time
from evom_reward.verl import compute_score_batch
code = ${JSON.stringify(`<think>t</think>\n<code>\n${PULP_OK}</code>`)}
items, per_call = ${ITEMS}, ${PER_CALL}
for start in range(0, items, per_call):
    n = min(per_call, items - start)
    t0 = time.monotonic()
    try:
        scores = compute_score_batch(["bench"] * n, [code] * n, [11] * n, [{"target": "pulp"}] * n)
        err = None
    except Exception as e:
        scores, err = [], str(e)
    print(json.dumps({"start": start, "n": n, "t0": t0, "s": time.monotonic() - t0, "scores": scores, "error": err}), flush=True)
`;
const py = spawn('python3', ['-c', driver], { env: { ...process.env, PYTHONPATH: join(ROOT, 'python'), EVOM_SERVER_URL: `${a.url},${b.url}`, EVOM_SERVER_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'inherit'] });
const calls: { start: number; n: number; t0: number; s: number; scores: number[]; error: string | null; at: number }[] = [];
let out = '';
const t0 = performance.now();
let killedAt = -1;
py.stdout!.on('data', (d: Buffer) => {
  out += d.toString();
  const lines = out.split('\n');
  out = lines.pop()!;
  for (const l of lines) if (l.trim()) calls.push({ ...JSON.parse(l), at: (performance.now() - t0) / 1000 });
  // the kill, mid-run: once the driver is warm (some calls done), while the next call is in flight
  if (killedAt === -1 && calls.length >= KILL_AFTER_CALLS) {
    killedAt = -2;
    setTimeout(() => { killedAt = (performance.now() - t0) / 1000; b.proc.kill('SIGKILL'); }, 200);
  }
});
await new Promise((r) => py.once('exit', r));
const answeredByA = a.items(), answeredByB = b.items();
a.proc.kill('SIGTERM');
if (killedAt < 0) b.proc.kill('SIGTERM'); // never killed: too few calls

const scores = calls.flatMap((c) => c.scores);
const errors = calls.filter((c) => c.error);
// a call is "around the kill" when it was in flight at the kill or started within a second after it
const before = calls.slice(1).filter((c) => c.at < killedAt).map((c) => c.s).sort((x, y) => x - y); // the first call warms up
const around = calls.filter((c) => c.at >= killedAt && c.at - c.s <= killedAt + 1);
const median = before.length ? before[before.length >> 1]! : NaN;
console.log(`# two servers, one killed (SIGKILL) after ${killedAt.toFixed(1)} s; ${ITEMS} PuLP completions in calls of ${PER_CALL} through compute_score_batch (${new Date().toISOString()})`);
console.log(`rewards: ${scores.length} for ${ITEMS} completions (exactly one each: ${scores.length === ITEMS}), right (2.0): ${scores.filter((s) => s === 2).length}; calls that raised: ${errors.length}${errors.length ? ` (${errors[0]!.error})` : ''}`);
console.log(`items answered: ${answeredByA} by the survivor, ${answeredByB} by the killed one before it died (sum ${answeredByA + answeredByB}: each item answered by exactly one server; what was in flight on the killed one was sent again to the survivor)`);
console.log(`call time: median ${median.toFixed(2)} s before the kill; around it ${around.map((c) => c.s.toFixed(2)).join(', ') || 'none'} s (failover cost ≈ ${around.length ? (Math.max(...around.map((c) => c.s)) - median).toFixed(2) : 'n/a'} s)`);
process.exit(scores.length === ITEMS && scores.every((s) => s === 2) && errors.length === 0 ? 0 : 1);
