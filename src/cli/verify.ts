// `evom verify`: one completion (a file or stdin) → one JSON outcome line.

import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.ts';
import { parseAnswer } from '../verifier/outcome.ts';
import { createNodePool } from '../verifier/pool-node.ts';
import { parse, protocolOf, remoteFrom, targetFlag, toleranceOf, type Io } from './args.ts';

export async function cmdVerify(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    target: { type: 'string' }, answer: { type: 'string' }, tolerance: { type: 'string' }, raw: { type: 'boolean' },
    protocol: { type: 'string' }, server: { type: 'string' }, 'token-file': { type: 'string' }, question: { type: 'string' },
  }, true);
  const remote = await remoteFrom(values);
  const target = targetFlag(values.target, Boolean(remote));
  if (values.answer === undefined) throw new UsageError('--answer is required (a number, or "infeasible")');
  let answer;
  try { answer = parseAnswer(values.answer); } catch (e) { throw new UsageError(`--answer: ${(e as Error).message}`); }
  const tolerance = toleranceOf(values.tolerance);
  if (positionals.length > 1) throw new UsageError('verify takes one FILE (or - for stdin)');
  const file = positionals[0] ?? '-';
  if (file === '-' && values.question === '-') throw new UsageError('--question - and the completion cannot both come from stdin: give one of them as a FILE');
  const read = async (f: string, what: string) => {
    if (f === '-') return io.stdin();
    try { return await readFile(f, 'utf8'); } catch { throw new UsageError(`cannot read ${what} ${f}`); }
  };
  const completion = await read(file, 'the completion');
  // the problem's text: numbers it states may appear in the model (the integrity rule)
  const question = values.question === undefined ? undefined : await read(values.question, '--question');
  const pool = createNodePool({ size: 1, remote });
  try {
    const o = await pool.verify({ completion, target, answer, question, raw_code: Boolean(values.raw), config: { tolerance, protocol: protocolOf(values.protocol) } });
    io.stdout(JSON.stringify(o) + '\n');
  } finally {
    await pool.close();
  }
  return 0;
}
