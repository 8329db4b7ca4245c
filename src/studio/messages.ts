// What went wrong reaching a server (the sandbox server, the Hub, a benchmark's URL), in words a user
// can act on. A message's first line is what the error banner shows; the lines after it are its
// details (the URL, the original error), shown folded.
import { UsageError } from '../errors.ts';
import { HUB_URL } from '../model/hub.ts';

/** fetch()'s TypeError when nothing answered, or CORS refused the answer (Chromium, Firefox, Safari). */
export const isUnreachable = (reason: string): boolean => /Failed to fetch|NetworkError when attempting to fetch|Load failed/i.test(reason);

/**
 * A server this page could not reach: its address and what to check. `start`: how to start it (when
 * the user runs it); `cors`: the server's setting that must allow this page's origin.
 */
export function unreachableMessage(what: string, url: string, o: { start?: string; cors?: string } = {}): string {
  const origin = location.origin;
  const checks = [
    ...(o.start ? [`is it running (${o.start})`] : []),
    'is the address right',
    o.cors ? `does ${o.cors} allow this page's origin (${origin})` : `does the server allow this page's origin (${origin}) through CORS (Access-Control-Allow-Origin)`,
  ];
  return `Could not reach ${what} at ${url}: ${checks.slice(0, -1).join(', ')}, and ${checks[checks.length - 1]}?`;
}

/** The error itself, or, when fetch could not reach `url`, a UsageError that says so (the original as its detail). */
export function reachProblem(e: unknown, what: string, url: string): unknown {
  const message = e instanceof Error ? e.message : String(e);
  return isUnreachable(message) ? new UsageError(`${unreachableMessage(what, url)}\n${message}`) : e;
}

/** A Hub request's error in the Studio: a Hub (or mirror) that never answered (HubOfflineError, "cannot
 *  reach …") named with its address; a download cut off midway stays as it is (it resumes). */
export function hubProblem(e: unknown, hubUrl: string): unknown {
  const message = e instanceof Error ? e.message : String(e);
  return /^cannot reach /.test(message) ? reachProblem(e, hubUrl ? 'the Hub' : 'the Hugging Face Hub', hubUrl || HUB_URL) : e;
}
