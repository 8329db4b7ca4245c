// A class's runs, collected by the teacher's sandbox server (issue 23). Each student's Studio sends
// its run card under a pseudonym it chose (no account, no e-mail); the teacher's compare view lists
// the class's runs. One namespace per class (classes_file: `CLASS_ID STUDENT_TOKEN TEACHER_TOKEN`),
// per-class quotas, and only what the compare view needs is kept: one JSON file per run under
// class_data_dir/CLASS_ID/ (or memory only). A pseudonym belongs to the browser that chose it: the
// upload that claims it gets a random key, of which only the sha256 is kept, and every later upload
// under it must carry that key. The HTTP routes are in http.ts; `evom class` (src/cli/class.ts) is
// the teacher's command line.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../src/errors.ts';
import { parseRunCard, type RunCard } from '../src/rl/run-card.ts';
import { DEFAULTS as VERIFIER_DEFAULTS } from '../src/verifier/config.ts';
import { OUTCOME_CLASSES } from '../src/verifier/outcome.ts';
import { checkPrivate, ServerConfigError, type ServerConfig } from './config.ts';
import { CLASS_ID, PSEUDONYM, RUN_ID, type ClassLimits, type ListedRun, type StoredCard } from '../src/rl/class-runs.ts';

export { CLASS_ID, PSEUDONYM, RUN_ID, type ClassLimits, type ListedRun, type StoredCard };
const KEY = /^[0-9a-f]{32}$/;
/** Keys refused anywhere in an upload (prototype pollution in whoever reads the JSON back). */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 32;

export interface ClassDef { id: string; student: string; teacher: string }
export type ClassRole = 'student' | 'teacher';

/** The classes of classes_file (read once at start); a malformed line stops the start, naming it. */
export function loadClasses(cfg: ServerConfig, sandboxTokens: readonly string[]): ClassDef[] {
  const file = cfg.classes_file;
  if (!file) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ServerConfigError(`classes file ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message}`);
  }
  const defs: ClassDef[] = [];
  const seen = new Set<string>(sandboxTokens);
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith('#')) return;
    const at = `classes file ${file}, line ${i + 1}`;
    const f = t.split(/\s+/);
    if (f.length !== 3) throw new ServerConfigError(`${at}: expected 3 fields (CLASS_ID STUDENT_TOKEN TEACHER_TOKEN); got ${f.length} (\`evom class new-tokens CLASS_ID\` prints a line)`);
    const [id, student, teacher] = f as [string, string, string];
    if (!CLASS_ID.test(id)) throw new ServerConfigError(`${at}: class id must be 1–64 letters, digits, dots, underscores or hyphens, starting with a letter or digit`);
    if (defs.some((d) => d.id === id)) throw new ServerConfigError(`${at}: class "${id}" is listed twice`);
    for (const [name, tok] of [['student', student], ['teacher', teacher]] as const) {
      if (tok.length < 16) throw new ServerConfigError(`${at}: the ${name} token must be at least 16 characters (use e.g. \`openssl rand -hex 24\`)`);
      if (seen.has(tok)) throw new ServerConfigError(`${at}: the ${name} token is used elsewhere (every class token must differ from every other token, sandbox tokens included)`);
      seen.add(tok);
    }
    defs.push({ id, student, teacher });
  });
  checkPrivate(file, 'classes file', cfg);
  return defs;
}

/** A refused class request: status, a message for the client, and what the log may say (never a
 *  pseudonym or anything from a card). */
export class ClassError extends Error {
  constructor(readonly status: number, message: string, readonly logAs: string, readonly headers: Record<string, string> = {}) { super(message); }
}

/** A run's file: the listed run and the sha256 of its pseudonym's key. */
interface RunFile extends ListedRun { key_sha256: string }


const sha256 = (s: string) => createHash('sha256').update(s).digest();
const fold = (pseudonym: string) => pseudonym.toLowerCase();
const isRec = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (msg: string, logAs = 'invalid upload') => new ClassError(400, msg, logAs);

