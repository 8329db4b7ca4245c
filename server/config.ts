// The sandbox server's settings: defaults here, overridden by a JSON config file, then by the
// environment, then by command-line flags. Every field is documented in the README.

import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { EvomError } from '../src/errors.ts';

export interface ServerConfig {
  host: string;
  port: number;
  /** file with one bearer token per line (# comments and blank lines ignored) */
  tokens_file: string | null;
  /** tokens given directly (EVOM_SERVER_TOKENS, comma- or space-separated) */
  tokens: string[];
  /** serve without any token (only for a server bound to loopback on a single-user machine) */
  allow_anonymous: boolean;
  /** let /run_code be called without a token (verl's SandboxFusion client sends none): private networks only */
  anonymous_run_code: boolean;
  /** sandboxed runs at once (default: the number of cores) */
  workers: number;
  /** requests waiting for a sandbox before new ones get 503 */
  queue_size: number;
  /** runs of one token in sandboxes at once; its other accepted runs wait in line */
  per_token_concurrency: number;
  /** runs one token may have accepted at once, running or waiting (beyond: 429); at least max_batch */
  per_token_pending: number;
  /** runs one token may start per minute (beyond: 429 with Retry-After) */
  per_token_rate_per_minute: number;
  /** request body limit, bytes (413 beyond) */
  max_request_bytes: number;
  /** model code limit, bytes */
  max_code_bytes: number;
  /** items in one /v1/batch request */
  max_batch: number;
  /** stdout + stderr kept per run, bytes (the run is stopped beyond it) */
  max_output_bytes: number;
  default_time_limit_s: number;
  max_time_limit_s: number;
  default_memory_mb: number;
  max_memory_mb: number;
  /** origins allowed to call from browsers (CORS); "*" allows any */
  cors_origins: string[];
  /** Host header values accepted (DNS-rebinding defence), e.g. "verifier.example.org" or "10.0.0.5:8787";
   *  the bound address, loopback names and (on 0.0.0.0 / ::) this machine's addresses and hostname are
   *  always accepted; "*" accepts any */
  allowed_hosts: string[];
  /** open connections at once (further ones first evict an idle connection that never authenticated) */
  max_connections: number;
  /** open connections from one address at once */
  max_connections_per_address: number;
  /** seconds a connection may take to send a request's headers (idle and trickling connections: 408) */
  headers_timeout_s: number;
  /** seconds a request may take to arrive whole, body included (408 beyond) */
  request_timeout_s: number;
  /** seconds a run with an Idempotency-Key keeps going after its client went away (its retry joins it);
   *  runs without a key stop at once */
  retry_grace_s: number;
  /** start even when the tokens file is readable by group or others */
  allow_shared_tokens_file: boolean;
  /** sandbox: Python interpreter and extra read-only paths (solver installs, license files) */
  python: string | null;
  python_path: string[];
  read_only_paths: string[];
  /** seconds to let in-flight requests finish on SIGTERM/SIGINT */
  shutdown_grace_s: number;
  /** classes whose students' Studios send their run cards here (server/class-store.ts): one class a line,
   *  `CLASS_ID STUDENT_TOKEN TEACHER_TOKEN`; null: collection off */
  classes_file: string | null;
  /** one folder per class, one JSON file per run, loaded at start; null: kept in memory, lost at restart */
  class_data_dir: string | null;
  /** runs one class may hold (a new run beyond: 507) */
  class_max_runs: number;
  /** runs one pseudonym may hold in a class (a new run beyond: 507) */
  class_max_runs_per_student: number;
  /** bytes of stored runs one class may hold (beyond: 507) */
  class_max_bytes: number;
  /** one upload's body, bytes (413 beyond) */
  class_max_upload_bytes: number;
  /** uploads one class may make per minute (beyond: 429 with Retry-After) */
  class_uploads_per_minute: number;
}

