// `evom problems`: generated word problems with gold models in every target and solved answers.

import { UsageError } from '../errors.ts';
import { generateBenchmark } from '../problems/generated.ts';
import { parseFamilies } from '../problems/generator.ts';
import { nodeAssets } from '../targets/assets-node.ts';
import { createRunners } from '../targets/runners.ts';
import { intFlag, parse, type Io } from './args.ts';

export async function cmdProblems(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, {
    family: { type: 'string' }, count: { type: 'string' }, seed: { type: 'string' }, difficulty: { type: 'string' },
  });
  let families;
  try { families = parseFamilies(values.family ?? 'all'); } catch (e) { throw new UsageError((e as Error).message); }
  const count = intFlag(values.count, '--count', 10, 1);
  const seed = intFlag(values.seed, '--seed', 1, 0);
  const difficulty = intFlag(values.difficulty, '--difficulty', 2, 1);
  if (difficulty > 5) throw new UsageError(`--difficulty must be between 1 and 5; got ${difficulty}`);
  const targets = await createRunners(nodeAssets);
  for (const line of await generateBenchmark({ families, count, seed, difficulty }, targets)) io.stdout(JSON.stringify(line) + '\n');
  return 0;
}