/** Refuse __proto__ / constructor / prototype keys and nesting beyond MAX_DEPTH (iterative: no stack to exhaust). */
function checkKeys(v: unknown): void {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length) {
    const [x, depth] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (depth > MAX_DEPTH) throw bad(`the upload is nested more than ${MAX_DEPTH} levels deep`);
    for (const k of Object.keys(x)) {
      if (FORBIDDEN_KEYS.has(k)) throw bad(`the key "${k}" is not allowed in an upload`, 'forbidden key');
      stack.push([(x as Record<string, unknown>)[k], depth + 1]);
    }
  }
}

/** The pseudonym as stored: NFC, trimmed, checked against PSEUDONYM. */
export function pseudonymOf(v: unknown): string {
  if (typeof v !== 'string') throw bad('"pseudonym" must be a string (the name you chose for this class)');
  const p = v.normalize('NFC').trim();
  if (!PSEUDONYM.test(p)) throw bad('"pseudonym" must be 1–40 letters, digits, spaces, dots, underscores or hyphens, starting with a letter or digit');
  return p;
}

/** The reward's range per completion: the verifier's weights (format + answer + exec: 2 by default);
 *  DAPO's overlong shaping subtracts up to 1 in training (src/rl/grpo.ts). */
const REWARD_MAX = Math.max(0, VERIFIER_DEFAULTS.reward.format) + Math.max(0, VERIFIER_DEFAULTS.reward.answer) + Math.max(0, VERIFIER_DEFAULTS.reward.exec);