export const SERVER_DEFAULTS: ServerConfig = {
  host: '127.0.0.1',
  port: 8787,
  tokens_file: null,
  tokens: [],
  allow_anonymous: false,
  anonymous_run_code: false,
  workers: availableParallelism(),
  queue_size: 256,
  per_token_concurrency: 16,
  per_token_pending: 128,
  per_token_rate_per_minute: 600,
  max_request_bytes: 4 * 1024 * 1024,
  max_code_bytes: 256 * 1024,
  max_batch: 64,
  max_output_bytes: 64 * 1024,
  default_time_limit_s: 10,
  max_time_limit_s: 120,
  default_memory_mb: 2048,
  max_memory_mb: 8192,
  cors_origins: [],
  allowed_hosts: [],
  max_connections: 1024,
  max_connections_per_address: 256,
  headers_timeout_s: 10,
  request_timeout_s: 60,
  retry_grace_s: 30,
  allow_shared_tokens_file: false,
  python: null,
  python_path: ['/usr/lib/python3/dist-packages'],
  read_only_paths: [],
  shutdown_grace_s: 30,
  classes_file: null, // class collection off
  class_data_dir: null, // a class's runs in memory only
  class_max_runs: 300, // a class of 30 with 10 runs each
  class_max_runs_per_student: 20,
  class_max_bytes: 32 * 1024 * 1024, // ~100 KiB per run at the run quota
  class_max_upload_bytes: 512 * 1024, // a card of a long run with evaluations is well under it
  class_uploads_per_minute: 240, // 30 Studios sending a card every 7.5 s
};

export class ServerConfigError extends EvomError {
  constructor(message: string) { super(message, 'server_config'); }
}

const ENV: Record<string, keyof ServerConfig> = {
  EVOM_SERVER_HOST: 'host', EVOM_SERVER_PORT: 'port', EVOM_SERVER_TOKENS_FILE: 'tokens_file',
  EVOM_SERVER_TOKENS: 'tokens', EVOM_SERVER_WORKERS: 'workers', EVOM_SERVER_QUEUE_SIZE: 'queue_size',
  EVOM_SERVER_CORS_ORIGINS: 'cors_origins', EVOM_SERVER_PYTHON: 'python', EVOM_SERVER_READ_ONLY_PATHS: 'read_only_paths',
  EVOM_SERVER_ALLOWED_HOSTS: 'allowed_hosts', EVOM_SERVER_CLASSES_FILE: 'classes_file', EVOM_SERVER_CLASS_DATA_DIR: 'class_data_dir',
};

/** The settings that may be null (a file or folder that is not given). */
const NULLABLE: readonly (keyof ServerConfig)[] = ['tokens_file', 'python', 'classes_file', 'class_data_dir'];

/** Check a value against the default's type; lists from strings split on commas or spaces. */
function coerce(key: keyof ServerConfig, value: unknown, where: string): unknown {
  const dflt = SERVER_DEFAULTS[key];
  if (Array.isArray(dflt)) {
    if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  } else if (typeof dflt === 'number') {
    const n = typeof value === 'string' ? Number(value) : value;
    if (typeof n === 'number' && Number.isFinite(n) && n >= 0) return n;
  } else if (typeof dflt === 'boolean') {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
  } else if (typeof value === 'string' || (value === null && NULLABLE.includes(key))) {
    return value;
  }
  throw new ServerConfigError(`${where}: "${key}" must be ${Array.isArray(dflt) ? 'a list of strings' : typeof dflt === 'object' ? 'a string' : `a ${typeof dflt}`}; got ${JSON.stringify(value)}`);
}

