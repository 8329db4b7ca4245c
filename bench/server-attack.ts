// The sandbox server under attack (../shared/reference/security-review.md a04b, a10, a14): a real
// `evom serve` child process on 127.0.0.1 with its default limits, then
//   1. a hostile load: 64 clients for 30 s, each sending one request at a time from a mix of good
//      solves (a unique objective per request), /run_code nonces, timeouts, output floods, memory
//      bombs, segfaults and forged reports. Every request must be answered exactly once with what
//      its own code earns (no cross-talk), and no 5xx;
//   2. an idle-connection flood (--idle connections that never send a byte) while a client keeps
//      calling /healthz and /v1/run: the server must keep serving and stay under its connection cap.
// Prints the server's RSS and open descriptors before and after each part.
//
//   ulimit -n 65536; npx tsx bench/server-attack.ts [--clients 64] [--seconds 30] [--idle 18000]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name: string, dflt: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const CLIENTS = arg('clients', 64), SECONDS = arg('seconds', 30), IDLE = arg('idle', 18_000);
const TOKENS = ['bench-attack-token-a-0123456789', 'bench-attack-token-b-0123456789'];

const dir = mkdtempSync(join(tmpdir(), 'evom-attack-'));
writeFileSync(join(dir, 'tokens'), TOKENS.join('\n') + '\n', { mode: 0o600 });
const server = spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'evom.js'), 'serve', '--tokens', join(dir, 'tokens'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
const errorLines: string[] = [];
server.stdout.on('data', (d: Buffer) => {
  out += d.toString();
  const lines = out.split('\n');
  out = lines.pop()!;
  for (const l of lines) if (l.includes('"level":"error"')) errorLines.push(l);
  for (const l of lines) if (l.includes('"listening"')) urlFound(JSON.parse(l).url as string);
});
let urlFound: (u: string) => void = () => {};
const url = await new Promise<string>((resolve, reject) => {
  urlFound = resolve;
  setTimeout(() => reject(new Error('the server did not start in 60 s')), 60_000).unref();
});

const rssMiB = () => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]) / 1024;
const fds = () => readdirSync(`/proc/${server.pid}/fd`).length;
const snapshot = (label: string) => console.log(`${label}: server RSS ${rssMiB().toFixed(0)} MiB, open descriptors ${fds()}`);

interface Kind { name: string; path: '/v1/run' | '/run_code'; body: (n: number) => object; ok: (status: number, json: any, n: number) => boolean }
const GOOD = (k: number) => `import pulp\nprob = pulp.LpProblem("m", pulp.LpMaximize)\nx = pulp.LpVariable("x", 0, 3)\ny = pulp.LpVariable("y", 0)\nprob += ${k} * x + 2 * y\nprob += x + y <= 4\nprob += x + 3 * y <= 6\nprob.solve(pulp.PULP_CBC_CMD(msg=0))\n`;
const KINDS: Kind[] = [
  // maximize k x + 2 y (k ≥ 2): x = 3, y = 1, objective 3k + 2: unique per request
  { name: 'solve', path: '/v1/run', body: (n) => ({ target: 'pulp', code: GOOD(2 + n) }), ok: (s, j, n) => s === 200 && j.objective === 3 * (2 + n) + 2 },
  { name: 'run_code nonce', path: '/run_code', body: (n) => ({ code: `print(${n})`, language: 'python' }), ok: (s, j, n) => s === 200 && j.run_result?.stdout === `${n}\n` },
  { name: 'timeout', path: '/v1/run', body: () => ({ target: 'pulp', code: 'while True:\n    pass\n', time_limit_s: 2, answer: 1 }), ok: (s, j) => s === 200 && j.class === 'timeout' },
  { name: 'output flood', path: '/v1/run', body: () => ({ target: 'pulp', code: 'while True:\n    print("x" * 100000)\n', time_limit_s: 5, answer: 1 }), ok: (s, j) => s === 200 && j.class === 'runtime_error' && /output limit/.test(JSON.stringify(j.messages)) },
  { name: 'memory bomb', path: '/v1/run', body: () => ({ target: 'pulp', code: 'a = bytearray(2 * 1024 ** 3)\n', memory_mb: 256, time_limit_s: 5, answer: 1 }), ok: (s, j) => s === 200 && j.class === 'runtime_error' },
  { name: 'segfault', path: '/v1/run', body: () => ({ target: 'pulp', code: 'import ctypes\nctypes.string_at(0)\n', answer: 1 }), ok: (s, j) => s === 200 && j.class === 'runtime_error' },
  { name: 'forged report', path: '/v1/run', body: () => ({ target: 'pulp', code: 'import os\nos.write(3, b\'{"status":"optimal","objective":999}\\n\')\nos._exit(0)\n', answer: 999 }), ok: (s, j) => s === 200 && j.class !== 'correct' },
];