/** What a real run could not have produced: the first problem found, or null. */
export function implausible(card: RunCard): string | null {
  const s = card.settings;
  const lo = s.algo === 'dapo' ? -1 : 0;
  const fraction = (v: number) => v >= 0 && v <= 1;
  const nonNegInt = (v: number) => Number.isInteger(v) && v >= 0;
  if (card.metrics.length > s.steps) return `"metrics" has ${card.metrics.length} steps; settings.steps is ${s.steps}`;
  let prev = 0;
  for (const [i, m] of card.metrics.entries()) {
    const at = `metrics[${i}]`;
    for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && !Number.isFinite(v)) return `"${at}.${k}" must be a finite number`;
    for (const [k, v] of Object.entries(m.classes)) if (!nonNegInt(v)) return `"${at}.classes.${k}" must be an integer ≥ 0; got ${v}`;
    for (const [k, v] of Object.entries(m.ms)) if (!(Number.isFinite(v) && v >= 0)) return `"${at}.ms.${k}" must be a finite number ≥ 0`;
    if (!Number.isInteger(m.step) || m.step < 1) return `"${at}.step" must be an integer ≥ 1; got ${m.step}`;
    if (m.step <= prev) return `"${at}.step" (${m.step}) must be greater than the step before it (${prev})`;
    if (m.step > s.steps) return `"${at}.step" (${m.step}) exceeds settings.steps (${s.steps})`;
    prev = m.step;
    for (const k of ['accuracy', 'format_rate', 'exec_rate', 'clip_fraction'] as const) if (!fraction(m[k])) return `"${at}.${k}" must be in [0, 1]; got ${m[k]}`;
    if (m.reward_mean < lo || m.reward_mean > REWARD_MAX) return `"${at}.reward_mean" must be in [${lo}, ${REWARD_MAX}] (the reward's range); got ${m.reward_mean}`;
    if (m.reward_std < 0 || m.reward_std > (REWARD_MAX - lo) / 2) return `"${at}.reward_std" must be in [0, ${(REWARD_MAX - lo) / 2}]; got ${m.reward_std}`;
    for (const k of ['groups_used', 'groups_dropped'] as const) if (!nonNegInt(m[k])) return `"${at}.${k}" must be an integer ≥ 0; got ${m[k]}`;
    for (const k of ['lr', 'grad_norm', 'entropy', 'tokens_per_s'] as const) if (m[k] < 0) return `"${at}.${k}" must be ≥ 0; got ${m[k]}`;
    if (m.completion_length < 0 || m.completion_length > s.maxNewTokens) return `"${at}.completion_length" must be in [0, ${s.maxNewTokens}] (settings.maxNewTokens); got ${m.completion_length}`;
  }
  for (const [i, e] of card.evaluations.entries()) {
    const at = `evaluations[${i}].summary`, x = e.summary;
    for (const k of ['execution_rate', 'accuracy', 'accuracy_all_items', 'format_rate'] as const) if (!(Number.isFinite(x[k]) && fraction(x[k]))) return `"${at}.${k}" must be in [0, 1]; got ${x[k]}`;
    if (x.accuracy_all_items_other !== null && !(Number.isFinite(x.accuracy_all_items_other) && fraction(x.accuracy_all_items_other))) return `"${at}.accuracy_all_items_other" must be in [0, 1] or null`;
    if (!(Number.isFinite(x.mean_reward) && x.mean_reward >= 0 && x.mean_reward <= REWARD_MAX)) return `"${at}.mean_reward" must be in [0, ${REWARD_MAX}] (the reward's range); got ${x.mean_reward}`;
    if (!(Number.isFinite(x.wall_ms) && x.wall_ms >= 0)) return `"${at}.wall_ms" must be a finite number ≥ 0`;
    for (const [k, v] of Object.entries(x.counts)) if (!nonNegInt(v)) return `"${at}.counts.${k}" must be an integer ≥ 0; got ${v}`;
    const correct = x.counts.correct ?? 0;
    if (correct > x.scored) return `"${at}.counts.correct" (${correct}) exceeds the completions scored (${x.scored})`;
    if (x.scored > x.count) return `"${at}.scored" (${x.scored}) exceeds the completions evaluated (${x.count})`;
    if (x.not_evaluated > x.count) return `"${at}.not_evaluated" (${x.not_evaluated}) exceeds the completions evaluated (${x.count})`;
    if (x.items_scored > x.benchmark_items) return `"${at}.items_scored" (${x.items_scored}) exceeds the benchmark's items (${x.benchmark_items})`;
    if (x.missing > x.benchmark_items) return `"${at}.missing" (${x.missing}) exceeds the benchmark's items (${x.benchmark_items})`;
  }
  return null;
}

/** Only the outcome classes this software knows (a forged card could carry any number of keys). */
const knownClasses = <T extends Record<string, number>>(c: T): T =>
  Object.fromEntries(OUTCOME_CLASSES.filter((k) => k in c).map((k) => [k, c[k]])) as T;

/** The stored subset of a validated card. */
function storedCard(c: RunCard): StoredCard {
  return {
    ...(c.title !== undefined ? { title: c.title } : {}),
    model: { kind: c.model.kind, id: c.model.id },
    settings: { ...c.settings },
    data: { description: c.data.description, train_items: c.data.train_items, eval_items: c.data.eval_items },
    ...(c.adapter_from !== undefined ? { adapter_from: c.adapter_from } : {}),
    metrics: c.metrics.map((m) => ({ ...m, classes: knownClasses(m.classes), ms: { ...m.ms } })),
    evaluations: c.evaluations.map((e) => ({ label: e.label, target: e.target, summary: { ...e.summary, counts: knownClasses(e.summary.counts) } })),
  };
}

