// `evom class`: the teacher's side of a class's runs on a sandbox server (server/class-store.ts):
// list them, delete them (all, or one student's), and make a classes_file line with fresh tokens.

import { randomBytes } from 'node:crypto';
import { EvomError, UsageError } from '../errors.ts';
import { parse, type Io } from './args.ts';
import { CLASS_ID, type ClassListing as Listing } from '../rl/class-runs.ts';


/** A request to the class routes with the teacher's token; specific errors for the usual failures. */
async function classRequest(server: string, token: string, method: 'GET' | 'DELETE', query = ''): Promise<unknown> {
  let url: URL;
  try { url = new URL(`/v1/class/runs${query}`, server); } catch { throw new UsageError(`--server must be a URL such as http://HOST:8787; got ${server}`); }
  let res: Response;
  try {
    res = await fetch(url, { method, headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new EvomError(`cannot reach ${url.origin} (${cause}): is \`evom serve\` running there with a classes_file?`, 'unreachable');
  }
  const text = await res.text();
  let body: { error?: string } | null = null;
  try { body = JSON.parse(text); } catch { /* not JSON: a proxy's page */ }
  if (res.ok) return body;
  const why = body?.error ?? `HTTP ${res.status}`;
  if (res.status === 401) throw new UsageError(`the server rejected the token (${why}): give the class's teacher token (--token or EVOM_CLASS_TOKEN), as in the server's classes_file`);
  if (res.status === 403) throw new UsageError(`${why}: give the class's teacher token, not its student token`);
  if (res.status === 404) throw new EvomError(`${url.origin} does not collect class runs (${why})`, 'server');
  throw new EvomError(`${url.origin} answered ${res.status}: ${why}`, 'server');
}

const fixed = (v: number | undefined, d: number) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));

/** The class's runs as a table (pseudonym, run, model, target, steps, last reward, last accuracy, received). */
export function classTable(l: Listing): string {
  const rows = l.runs.map((r) => {
    const last = r.card.metrics.at(-1);
    return [r.pseudonym, r.run, r.card.model.id, r.card.settings.target, `${last?.step ?? 0}/${r.card.settings.steps}`,
      fixed(last?.reward_mean, 3), last ? `${(100 * last.accuracy).toFixed(1)}%` : '—', r.received.replace(/\.\d+Z$/, 'Z')];
  });
  const head = ['pseudonym', 'run', 'model', 'target', 'steps', 'last reward', 'last accuracy', 'received'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ');
  const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
  return [
    `class ${l.class}: ${l.runs_used} of ${l.limits.max_runs} runs, ${mib(l.bytes_used)} of ${mib(l.limits.max_bytes)}`,
    ...(rows.length ? ['', line(head), ...rows.map(line)] : ['no runs yet']),
  ].join('\n') + '\n';
}

export async function cmdClass(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'new-tokens') {
    const { positionals } = parse(rest, {}, true);
    const id = positionals[0];
    if (positionals.length !== 1 || !id) throw new UsageError('evom class new-tokens CLASS_ID: give one class id');
    if (!CLASS_ID.test(id)) throw new UsageError(`class id must be 1–64 letters, digits, dots, underscores or hyphens, starting with a letter or digit; got ${JSON.stringify(id)}`);
    io.stdout(`${id} ${randomBytes(24).toString('hex')} ${randomBytes(24).toString('hex')}\n`);
    io.stderr('add this line to the server\'s classes_file (chmod 600); give students the first token (student), keep the second (teacher)\n');
    return 0;
  }
  if (sub !== 'list' && sub !== 'delete') throw new UsageError(`evom class: expected list, delete or new-tokens; got ${sub === undefined ? 'nothing' : JSON.stringify(sub)}`);
  const { values } = parse(rest, { server: { type: 'string' }, token: { type: 'string' }, student: { type: 'string' }, json: { type: 'boolean' } });
  if (!values.server) throw new UsageError('--server URL is required (the sandbox server that collects the class\'s runs)');
  const token = values.token ?? process.env.EVOM_CLASS_TOKEN ?? '';
  if (!token) throw new UsageError('the class\'s teacher token is required: --token TOKEN or EVOM_CLASS_TOKEN');
  if (sub === 'list') {
    if (values.student !== undefined) throw new UsageError('--student is for `evom class delete`');
    const l = await classRequest(values.server, token, 'GET') as Listing;
    io.stdout(values.json ? JSON.stringify(l) + '\n' : classTable(l));
    return 0;
  }
  const query = values.student !== undefined ? `?pseudonym=${encodeURIComponent(values.student)}` : '';
  const r = await classRequest(values.server, token, 'DELETE', query) as { class: string; deleted: number };
  if (values.json) io.stdout(JSON.stringify(r) + '\n');
  else io.stdout(values.student !== undefined
    ? `class ${r.class}: deleted ${r.deleted} runs of ${JSON.stringify(values.student)} and freed the pseudonym\n`
    : `class ${r.class}: deleted ${r.deleted} runs and every pseudonym\n`);
  return 0;
}