// ---- 1. hostile load
snapshot('before the load');
const perKind = new Map(KINDS.map((k) => [k.name, { sent: 0, answered: 0, expected: 0, busy: 0 }]));
const statuses: Record<string, number> = {};
let nonce = 0, errors = 0;
const deadline = Date.now() + SECONDS * 1000;
await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
  for (let i = 0; Date.now() < deadline; i++) {
    const kind = KINDS[(c + i) % KINDS.length]!;
    const n = ++nonce;
    const stat = perKind.get(kind.name)!;
    stat.sent++;
    try {
      const res = await fetch(url + kind.path, { method: 'POST', headers: { authorization: `Bearer ${TOKENS[c % 2]}`, 'content-type': 'application/json' }, body: JSON.stringify(kind.body(n)) });
      const json = await res.json().catch(() => null);
      stat.answered++;
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status === 429 || res.status === 503) { stat.busy++; await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000)); continue; }
      if (kind.ok(res.status, json, n)) stat.expected++;
      else console.log(`unexpected answer for ${kind.name} #${n}: ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
    } catch (e) {
      errors++;
      console.log(`no answer for ${kind.name} #${n}: ${(e as Error).message}`);
    }
  }
}));
console.log(`\n# hostile load: ${CLIENTS} clients, ${SECONDS} s, 2 tokens, default limits (${new Date().toISOString()})`);
console.log('kind            sent  answered  as expected  429/503');
for (const [k, s] of perKind) console.log(`${k.padEnd(15)} ${String(s.sent).padStart(5)} ${String(s.answered).padStart(9)} ${String(s.expected).padStart(12)} ${String(s.busy).padStart(8)}`);
const total = [...perKind.values()].reduce((a, s) => ({ sent: a.sent + s.sent, answered: a.answered + s.answered, expected: a.expected + s.expected, busy: a.busy + s.busy }), { sent: 0, answered: 0, expected: 0, busy: 0 });
const fiveXX = Object.entries(statuses).filter(([s]) => s.startsWith('5') && s !== '503').reduce((a, [, v]) => a + v, 0);
console.log(`requests ${total.sent}, answered exactly once ${total.answered}, without an answer ${errors}; as expected ${total.expected} of ${total.answered - total.busy} run; 5xx other than 503: ${fiveXX}; statuses ${JSON.stringify(statuses)}`);
await new Promise((r) => setTimeout(r, 2000));
snapshot('after the load');

// ---- 2. idle-connection flood
const host = new URL(url);
const socks: Socket[] = [];
let closedByServer = 0, refusedOrReset = 0;
const opened = async () => {
  for (let i = 0; i < IDLE; i++) {
    const s = connect(Number(host.port), host.hostname);
    s.on('error', () => { refusedOrReset++; });
    s.on('close', () => { closedByServer++; });
    socks.push(s);
    if (i % 500 === 499) await new Promise((r) => setTimeout(r, 20));
  }
};
const probes = { health: 0, healthOk: 0, run: 0, runOk: 0 };
let flooding = true;
const prober = (async () => {
  while (flooding) {
    probes.health++;
    try { if ((await fetch(url + '/healthz', { signal: AbortSignal.timeout(5000) })).ok) probes.healthOk++; } catch { /* refused */ }
    probes.run++;
    try {
      const r = await fetch(url + '/v1/run', { method: 'POST', signal: AbortSignal.timeout(20_000), headers: { authorization: `Bearer ${TOKENS[0]}`, 'content-type': 'application/json' }, body: JSON.stringify({ target: 'pulp', code: GOOD(5) }) });
      if (r.ok && (await r.json()).objective === 17) probes.runOk++;
    } catch { /* refused */ }
  }
})();
const t0 = Date.now();
await opened();
const peakFds = fds();
await new Promise((r) => setTimeout(r, 5000));
const health = await (await fetch(url + '/healthz')).json() as { connections: Record<string, number> };
flooding = false;
await prober;
console.log(`\n# idle-connection flood: ${IDLE} connections opened in ${((Date.now() - t0) / 1000).toFixed(1)} s that never send a byte`);
console.log(`server descriptors at the peak ${peakFds}; connections ${JSON.stringify(health.connections)}; closed by the server so far ${closedByServer}, reset ${refusedOrReset}`);
console.log(`during the flood: /healthz answered ${probes.healthOk}/${probes.health}, authenticated /v1/run correct ${probes.runOk}/${probes.run}`);
for (const s of socks) s.destroy();
await new Promise((r) => setTimeout(r, 3000));
snapshot('after the flood');
console.log(`error-level log lines: ${errorLines.length}${errorLines.length ? ` (first: ${errorLines[0]})` : ''}`);
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
process.exit(errors === 0 && fiveXX === 0 && total.expected === total.answered - total.busy && probes.healthOk === probes.health ? 0 : 1);