/** An upload's body, checked: pseudonym, run id, card (parseRunCard, then plausibility), key. */
export function parseUpload(body: unknown): { pseudonym: string; run: string; card: StoredCard; key: string | undefined } {
  checkKeys(body);
  if (!isRec(body)) throw bad('the body must be a JSON object {pseudonym, run, card, key?}');
  const pseudonym = pseudonymOf(body.pseudonym);
  if (typeof body.run !== 'string' || !RUN_ID.test(body.run)) throw bad('"run" must be 1–64 letters, digits, dots, underscores or hyphens (the Studio\'s run id)');
  if (body.key !== undefined && typeof body.key !== 'string') throw bad('"key" must be a string (the key this server gave when the pseudonym was chosen)');
  if (body.card === undefined) throw bad('"card" is missing (the run card)');
  let card: RunCard;
  try {
    card = parseRunCard(JSON.stringify(body.card), 'upload');
  } catch (e) {
    throw bad(`not a valid run card: ${e instanceof DataError ? e.reason : (e as Error).message}`, 'invalid card');
  }
  const problem = implausible(card);
  if (problem) throw bad(`implausible run card: ${problem}`, 'implausible card');
  return { pseudonym, run: body.run, card: storedCard(card), key: body.key };
}

interface Claim { name: string; keyHash: Buffer; runs: number }
interface Entry { file: RunFile; bytes: number; name: string }
interface ClassState {
  def: ClassDef;
  runs: Map<string, Entry>; // by file name: sha256(folded pseudonym \0 run)
  claims: Map<string, Claim>; // by folded pseudonym
  bytes: number;
  revision: number;
  listed: { revision: number; text: string } | null;
  /** the class's file writes and deletions, in order */
  io: Promise<void>;
}

export interface UploadResult { pseudonym: string; run: string; key?: string; runs_used: number; bytes_used: number; limits: ClassLimits }

export type ClassLog = (entry: Record<string, unknown>) => void;

export class ClassStore {
  readonly limits: ClassLimits;
  private readonly classes = new Map<string, ClassState>();
  private readonly tokens: { hash: Buffer; id: string; role: ClassRole }[] = [];

  private constructor(private readonly cfg: ServerConfig, defs: ClassDef[], private readonly log: ClassLog) {
    this.limits = { max_runs: cfg.class_max_runs, max_runs_per_student: cfg.class_max_runs_per_student, max_bytes: cfg.class_max_bytes, max_upload_bytes: cfg.class_max_upload_bytes };
    // a revision that starts from the clock: an ETag from before a restart never matches after it
    const start = Date.now();
    for (const def of defs) {
      this.classes.set(def.id, { def, runs: new Map(), claims: new Map(), bytes: 0, revision: start, listed: null, io: Promise.resolve() });
      this.tokens.push({ hash: sha256(def.student), id: def.id, role: 'student' }, { hash: sha256(def.teacher), id: def.id, role: 'teacher' });
    }
  }

  /** The classes of classes_file with their stored runs (class_data_dir), or null when collection is off. */
  static async open(cfg: ServerConfig, sandboxTokens: readonly string[], log: ClassLog = () => {}): Promise<ClassStore | null> {
    if (!cfg.classes_file) return null;
    const store = new ClassStore(cfg, loadClasses(cfg, sandboxTokens), log);
    if (cfg.class_data_dir) await store.load(cfg.class_data_dir);
    return store;
  }

  get classIds(): string[] { return [...this.classes.keys()]; }

  /** The class and role of a token, or null; every class token is compared, in constant time. */
  identify(token: string): { id: string; role: ClassRole } | null {
    const h = sha256(token);
    let found: { id: string; role: ClassRole } | null = null;
    for (const t of this.tokens) if (timingSafeEqual(h, t.hash) && !found) found = { id: t.id, role: t.role };
    return found;
  }

  usage(id: string): { runs_used: number; bytes_used: number } {
    const c = this.state(id);
    return { runs_used: c.runs.size, bytes_used: c.bytes };
  }

  revision(id: string): number { return this.state(id).revision; }

  private state(id: string): ClassState {
    const c = this.classes.get(id);
    if (!c) throw new ClassError(404, `no class "${id}" on this server`, 'unknown class');
    return c;
  }

  private dir(id: string): string | null {
    return this.cfg.class_data_dir ? join(this.cfg.class_data_dir, id) : null;
  }

