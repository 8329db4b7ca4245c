// A class's runs on the sandbox server (issue 23), over real HTTP on 127.0.0.1: students' Studios
// upload run cards under pseudonyms, the teacher lists and deletes them (API and `evom class`);
// the attacks: other classes, wrong tokens, pseudonym theft, oversize bodies, floods, quotas,
// forged cards; persistence in class_data_dir; the classes_file's checks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerConfig, loadTokens, type ServerConfig } from '../server/config.ts';
import { startFromConfig } from '../server/main.ts';
import { startSandboxServer, type SandboxRunner, type SandboxServer } from '../server/http.ts';
import { ClassStore, loadClasses } from '../server/class-store.ts';
import { main } from '../src/cli/main.ts';
import type { Io } from '../src/cli/args.ts';
import { defaultSettings, makeRunCard, type RunCard } from '../src/rl/run-card.ts';
import type { StepMetrics } from '../src/rl/trainer.ts';
import type { EvalSummary } from '../src/verifier/evaluate.ts';
import { OUTCOME_CLASSES } from '../src/verifier/outcome.ts';

const SANDBOX = 'sandbox-token-0123456789abcdef';
const A = { id: 'or-101', student: 'a-student-0123456789abcdef', teacher: 'a-teacher-0123456789abcdef' };
const B = { id: 'or-102', student: 'b-student-0123456789abcdef', teacher: 'b-teacher-0123456789abcdef' };
const dir = mkdtempSync(join(tmpdir(), 'evom-class-'));
const file = (name: string, text: string, mode = 0o600) => { const p = join(dir, name); writeFileSync(p, text, { mode }); chmodSync(p, mode); return p; };
const tokensFile = file('tokens', `${SANDBOX}\n`);
const classesFile = file('classes', `# two classes\n${A.id} ${A.student} ${A.teacher}\n\n${B.id}\t${B.student}  ${B.teacher}\n`);

function config(flags: Partial<ServerConfig> = {}): ServerConfig {
  return loadServerConfig({ env: {}, flags: { port: 0, tokens_file: tokensFile, classes_file: classesFile, workers: 1, cors_origins: ['http://studio.example'], ...flags } });
}

/** A server without sandboxes (class collection needs none): the real HTTP layer and class store. */
const NO_SANDBOX: SandboxRunner = {
  run: () => Promise.reject(new Error('no sandbox in this test')),
  runRaw: () => Promise.reject(new Error('no sandbox in this test')),
  targets: async () => [],
};
async function light(flags: Partial<ServerConfig> = {}, logs?: Record<string, unknown>[]): Promise<SandboxServer> {
  const cfg = config(flags);
  const tokens = loadTokens(cfg);
  const log = (e: Record<string, unknown>) => { logs?.push(e); };
  return startSandboxServer(cfg, tokens, NO_SANDBOX, log, await ClassStore.open(cfg, tokens, log));
}

