// `evom prompt`: the chat messages the policy sees for each benchmark item (JSONL).

import { UsageError } from '../errors.ts';
import { loadBenchmarkFile } from '../problems/benchmarks-node.ts';
import { buildMessages } from '../problems/prompt.ts';
import { requireTarget } from '../targets/registry.ts';
import { parse, protocolOf, type Io } from './args.ts';

export async function cmdPrompt(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, { benchmark: { type: 'string' }, target: { type: 'string' }, protocol: { type: 'string' } });
  if (!values.benchmark) throw new UsageError('--benchmark FILE.jsonl is required');
  if (typeof values.target !== 'string') throw new UsageError('--target is required');
  const target = requireTarget(values.target).name;
  const items = await loadBenchmarkFile(values.benchmark);
  for (const it of items) io.stdout(JSON.stringify({ id: it.id, messages: buildMessages(it.question, target, protocolOf(values.protocol)), answer: it.answer }) + '\n');
  return 0;
}