  private static fileName(pseudonym: string, run: string): string {
    return `${sha256(`${fold(pseudonym)}\u0000${run}`).toString('hex').slice(0, 32)}.json`;
  }

  /** Run `op` after the class's earlier writes; errors reach the caller, not the queue. */
  private queue(c: ClassState, op: () => Promise<void>): Promise<void> {
    const p = c.io.then(op);
    c.io = p.catch(() => {});
    return p;
  }

  private changed(c: ClassState): void {
    c.revision++;
    c.listed = null;
  }

  /** Store one run (a new one, or a newer card of a run already here). */
  async upload(id: string, body: unknown, now = new Date()): Promise<UploadResult> {
    const c = this.state(id);
    const u = parseUpload(body);
    const folded = fold(u.pseudonym);
    const claim = c.claims.get(folded);
    let newKey: string | undefined;
    if (claim) {
      if (u.key === undefined) throw new ClassError(409, `the pseudonym ${JSON.stringify(u.pseudonym)} is taken in this class: choose another (or use the browser that chose it)`, 'pseudonym taken');
      const given = KEY.test(u.key) ? sha256(u.key) : Buffer.alloc(32);
      if (!timingSafeEqual(given, claim.keyHash) || !KEY.test(u.key)) throw new ClassError(403, `wrong key for the pseudonym ${JSON.stringify(u.pseudonym)}: this browser did not choose it`, 'wrong key');
    } else newKey = randomBytes(16).toString('hex');
    const name = ClassStore.fileName(u.pseudonym, u.run);
    const old = c.runs.get(name);
    const file: RunFile = {
      pseudonym: claim?.name ?? u.pseudonym, run: u.run, received: now.toISOString(),
      key_sha256: (claim?.keyHash ?? sha256(newKey!)).toString('hex'), card: u.card,
    };
    const text = JSON.stringify(file);
    const bytes = Buffer.byteLength(text);
    if (!old) {
      if (c.runs.size + 1 > this.limits.max_runs) throw new ClassError(507, `this class holds ${c.runs.size} runs, its quota (class_max_runs ${this.limits.max_runs}): ask the teacher to delete some`, 'quota: class_max_runs');
      if ((claim?.runs ?? 0) + 1 > this.limits.max_runs_per_student) throw new ClassError(507, `this pseudonym holds ${claim!.runs} runs, the quota per student (class_max_runs_per_student ${this.limits.max_runs_per_student})`, 'quota: class_max_runs_per_student');
    }
    const bytesAfter = c.bytes - (old?.bytes ?? 0) + bytes;
    if (bytesAfter > this.limits.max_bytes) throw new ClassError(507, `storing this run would bring the class to ${bytesAfter} bytes, over its quota (class_max_bytes ${this.limits.max_bytes})`, 'quota: class_max_bytes');
    // accepted: memory first (the quotas see it at once), then the file, in the class's order
    c.runs.set(name, { file, bytes, name });
    c.bytes = bytesAfter;
    if (claim) { if (!old) claim.runs++; } else c.claims.set(folded, { name: file.pseudonym, keyHash: sha256(newKey!), runs: 1 });
    this.changed(c);
    const dir = this.dir(id);
    if (dir) {
      await this.queue(c, async () => {
        const tmp = join(dir, `${name}.tmp-${randomBytes(4).toString('hex')}`);
        await writeFile(tmp, text, { mode: 0o600 });
        await rename(tmp, join(dir, name));
      }).catch((e) => {
        this.log({ level: 'error', msg: 'class run not written', class_id: id, error: (e as NodeJS.ErrnoException).code ?? 'write failed' });
        throw new ClassError(500, 'the run is held in memory but could not be written to class_data_dir (see the server log)', 'write failed');
      });
    }
    return { pseudonym: file.pseudonym, run: file.run, ...(newKey ? { key: newKey } : {}), runs_used: c.runs.size, bytes_used: c.bytes, limits: this.limits };
  }