async function call(url: string, path: string, init: { method?: string; body?: unknown; raw?: string; token?: string | null; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(init.headers ?? {}) };
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? A.student}`;
  const body = init.raw ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined);
  const res = await fetch(url + path, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body });
  const text = await res.text();
  let json: any = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, json, text };
}
const upload = (url: string, body: unknown, token = A.student) => call(url, '/v1/class/runs', { body, token });
const list = (url: string, token = A.teacher, headers: Record<string, string> = {}) => call(url, '/v1/class/runs', { token, headers });

// ---- cards --------------------------------------------------------------------------------------

const classes = (n: number) => Object.fromEntries(OUTCOME_CLASSES.map((k, i) => [k, i === 0 ? n : 0])) as StepMetrics['classes'];
function step(s: number, over: Partial<StepMetrics> = {}): StepMetrics {
  return {
    step: s, reward_mean: 1.25, reward_std: 0.5, accuracy: 0.375, format_rate: 1, exec_rate: 0.75, classes: classes(16),
    groups_used: 2, groups_dropped: 0, loss: 0.1, kl: 0, entropy: 1.2, clip_fraction: 0, completion_length: 60, grad_norm: 0.8,
    lr: 5e-4, tokens_per_s: 120, ms: { generate: 900, verify_wait: 10, train: 300, update: 20, total: 1300 }, ...over,
  };
}
function summary(over: Partial<EvalSummary> = {}): EvalSummary {
  return {
    target: 'highs', tolerance: 'rel5pct', tolerance_rule: 'relative 5 %', benchmark_items: 20, count: 20, scored: 20, missing: 0, not_evaluated: 0,
    execution_rate: 0.9, accuracy: 0.4, accuracy_ci95: [0.2, 0.6], items_scored: 20, accuracy_all_items: 0.4, format_rate: 1, mean_reward: 1.4,
    counts: { ...classes(8), wrong_answer: 12 }, answers: 'original', errata_items: 0, accuracy_all_items_other: null, wall_ms: 1234, ...over,
  };
}
function card(steps = 2, over: { metrics?: StepMetrics[]; summary?: Partial<EvalSummary>; title?: string } = {}): RunCard {
  return makeRunCard({
    title: over.title ?? 'lr 5e-4 on highs',
    model: { kind: 'builtin', id: 'evom-tiny' },
    settings: defaultSettings('builtin', 'grpo', 'highs'),
    data: { description: 'generated: all families, difficulty 2', train_items: 200, eval_items: 20, train_sha256: 'a'.repeat(64) },
    metrics: over.metrics ?? Array.from({ length: steps }, (_, i) => step(i + 1)),
    evaluations: [{ label: 'after', target: 'highs', summary: summary(over.summary) }],
  });
}
let forgeries = 0;
const mutated = (f: (c: any) => void) => { const c: any = structuredClone(card(3)); f(c); return c; };

// ---- the API ------------------------------------------------------------------------------------

describe('class runs: upload, list, update, delete', () => {
  let srv: SandboxServer;
  const logs: Record<string, unknown>[] = [];
  beforeAll(async () => { srv = await startFromConfig(config(), (e) => logs.push(e)); }, 60_000);
  afterAll(() => srv?.stop());

  it('healthz says collection is on (no class ids); a server without classes_file says off and 404s the routes', async () => {
    const h = (await call(srv.url, '/healthz', { token: null })).json;
    expect(h.classes).toBe(true);
    expect(JSON.stringify(h)).not.toContain(A.id);
    const off = await startSandboxServer(config({ classes_file: null }), [SANDBOX], NO_SANDBOX, () => {}, null);
    try {
      expect((await call(off.url, '/healthz', { token: null })).json.classes).toBe(false);
      const r = await list(off.url);
      expect(r.status).toBe(404);
      expect(r.json.error).toMatch(/does not collect class runs/);
    } finally { await off.stop(); }
  });

  it('round trip: the upload claims the pseudonym with a key; the teacher lists only what the compare view needs', async () => {
    const c = card(2);
    const r = await upload(srv.url, { pseudonym: '  Ada L.  ', run: 'run-1', card: c });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ pseudonym: 'Ada L.', run: 'run-1', runs_used: 1, limits: { max_runs: 300, max_runs_per_student: 20, max_bytes: 32 * 1024 * 1024, max_upload_bytes: 512 * 1024 } });
    expect(r.json.key).toMatch(/^[0-9a-f]{32}$/);
    expect(r.json.bytes_used).toBeGreaterThan(1000);
    const l = await list(srv.url);
    expect(l.status).toBe(200);
    expect(l.json).toMatchObject({ class: A.id, runs_used: 1, bytes_used: r.json.bytes_used });
    expect(l.headers.get('etag')).toBe(`"${l.json.revision}"`);
    const [run] = l.json.runs;
    expect(run).toMatchObject({ pseudonym: 'Ada L.', run: 'run-1' });
    expect(Date.parse(run.received)).toBeGreaterThan(Date.now() - 60_000);
    expect(Object.keys(run.card).sort()).toEqual(['data', 'evaluations', 'metrics', 'model', 'settings', 'title']);
    expect(run.card.data).toEqual({ description: c.data.description, train_items: 200, eval_items: 20 });
    expect(run.card.settings).toEqual(c.settings);
    expect(run.card.metrics).toEqual(c.metrics);
    expect(run.card.evaluations).toEqual(c.evaluations);
    expect(l.text).not.toMatch(/"cli"|"software"|"train_sha256"|"key|npx evom/);
    // B's teacher sees nothing of A
    expect((await list(srv.url, B.teacher)).json).toMatchObject({ class: B.id, runs: [], runs_used: 0 });
    // the key goes to the browser that chose the pseudonym, once: a later upload is answered without one
    const again = await upload(srv.url, { pseudonym: 'ada l.', run: 'run-1', card: c, key: r.json.key });
    expect(again.status).toBe(200);
    expect(again.json.key).toBeUndefined();
    expect(again.json.pseudonym).toBe('Ada L.');
  });

  it('the same run is replaced (the Studio re-sends after every step); a new run is added; sorted by pseudonym then run', async () => {
    const first = await upload(srv.url, { pseudonym: 'Zoë', run: 'b', card: card(1) });
    const key = first.json.key;
    const before = await list(srv.url);
    const n = before.json.runs_used;
    const r = await upload(srv.url, { pseudonym: 'zoë', run: 'b', card: card(3), key });
    expect(r.json.runs_used).toBe(n);
    const l = await list(srv.url);
    expect(l.json.revision).toBeGreaterThan(before.json.revision);
    const zb = l.json.runs.filter((x: any) => x.pseudonym === 'Zoë');
    expect(zb).toHaveLength(1);
    expect(zb[0].card.metrics.map((m: StepMetrics) => m.step)).toEqual([1, 2, 3]);
    expect((await upload(srv.url, { pseudonym: 'Zoë', run: 'a', card: card(1), key })).json.runs_used).toBe(n + 1);
    const order = (await list(srv.url)).json.runs.map((x: any) => `${x.pseudonym}/${x.run}`);
    expect(order).toEqual([...order].sort((p, q) => p.toLowerCase().localeCompare(q.toLowerCase())));
    expect(order.filter((x: string) => x.startsWith('Zoë/'))).toEqual(['Zoë/a', 'Zoë/b']);
  });

  it('ETag / If-None-Match: 304 while nothing changed, 200 with a new revision after a change', async () => {
    const l = await list(srv.url);
    const etag = l.headers.get('etag')!;
    const same = await list(srv.url, A.teacher, { 'if-none-match': etag });
    expect(same.status).toBe(304);
    expect(same.text).toBe('');
    expect(same.headers.get('etag')).toBe(etag);
    const k = (await upload(srv.url, { pseudonym: 'Grace', run: 'r1', card: card(1) })).json.key;
    expect(k).toMatch(/^[0-9a-f]{32}$/);
    const changed = await list(srv.url, A.teacher, { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.json.revision).toBe(l.json.revision + 1);
    expect(changed.headers.get('etag')).toBe(`"${changed.json.revision}"`);
  });

  it('another class\'s tokens reach only their own class: uploads land there, lists and deletes see only it', async () => {
    const a0 = (await list(srv.url)).json;
    // B's student uses A's pseudonym: a namespace of its own, so no conflict and no overwrite of A's run
    const b = await upload(srv.url, { pseudonym: 'Ada L.', run: 'run-1', card: card(1, { title: 'from class B' }) }, B.student);
    expect(b.status).toBe(200);
    expect(b.json.key).toMatch(/^[0-9a-f]{32}$/);
    const a1 = (await list(srv.url)).json;
    expect(a1.runs).toEqual(a0.runs);
    expect(a1.revision).toBe(a0.revision);
    const bl = (await list(srv.url, B.teacher)).json;
    expect(bl.runs.map((r: any) => r.card.title)).toEqual(['from class B']);
    // B's teacher deletes: B's run only
    expect((await call(srv.url, '/v1/class/runs', { method: 'DELETE', token: B.teacher })).json).toEqual({ class: B.id, deleted: 1 });
    expect((await list(srv.url)).json.runs).toEqual(a0.runs);
  });

  it('a student token can neither list nor delete; tokens of the other kind are refused on each side', async () => {
    const l = await list(srv.url, A.student);
    expect(l.status).toBe(403);
    expect(l.json.error).toBe('listing a class needs its teacher token');
    const d = await call(srv.url, '/v1/class/runs', { method: 'DELETE', token: A.student });
    expect(d.status).toBe(403);
    expect(d.json.error).toMatch(/needs its teacher token/);
    const s = await list(srv.url, SANDBOX);
    expect(s.status).toBe(401);
    expect(s.json.error).toMatch(/sandbox token is not valid on \/v1\/class/);
    expect((await upload(srv.url, { pseudonym: 'x', run: 'r', card: card(1) }, SANDBOX)).status).toBe(401);
    expect((await list(srv.url, 'not-a-token-0123456789abcdef')).json.error).toBe('token rejected');
    expect((await call(srv.url, '/v1/class/runs', { token: null })).status).toBe(401);
    for (const t of [A.student, A.teacher]) {
      const r = await call(srv.url, '/v1/run', { body: { target: 'pulp', code: 'x = 1', answer: 1 }, token: t });
      expect(r.status).toBe(401);
      expect(r.json.error).toMatch(/class token is only valid on \/v1\/class/);
      expect((await call(srv.url, '/v1/targets', { token: t })).status).toBe(401);
    }
    expect((await call(srv.url, '/v1/targets', { token: SANDBOX })).status).toBe(200);
    expect((await call(srv.url, '/v1/class/runs', { method: 'PUT', token: A.teacher, body: {} })).status).toBe(405);
    expect((await call(srv.url, '/v1/class/other', { token: A.teacher })).status).toBe(404);
  });

  it('a pseudonym belongs to the browser that chose it: 409 without its key (any case), 403 with a wrong one', async () => {
    const key = (await upload(srv.url, { pseudonym: 'Hopper', run: 'r1', card: card(1) })).json.key;
    const steal = await upload(srv.url, { pseudonym: 'HOPPER', run: 'r1', card: card(2) });
    expect(steal.status).toBe(409);
    expect(steal.json.error).toBe('the pseudonym "HOPPER" is taken in this class: choose another (or use the browser that chose it)');
    for (const wrong of ['0'.repeat(32), 'not hex at all', key.slice(0, 31)]) {
      const r = await upload(srv.url, { pseudonym: 'Hopper', run: 'r2', card: card(2), key: wrong });
      expect(r.status).toBe(403);
      expect(r.json.error).toMatch(/wrong key for the pseudonym/);
    }
    // the teacher's token is no way around the key either
    expect((await upload(srv.url, { pseudonym: 'Hopper', run: 'r1', card: card(2) }, A.teacher)).status).toBe(409);
    const l = (await list(srv.url)).json.runs.filter((r: any) => r.pseudonym === 'Hopper');
    expect(l.map((r: any) => [r.run, r.card.metrics.length])).toEqual([['r1', 1]]);
  });

  it('an oversize body is refused with 413 before it is read, and the server answers afterwards', async () => {
    const big = await upload(srv.url, { pseudonym: 'Big', run: 'r', card: card(1, { title: 'x'.repeat(600 * 1024) }) });
    expect(big.status).toBe(413);
    expect(big.json.error).toMatch(/exceeds 524288/);
    // chunked (no Content-Length): cut off at the limit too
    const u = new URL(srv.url);
    const status = await new Promise<number>((resolve, reject) => {
      const r = request({ host: u.hostname, port: u.port, path: '/v1/class/runs', method: 'POST', headers: { authorization: `Bearer ${A.student}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      r.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => { while (sent < 40) { sent++; if (!r.write(chunk)) { r.once('drain', pump); return; } } r.end(); };
      pump();
    });
    expect(status).toBe(413);
    expect((await call(srv.url, '/healthz', { token: null })).json.ok).toBe(true);
    expect((await upload(srv.url, { pseudonym: 'Small', run: 'r', card: card(1) })).status).toBe(200);
  });

  it.each([
    ['an infinite metric (1e999)', (c: any) => { c.metrics[1].loss = '__INF__'; }, /"metrics\[1\]\.loss" must be a finite number/],
    ['an accuracy of 1.5', (c: any) => { c.metrics[0].accuracy = 1.5; }, /"metrics\[0\]\.accuracy" must be in \[0, 1\]; got 1\.5/],
    ['a mean reward of 7', (c: any) => { c.metrics[2].reward_mean = 7; }, /"metrics\[2\]\.reward_mean" must be in \[0, 2\] \(the reward's range\); got 7/],
    ['steps out of order', (c: any) => { c.metrics[1].step = 1; }, /"metrics\[1\]\.step" \(1\) must be greater than the step before it \(1\)/],
    ['step 0', (c: any) => { c.metrics[0].step = 0; }, /"metrics\[0\]\.step" must be an integer ≥ 1/],
    ['a step past settings.steps', (c: any) => { c.metrics[2].step = 11; }, /"metrics\[2\]\.step" \(11\) exceeds settings\.steps \(10\)/],
    ['more metrics than steps', (c: any) => { c.metrics = Array.from({ length: 11 }, (_, i) => step(i + 1)); }, /"metrics" has 11 steps; settings\.steps is 10/],
    ['correct > scored', (c: any) => { c.evaluations[0].summary.counts.correct = 21; }, /counts\.correct" \(21\) exceeds the completions scored \(20\)/],
    ['a negative count', (c: any) => { c.evaluations[0].summary.counts.timeout = -1; }, /counts\.timeout" must be an integer ≥ 0/],
    ['an evaluation accuracy of 2', (c: any) => { c.evaluations[0].summary.accuracy = 2; }, /summary\.accuracy" must be in \[0, 1\]/],
    ['a __proto__ key', (c: any) => { c.settings.__INJECT__ = 1; }, /the key "__proto__" is not allowed/],
    ['a constructor key', (c: any) => { c.model.constructor = { prototype: 1 }; }, /the key "constructor" is not allowed/],
    ['not a run card', (c: any) => { c.format = 'something-else'; }, /not a valid run card: .*not an EVOM run card/],
    ['a bad setting', (c: any) => { c.settings.lr = -1; }, /not a valid run card: .*settings/],
  ])('a forged card is refused with 400: %s', async (_name, f, msg) => {
    // a pseudonym of its own per case: one that slipped through would not turn the next cases into 409s
    const pseudonym = `Forger ${++forgeries}`;
    const body = JSON.stringify({ pseudonym, run: 'r1', card: mutated(f) }).replace('"__INF__"', '1e999').replace('"__INJECT__"', '"__proto__"');
    const r = await call(srv.url, '/v1/class/runs', { raw: body, token: A.student });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(msg);
    expect((await list(srv.url)).json.runs.some((x: any) => x.pseudonym === pseudonym)).toBe(false);
  });

  it('DAPO\'s overlong shaping may push a mean reward below 0, not below −1', async () => {
    const dapo = (m: number) => mutated((c) => { c.settings.algo = 'dapo'; c.metrics[0].reward_mean = m; });
    const ok = await upload(srv.url, { pseudonym: 'Dapo', run: 'r1', card: dapo(-0.5) });
    expect(ok.status).toBe(200);
    const r = await upload(srv.url, { pseudonym: 'Dapo', run: 'r1', card: dapo(-1.5), key: ok.json.key });
    expect(r.json.error).toMatch(/reward_mean" must be in \[-1, 2\]/);
  });

  it.each([
    ['HTML', '<b>x</b>'], ['empty', '   '], ['too long', 'a'.repeat(41)], ['a leading dot', '.x'], ['not a string', 42], ['a slash', 'a/b'],
  ])('a pseudonym with %s is refused by the pattern', async (_n, pseudonym) => {
    const r = await upload(srv.url, { pseudonym, run: 'r1', card: card(1) });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/"pseudonym" must be/);
  });

  it('refuses a bad run id and a missing card; drops unknown fields at every level', async () => {
    expect((await upload(srv.url, { pseudonym: 'Ok', run: '../x', card: card(1) })).json.error).toMatch(/"run" must be 1–64 letters/);
    expect((await upload(srv.url, { pseudonym: 'Ok', run: 'r' })).json.error).toMatch(/"card" is missing/);
    const c: any = card(1);
    Object.assign(c, { secret_field: 'SHOULD-NOT-BE-KEPT', cli: { train: 'rm -rf /', eval: 'x' } });
    c.metrics[0].extra_metric = 'SHOULD-NOT-BE-KEPT';
    c.metrics[0].classes.made_up_class = 3;
    c.data.where = 'SHOULD-NOT-BE-KEPT';
    c.evaluations[0].note = 'SHOULD-NOT-BE-KEPT';
    c.evaluations[0].summary.counts.made_up = 2;
    const r = await upload(srv.url, { pseudonym: 'Extra', run: 'r1', card: c, also: 'dropped' });
    expect(r.status).toBe(200);
    const l = await list(srv.url);
    expect(l.text).not.toMatch(/SHOULD-NOT-BE-KEPT|made_up|rm -rf|"also"/);
    const run = l.json.runs.find((x: any) => x.pseudonym === 'Extra');
    expect(Object.keys(run.card.metrics[0].classes)).toEqual([...OUTCOME_CLASSES]);
  });

  it('CORS: the preflight allows DELETE and If-None-Match; ETag and Retry-After are exposed', async () => {
    const pre = await fetch(srv.url + '/v1/class/runs', { method: 'OPTIONS', headers: { origin: 'http://studio.example', 'access-control-request-method': 'DELETE' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toMatch(/DELETE/);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/authorization.*content-type.*if-none-match/);
    const l = await list(srv.url, A.teacher, { origin: 'http://studio.example' });
    expect(l.headers.get('access-control-allow-origin')).toBe('http://studio.example');
    expect(l.headers.get('access-control-expose-headers')).toMatch(/etag/);
    expect(l.headers.get('access-control-expose-headers')).toMatch(/retry-after/);
  });

  it('one student\'s runs can be deleted (teacher only), freeing the pseudonym; then the whole class', async () => {
    await upload(srv.url, { pseudonym: 'Leaver', run: 'r1', card: card(1) });
    const before = (await list(srv.url)).json.runs_used;
    const d = await call(srv.url, `/v1/class/runs?pseudonym=${encodeURIComponent('LEAVER')}`, { method: 'DELETE', token: A.teacher });
    expect(d.json).toEqual({ class: A.id, deleted: 1 });
    expect((await list(srv.url)).json.runs_used).toBe(before - 1);
    expect((await upload(srv.url, { pseudonym: 'Leaver', run: 'r1', card: card(1) })).json.key).toMatch(/^[0-9a-f]{32}$/);
    const all = await call(srv.url, '/v1/class/runs', { method: 'DELETE', token: A.teacher });
    expect(all.json).toEqual({ class: A.id, deleted: before });
    expect((await list(srv.url)).json).toMatchObject({ runs: [], runs_used: 0, bytes_used: 0 });
    // every pseudonym is free again
    expect((await upload(srv.url, { pseudonym: 'Hopper', run: 'r1', card: card(1) })).status).toBe(200);
  });

  it('logs name the class and counts, never a pseudonym, a key or a card\'s contents', () => {
    const text = JSON.stringify(logs);
    expect(logs.some((e) => e.class_id === A.id && typeof e.runs_used === 'number')).toBe(true);
    for (const secret of ['Ada', 'Zoë', 'Hopper', 'HOPPER', 'Leaver', 'LEAVER', 'Forger', 'lr 5e-4 on highs', 'generated: all families', A.student, A.teacher]) expect(text).not.toContain(secret);
  });
});

describe('class limits', () => {
  it('a flood of uploads gets 429 with Retry-After; the other class is not affected', async () => {
    const srv = await light({ class_uploads_per_minute: 3 });
    try {
      const key = (await upload(srv.url, { pseudonym: 'Fast', run: 'r', card: card(1) })).json.key;
      for (let i = 0; i < 2; i++) expect((await upload(srv.url, { pseudonym: 'Fast', run: 'r', card: card(1), key })).status).toBe(200);
      const r = await upload(srv.url, { pseudonym: 'Fast', run: 'r', card: card(1), key });
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(r.json.error).toMatch(/upload rate of 3 per minute/);
      expect((await upload(srv.url, { pseudonym: 'Fast', run: 'r', card: card(1) }, B.student)).status).toBe(200);
      // listing is not an upload
      expect((await list(srv.url)).status).toBe(200);
    } finally { await srv.stop(); }
  });

  it('quotas: runs per class, runs per student and bytes per class (507, naming the quota); replacing a run is no new run', async () => {
    const srv = await light({ class_max_runs: 3, class_max_runs_per_student: 2 });
    try {
      const k = (await upload(srv.url, { pseudonym: 'A1', run: 'r1', card: card(1) })).json.key;
      expect((await upload(srv.url, { pseudonym: 'A1', run: 'r2', card: card(1), key: k })).status).toBe(200);
      const per = await upload(srv.url, { pseudonym: 'A1', run: 'r3', card: card(1), key: k });
      expect(per.status).toBe(507);
      expect(per.json.error).toMatch(/class_max_runs_per_student 2/);
      expect((await upload(srv.url, { pseudonym: 'A1', run: 'r2', card: card(2), key: k })).status).toBe(200);
      expect((await upload(srv.url, { pseudonym: 'B1', run: 'r1', card: card(1) })).status).toBe(200);
      const full = await upload(srv.url, { pseudonym: 'C1', run: 'r1', card: card(1) });
      expect(full.status).toBe(507);
      expect(full.json.error).toMatch(/class_max_runs 3/);
      // a refused first upload claims nothing
      expect((await call(srv.url, '/v1/class/runs?pseudonym=C1', { method: 'DELETE', token: A.teacher })).json.deleted).toBe(0);
    } finally { await srv.stop(); }
    const one = (await (async () => {
      const s = await light();
      try { return (await upload(s.url, { pseudonym: 'M', run: 'r', card: card(1) })).json.bytes_used as number; } finally { await s.stop(); }
    })());
    const small = await light({ class_max_bytes: Math.round(one * 2.5) });
    try {
      const k = (await upload(small.url, { pseudonym: 'M', run: 'r1', card: card(1) })).json.key;
      expect((await upload(small.url, { pseudonym: 'M', run: 'r2', card: card(1), key: k })).status).toBe(200);
      const r = await upload(small.url, { pseudonym: 'N', run: 'r1', card: card(1) });
      expect(r.status).toBe(507);
      expect(r.json.error).toMatch(/class_max_bytes/);
      // a run that grows past the quota is refused too, and the stored one is kept
      const grow = await upload(small.url, { pseudonym: 'M', run: 'r2', card: card(10), key: k });
      expect(grow.status).toBe(507);
      expect((await list(small.url)).json.runs.map((x: any) => x.card.metrics.length)).toEqual([1, 1]);
    } finally { await small.stop(); }
  });
});

describe('class_data_dir', () => {
  it('runs and pseudonym claims survive a restart; deleting clears the folder', async () => {
    const data = mkdtempSync(join(tmpdir(), 'evom-class-data-'));
    let srv = await startFromConfig(config({ class_data_dir: data }), () => {});
    let key = '';
    try {
      key = (await upload(srv.url, { pseudonym: 'Émilie', run: 'r1', card: card(2) })).json.key;
      await upload(srv.url, { pseudonym: 'Émilie', run: 'r2', card: card(1), key });
      await upload(srv.url, { pseudonym: 'Other', run: 'r1', card: card(1) }, B.student);
      expect(readdirSync(join(data, A.id)).filter((f) => f.endsWith('.json'))).toHaveLength(2);
      // a file holds the stored subset and the key's hash, never the key
      const f = readFileSync(join(data, A.id, readdirSync(join(data, A.id))[0]!), 'utf8');
      expect(f).not.toContain(key);
      expect(f).not.toMatch(/"cli"|"software"/);
    } finally { await srv.stop(); }
    const before = await (async () => { const s = await light({ class_data_dir: data }); try { return (await list(s.url)).json; } finally { await s.stop(); } })();
    srv = await startFromConfig(config({ class_data_dir: data }), () => {});
    try {
      const l = (await list(srv.url)).json;
      expect(l.runs.map((r: any) => [r.pseudonym, r.run, r.card.metrics.length])).toEqual([['Émilie', 'r1', 2], ['Émilie', 'r2', 1]]);
      expect(l.runs).toEqual(before.runs);
      expect(l.bytes_used).toBe(before.bytes_used);
      // a restart never reuses an ETag
      expect(l.revision).not.toBe(before.revision);
      expect((await upload(srv.url, { pseudonym: 'émilie', run: 'r1', card: card(3) })).status).toBe(409);
      expect((await upload(srv.url, { pseudonym: 'émilie', run: 'r1', card: card(3), key })).status).toBe(200);
      expect((await call(srv.url, '/v1/class/runs', { method: 'DELETE', token: A.teacher })).json.deleted).toBe(2);
      expect(readdirSync(join(data, A.id))).toEqual([]);
      expect(readdirSync(join(data, B.id))).toHaveLength(1);
    } finally { await srv.stop(); }
    const after = await light({ class_data_dir: data });
    try { expect((await list(after.url)).json.runs).toEqual([]); } finally { await after.stop(); }
  }, 60_000);
});

describe('evom class', () => {
  let srv: SandboxServer;
  beforeAll(async () => { srv = await light(); });
  afterAll(() => srv?.stop());
  async function evom(args: string[], env: Record<string, string> = {}) {
    let stdout = '', stderr = '';
    const io: Io = { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, stdin: async () => '', stderrIsTty: false };
    const saved = process.env.EVOM_CLASS_TOKEN;
    if (env.EVOM_CLASS_TOKEN) process.env.EVOM_CLASS_TOKEN = env.EVOM_CLASS_TOKEN; else delete process.env.EVOM_CLASS_TOKEN;
    try { return { code: await main(args, io), stdout, stderr }; } finally { if (saved === undefined) delete process.env.EVOM_CLASS_TOKEN; else process.env.EVOM_CLASS_TOKEN = saved; }
  }

  it('list prints a table of the class\'s runs (token from --token or EVOM_CLASS_TOKEN)', async () => {
    await upload(srv.url, { pseudonym: 'Ada', run: 'run-1', card: card(3, { metrics: [step(1), step(2), step(3, { reward_mean: 1.75, accuracy: 0.625 })] }) });
    await upload(srv.url, { pseudonym: 'Bob', run: 'run-9', card: card(1) });
    const r = await evom(['class', 'list', '--server', srv.url, '--token', A.teacher]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^class ${A.id}: 2 of 300 runs`));
    expect(lines[2]).toMatch(/^pseudonym\s+run\s+model\s+target\s+steps\s+last reward\s+last accuracy\s+received$/);
    expect(lines[3]).toMatch(/^Ada\s+run-1\s+evom-tiny\s+highs\s+3\/10\s+1\.750\s+62\.5%\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(lines[4]).toMatch(/^Bob\s+run-9\s+evom-tiny\s+highs\s+1\/10\s+1\.250\s+37\.5%/);
    const env = await evom(['class', 'list', '--server', srv.url, '--json'], { EVOM_CLASS_TOKEN: A.teacher });
    expect(JSON.parse(env.stdout)).toMatchObject({ class: A.id, runs_used: 2 });
  });

  it('delete removes one student\'s runs (--student) or the class\'s, and says what went', async () => {
    const one = await evom(['class', 'delete', '--server', srv.url, '--token', A.teacher, '--student', 'bob']);
    expect(one.code).toBe(0);
    expect(one.stdout).toBe(`class ${A.id}: deleted 1 runs of "bob" and freed the pseudonym\n`);
    const all = await evom(['class', 'delete', '--server', srv.url, '--token', A.teacher]);
    expect(all.stdout).toBe(`class ${A.id}: deleted 1 runs and every pseudonym\n`);
    expect((await list(srv.url)).json.runs).toEqual([]);
  });

  it('specific errors: student token, rejected token, no token, unreachable server', async () => {
    const student = await evom(['class', 'list', '--server', srv.url, '--token', A.student]);
    expect(student.code).toBe(2);
    expect(student.stderr).toMatch(/listing a class needs its teacher token: give the class's teacher token, not its student token/);
    const wrong = await evom(['class', 'delete', '--server', srv.url, '--token', 'wrong-token-0123456789abcdef']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/the server rejected the token \(token rejected\)/);
    expect((await evom(['class', 'list', '--server', srv.url])).stderr).toMatch(/--token TOKEN or EVOM_CLASS_TOKEN/);
    const down = await evom(['class', 'list', '--server', 'http://127.0.0.1:9', '--token', A.teacher]);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9 .*evom serve/);
    expect((await evom(['class', 'purge'])).stderr).toMatch(/expected list, delete or new-tokens/);
  });

  it('new-tokens prints a classes_file line the server accepts', async () => {
    const r = await evom(['class', 'new-tokens', 'or-201']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^or-201 [0-9a-f]{48} [0-9a-f]{48}\n$/);
    const f = file('new-classes', r.stdout);
    expect(loadClasses(config({ classes_file: f }), [])).toEqual([{ id: 'or-201', student: r.stdout.split(' ')[1], teacher: r.stdout.trim().split(' ')[2] }]);
    expect((await evom(['class', 'new-tokens', '../x'])).stderr).toMatch(/class id must be/);
  });
});

describe('classes_file', () => {
  const load = (text: string, flags: Partial<ServerConfig> = {}, mode = 0o600) => loadClasses(config({ classes_file: file(`c${Math.random()}`, text, mode), ...flags }), [SANDBOX]);
  it.each([
    ['two fields', 'or-1 aaaaaaaaaaaaaaaaaaaa\n', /line 1: expected 3 fields/],
    ['a bad class id', '# c\n\n../x aaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbb\n', /line 3: class id must be/],
    ['a short token', 'or-1 short bbbbbbbbbbbbbbbbbbbb\n', /line 1: the student token must be at least 16 characters/],
    ['a token used twice', 'or-1 aaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbb\nor-2 cccccccccccccccccccc aaaaaaaaaaaaaaaaaaaa\n', /line 2: the teacher token is used elsewhere/],
    ['a sandbox token', `or-1 ${SANDBOX} bbbbbbbbbbbbbbbbbbbb\n`, /line 1: the student token is used elsewhere/],
    ['a class twice', 'or-1 aaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbb\nor-1 cccccccccccccccccccc dddddddddddddddddddd\n', /line 2: class "or-1" is listed twice/],
  ])('refuses a classes_file with %s, naming the line', (_n, text, msg) => {
    expect(() => load(text)).toThrow(msg);
  });
  it('refuses a classes_file others can read (unless allow_shared_tokens_file), and a missing one', async () => {
    const line = 'or-1 aaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbb\n';
    expect(() => load(line, {}, 0o644)).toThrow(/classes file .* is readable by its group and others \(mode 644\): run `chmod 600/);
    expect(load(line, { allow_shared_tokens_file: true }, 0o644)).toHaveLength(1);
    expect(() => loadClasses(config({ classes_file: join(dir, 'missing') }), [])).toThrow(/classes file .*missing: not found/);
    // the server refuses to start on it
    await expect(startFromConfig(config({ classes_file: file('shared', line, 0o640) }), () => {})).rejects.toThrow(/readable by its group/);
  });
  it('settings: the environment names the files; limits must be integers ≥ 1; collection alone needs no sandbox token', () => {
    const c = loadServerConfig({ env: { EVOM_SERVER_CLASSES_FILE: classesFile, EVOM_SERVER_CLASS_DATA_DIR: '/tmp/x' } });
    expect(c).toMatchObject({ classes_file: classesFile, class_data_dir: '/tmp/x', class_max_runs: 300, class_max_runs_per_student: 20, class_max_bytes: 32 << 20, class_max_upload_bytes: 512 << 10, class_uploads_per_minute: 240 });
    expect(() => config({ class_max_runs: 0 })).toThrow(/class_max_runs must be an integer ≥ 1/);
    expect(() => loadServerConfig({ file: file('bad.json', JSON.stringify({ class_data_dir: 5 })), env: {} })).toThrow(/"class_data_dir" must be a string/);
    expect(loadServerConfig({ file: file('null.json', JSON.stringify({ classes_file: null })), env: {} }).classes_file).toBeNull();
    expect(loadTokens(loadServerConfig({ env: {}, flags: { classes_file: classesFile } }))).toEqual([]);
    expect(() => loadTokens(loadServerConfig({ env: {} }))).toThrow(/no tokens/);
  });
});
