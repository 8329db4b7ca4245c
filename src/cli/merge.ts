// `evom merge`: a PEFT LoRA adapter merged into the base weights, written as a plain model folder.

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { hubUrlOf, parse, type Io } from './args.ts';

export async function cmdMerge(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, { model: { type: 'string' }, adapter: { type: 'string' }, out: { type: 'string' }, dtype: { type: 'string' }, 'hub-url': { type: 'string' } });
  if (!values.model) throw new UsageError('--model DIR|HUB_ID is required');
  if (!values.out) throw new UsageError('--out DIR is required');
  const dtype = values.dtype ?? 'same';
  if (dtype !== 'same' && dtype !== 'f32') throw new UsageError(`--dtype must be same or f32; got ${dtype}`);
  const { readAdapterDir, resolveModelSource } = await import('./generate.ts');
  const files0 = await readAdapterDir(values.adapter);
  const adapter = files0 ? (await import('../model/source.ts')).memorySource({ ...files0 }, values.adapter!) : null;
  if (!adapter) throw new UsageError('--adapter DIR (a PEFT LoRA adapter folder) is required');
  if (existsSync(join(values.out, 'model.safetensors'))) throw new UsageError(`--out ${values.out} already holds a model.safetensors; pick an empty folder`);
  const { mergeAdapter } = await import('../model/merge.ts');
  const files = await mergeAdapter(resolveModelSource(values.model, hubUrlOf(values['hub-url']), io), adapter, dtype === 'f32' ? { dtype: 'F32' } : {});
  await mkdir(values.out, { recursive: true });
  for (const [name, data] of Object.entries(files)) await writeFile(join(values.out, name), data);
  io.stdout(`merged ${values.adapter} into ${values.model}: ${values.out} (${Object.keys(files).join(', ')})\n`);
  return 0;
}
