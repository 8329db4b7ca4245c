// What every command shares: the I/O it writes to, flag parsing with typed errors, and the flags
// that several commands take (target, tolerance, protocol, sandbox servers, progress).

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.ts';
import { HUB_URL } from '../model/hub.ts';
import { requireTarget } from '../targets/registry.ts';
import { DEFAULTS, type ProtocolStrictness } from '../verifier/config.ts';
import type { RemoteVerifier } from '../verifier/remote.ts';
import type { RemoteServers } from '../host/engine-host.ts';
import { isToleranceRule, TOLERANCE_RULES, type ToleranceRule } from '../verifier/tolerance.ts';

export type Io = { stdout: (s: string) => void; stderr: (s: string) => void; stdin: () => Promise<string>; stderrIsTty: boolean };

export const defaultIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  stderrIsTty: Boolean(process.stderr.isTTY),
};

export type Options = NonNullable<ParseArgsConfig['options']>;
export function parse<const O extends Options>(args: string[], options: O, positionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals: positionals, strict: true as const });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** --target: a registered target; one that runs on a sandbox server needs --server. */
export function targetFlag(t: unknown, remote = false): string {
  if (typeof t !== 'string') throw new UsageError('--target is required');
  const m = requireTarget(t);
  if (m.runs === 'sandbox' && !remote) throw new UsageError(`target "${t}" runs on a sandbox server: give --server URL (with EVOM_SERVER_TOKEN or --token-file FILE)`);
  return t;
}

/** --hub-url, else HF_ENDPOINT, else the Hugging Face Hub. */
export function hubUrlOf(v: unknown): string {
  return String(v ?? process.env.HF_ENDPOINT ?? HUB_URL);
}

/** Sandbox servers for Python targets: --server URL[,URL…] and the token from a file or EVOM_SERVER_TOKEN. */
export async function remoteServersFrom(values: { server?: string; 'token-file'?: string }): Promise<RemoteServers | undefined> {
  if (!values.server) return undefined;
  let token = process.env.EVOM_SERVER_TOKEN ?? '';
  if (values['token-file']) {
    try { token = (await readFile(values['token-file'], 'utf8')).split(/\r?\n/).map((l) => l.trim()).find((l) => l && !l.startsWith('#')) ?? ''; } catch { throw new UsageError(`cannot read --token-file ${values['token-file']}`); }
  }
  if (!token) throw new UsageError('--server needs a token: EVOM_SERVER_TOKEN or --token-file FILE');
  return { urls: values.server.split(',').map((u) => u.trim()).filter(Boolean), token };
}

/** The same servers as a client for this process's verifier pool. */
export async function remoteFrom(values: { server?: string; 'token-file'?: string }): Promise<RemoteVerifier | undefined> {
  const servers = await remoteServersFrom(values);
  if (!servers) return undefined;
  const { RemoteVerifier } = await import('../verifier/remote.ts');
  return new RemoteVerifier(servers);
}

export function toleranceOf(t: unknown): ToleranceRule {
  if (t === undefined) return DEFAULTS.tolerance;
  if (typeof t !== 'string' || !isToleranceRule(t)) throw new UsageError(`--tolerance must be one of ${TOLERANCE_RULES.join(', ')}; got ${String(t)}`);
  return t;
}

export function protocolOf(p: unknown): ProtocolStrictness {
  if (p === undefined) return DEFAULTS.protocol;
  if (p !== 'strict' && p !== 'lenient') throw new UsageError(`--protocol must be strict or lenient; got ${String(p)}`);
  return p;
}

export function intFlag(v: unknown, name: string, dflt: number, min = 0): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer ≥ ${min}; got ${String(v)}`);
  return n;
}

export function numFlag(v: unknown, name: string, dflt: number, lo: number, hi: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < lo || n > hi) throw new UsageError(`${name} must be a number between ${lo} and ${hi}; got ${String(v)}`);
  return n;
}

export function progressBar(io: Io): (done: number, total: number) => void {
  let lastPct = -1;
  const t0 = Date.now();
  return (done, total) => {
    const pct = Math.floor((100 * done) / Math.max(1, total));
    if (io.stderrIsTty) {
      if (pct === lastPct && done !== total) return;
      const width = 30, fill = Math.round((width * done) / Math.max(1, total));
      const rate = done / Math.max(0.001, (Date.now() - t0) / 1000);
      io.stderr(`\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total} ${rate.toFixed(1)}/s`);
      if (done === total) io.stderr('\n');
    } else if (Math.floor(pct / 10) !== Math.floor(lastPct / 10) || done === total) {
      io.stderr(`progress ${done}/${total}\n`);
    }
    lastPct = pct;
  };
}