  /** The class's runs as the GET answers them (JSON text, built once per revision). */
  list(id: string): { revision: number; text: string } {
    const c = this.state(id);
    if (c.listed?.revision !== c.revision) {
      const runs: ListedRun[] = [...c.runs.values()]
        .map((e) => ({ pseudonym: e.file.pseudonym, run: e.file.run, received: e.file.received, card: e.file.card }))
        .sort((a, b) => cmp(fold(a.pseudonym), fold(b.pseudonym)) || cmp(a.run, b.run));
      c.listed = { revision: c.revision, text: JSON.stringify({ class: id, revision: c.revision, runs, runs_used: c.runs.size, bytes_used: c.bytes, limits: this.limits }) };
    }
    return c.listed;
  }

  /** Delete every run and pseudonym of a class (or one pseudonym's); the number of runs deleted. */
  async remove(id: string, pseudonym?: string): Promise<number> {
    const c = this.state(id);
    const only = pseudonym === undefined ? null : fold(pseudonymOf(pseudonym));
    const gone = [...c.runs.values()].filter((e) => only === null || fold(e.file.pseudonym) === only);
    for (const e of gone) { c.runs.delete(e.name); c.bytes -= e.bytes; }
    if (only === null) c.claims.clear(); else c.claims.delete(only);
    this.changed(c);
    const dir = this.dir(id);
    if (dir) {
      await this.queue(c, async () => {
        // the whole class: everything in its folder (runs, and any temporary file of a write cut short)
        const names = only === null ? await readdir(dir) : gone.map((e) => e.name);
        await Promise.all(names.map((n) => rm(join(dir, n), { force: true, recursive: true })));
      }).catch((e) => {
        this.log({ level: 'error', msg: 'class runs not deleted from disk', class_id: id, error: (e as NodeJS.ErrnoException).code ?? 'delete failed' });
        throw new ClassError(500, 'the runs are gone from memory but their files could not be deleted (see the server log)', 'delete failed');
      });
    }
    return gone.length;
  }

  /** Read every class's folder (created when missing); files that are not runs are skipped and counted. */
  private async load(root: string): Promise<void> {
    await mkdir(root, { recursive: true, mode: 0o700 });
    for (const [id, c] of this.classes) {
      const dir = join(root, id);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      let skipped = 0;
      for (const name of await readdir(dir)) {
        if (name.includes('.tmp-')) { await rm(join(dir, name), { force: true }); continue; }
        try {
          const text = await readFile(join(dir, name), 'utf8');
          const f = runFileOf(JSON.parse(text));
          if (!f || ClassStore.fileName(f.pseudonym, f.run) !== name) { skipped++; continue; }
          const folded = fold(f.pseudonym);
          const claim = c.claims.get(folded);
          if (claim && claim.keyHash.toString('hex') !== f.key_sha256) { skipped++; continue; }
          if (claim) claim.runs++; else c.claims.set(folded, { name: f.pseudonym, keyHash: Buffer.from(f.key_sha256, 'hex'), runs: 1 });
          const bytes = Buffer.byteLength(text);
          c.runs.set(name, { file: f, bytes, name });
          c.bytes += bytes;
        } catch { skipped++; }
      }
      this.log({ level: skipped ? 'warn' : 'info', msg: 'class loaded', class_id: id, runs: c.runs.size, bytes: c.bytes, ...(skipped ? { skipped } : {}) });
    }
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A run file as written by upload(), or null. */
function runFileOf(v: unknown): RunFile | null {
  if (!isRec(v) || !isRec(v.card)) return null;
  const { pseudonym, run, received, key_sha256 } = v;
  if (typeof pseudonym !== 'string' || !PSEUDONYM.test(pseudonym) || typeof run !== 'string' || !RUN_ID.test(run)) return null;
  if (typeof received !== 'string' || Number.isNaN(Date.parse(received)) || typeof key_sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(key_sha256)) return null;
  return { pseudonym, run, received, key_sha256, card: v.card as unknown as StoredCard };
}