/** Defaults ← config file ← environment ← flags. */
export function loadServerConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; flags?: Partial<ServerConfig> } = {}): ServerConfig {
  const cfg: Record<string, unknown> = { ...SERVER_DEFAULTS };
  if (opts.file) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(opts.file, 'utf8'));
    } catch (e) {
      throw new ServerConfigError(`${opts.file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `not valid JSON (${(e as Error).message})`}`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ServerConfigError(`${opts.file}: must be a JSON object`);
    for (const [k, v] of Object.entries(json)) {
      if (!(k in SERVER_DEFAULTS)) throw new ServerConfigError(`${opts.file}: unknown setting "${k}"; known: ${Object.keys(SERVER_DEFAULTS).join(', ')}`);
      cfg[k] = coerce(k as keyof ServerConfig, v, opts.file);
    }
  }
  const env = opts.env ?? process.env;
  for (const [name, key] of Object.entries(ENV)) if (env[name] !== undefined) cfg[key] = coerce(key, env[name], name);
  for (const [k, v] of Object.entries(opts.flags ?? {})) if (v !== undefined) cfg[k] = coerce(k as keyof ServerConfig, v, `--${k.replace(/_/g, '-')}`);
  const c = cfg as unknown as ServerConfig;
  if (c.default_time_limit_s > c.max_time_limit_s) throw new ServerConfigError(`default_time_limit_s (${c.default_time_limit_s}) exceeds max_time_limit_s (${c.max_time_limit_s})`);
  if (c.workers < 1) throw new ServerConfigError('workers must be at least 1');
  if (c.per_token_pending < c.max_batch) throw new ServerConfigError(`per_token_pending (${c.per_token_pending}) must be at least max_batch (${c.max_batch}): a full batch could never be accepted`);
  if (c.request_timeout_s < c.headers_timeout_s) throw new ServerConfigError(`request_timeout_s (${c.request_timeout_s}) must be at least headers_timeout_s (${c.headers_timeout_s})`);
  if (c.per_token_concurrency < 1) throw new ServerConfigError('per_token_concurrency must be at least 1');
  if (c.max_connections_per_address < 1 || c.max_connections < 1) throw new ServerConfigError('max_connections and max_connections_per_address must be at least 1');
  for (const k of ['class_max_runs', 'class_max_runs_per_student', 'class_max_bytes', 'class_max_upload_bytes', 'class_uploads_per_minute'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new ServerConfigError(`${k} must be an integer ≥ 1; got ${c[k]}`);
  }
  if ((c.allow_anonymous || c.anonymous_run_code) && !isLoopback(c.host)) {
    throw new ServerConfigError(`${c.allow_anonymous ? 'allow_anonymous' : 'anonymous_run_code'} serves without a token, so it is refused on host ${c.host}: bind to 127.0.0.1 (or ::1), or give tokens`);
  }
  return c;
}

/** 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\./.test(h);
}

/** Tokens from the file and the config; the file is read once at start. */
export function loadTokens(cfg: ServerConfig): string[] {
  const tokens = [...cfg.tokens];
  if (cfg.tokens_file) {
    let text: string;
    try {
      text = readFileSync(cfg.tokens_file, 'utf8');
    } catch (e) {
      throw new ServerConfigError(`tokens file ${cfg.tokens_file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message}`);
    }
    text.split(/\r?\n/).forEach((line, i) => {
      const t = line.trim();
      if (!t || t.startsWith('#')) return;
      // a token with inner whitespace could never match a bearer header
      if (/\s/.test(t)) throw new ServerConfigError(`tokens file ${cfg.tokens_file}, line ${i + 1}: a token may not contain spaces or tabs (one token per line)`);
      tokens.push(t);
    });
    checkPrivate(cfg.tokens_file, 'tokens file', cfg);
  }
  for (const t of tokens) if (t.length < 16) throw new ServerConfigError('every token must be at least 16 characters (use e.g. `openssl rand -hex 24`)');
  // a server that only collects a class's runs needs no sandbox token
  if (tokens.length === 0 && !cfg.allow_anonymous && !cfg.classes_file) {
    throw new ServerConfigError('no tokens: give --tokens FILE (one token per line) or EVOM_SERVER_TOKENS, or set allow_anonymous in the config file for a loopback-only server');
  }
  return tokens;
}

/** Refuse a secrets file that its group or others can read (unless allow_shared_tokens_file). */
export function checkPrivate(file: string, what: string, cfg: ServerConfig): void {
  const mode = statSync(file).mode;
  if ((mode & 0o077) !== 0 && !cfg.allow_shared_tokens_file) {
    throw new ServerConfigError(`${what} ${file} is readable by ${mode & 0o070 ? 'its group' : ''}${(mode & 0o070) && (mode & 0o007) ? ' and ' : ''}${mode & 0o007 ? 'others' : ''} (mode ${(mode & 0o777).toString(8)}): run \`chmod 600 ${file}\`, or set allow_shared_tokens_file`);
  }
}
