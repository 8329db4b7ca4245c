// `evom plan`: the GPU memory plan of a model's config, and with --train, LoRA GRPO/DAPO training's.

import { UsageError } from '../errors.ts';
import { hubUrlOf, intFlag, numFlag, parse, type Io } from './args.ts';

export async function cmdPlan(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, {
    model: { type: 'string' }, batch: { type: 'string' }, context: { type: 'string' }, dtype: { type: 'string' }, 'hub-url': { type: 'string' },
    train: { type: 'boolean' }, group: { type: 'string' }, 'micro-batch': { type: 'string' }, 'max-new-tokens': { type: 'string' },
    'prompt-tokens': { type: 'string' }, 'lora-rank': { type: 'string' }, budget: { type: 'string' }, recompute: { type: 'boolean' }, quant: { type: 'string' },
  });
  if (!values.model) throw new UsageError('--model DIR|HUB_ID is required');
  const asked = values.dtype ?? 'auto';
  if (asked !== 'f16' && asked !== 'f32' && asked !== 'auto') throw new UsageError(`--dtype must be auto, f16 or f32; got ${asked}`);
  const quant = values.quant === undefined || values.quant === 'none' ? null : values.quant;
  if (quant !== null && quant !== 'q4' && quant !== 'q8') throw new UsageError(`--quant must be q4, q8 or none; got ${values.quant}`);
  const { resolveModelSource } = await import('./generate.ts');
  const { loadModelConfig } = await import('../model/source.ts');
  const { memoryPlan, formatMemoryPlan, checkTrainingFit, fitTrainingShape, formatBytes, engineWeightDtype } = await import('../gpu/memory-plan.ts');
  const cfg = await loadModelConfig(resolveModelSource(values.model, hubUrlOf(values['hub-url']), io));
  // as the engine stores them: 'auto' → f16 matrices for F16/BF16 checkpoints; the KV cache is f32
  const dtype = asked === 'auto' ? engineWeightDtype(cfg) : asked;
  const limits = { maxStorageBufferBindingSize: 128 * 1048576, maxBufferSize: 256 * 1048576 }; // WebGPU's defaults
  const chunkBytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const plan = memoryPlan(cfg, { weightBytesPerParam: dtype === 'f16' || quant ? 2 : 4, quant, kvBytesPerValue: 4, batch: intFlag(values.batch, '--batch', 8, 1), contextTokens: intFlag(values.context, '--context', 1024, 1), chunkBytes });
  io.stdout(formatMemoryPlan(plan, limits) + '\n');
  if (!values.train) {
    for (const f of ['group', 'micro-batch', 'max-new-tokens', 'prompt-tokens', 'lora-rank', 'budget', 'recompute'] as const) if (values[f] !== undefined) throw new UsageError(`--${f} describes training: add --train`);
    return 0;
  }
  const { defaultSettings } = await import('../rl/settings.ts');
  const { modelKindOf } = await import('./settings-flags.ts');
  const { BUILTIN_POLICY } = await import('./train.ts');
  // the trainer's defaults for this model (the built-in policy's own, or a Hub model's)
  const d = defaultSettings(modelKindOf(values.model, BUILTIN_POLICY), 'grpo', 'highs');
  const shape = {
    group: intFlag(values.group, '--group', d.group, 2), microBatch: intFlag(values['micro-batch'], '--micro-batch', d.microBatch, 1),
    maxNewTokens: intFlag(values['max-new-tokens'], '--max-new-tokens', d.maxNewTokens, 1), promptTokens: intFlag(values['prompt-tokens'], '--prompt-tokens', 256, 1),
    loraRank: intFlag(values['lora-rank'], '--lora-rank', d.loraRank, 1), weights: quant ?? dtype, recompute: values.recompute ?? false,
  };
  const budget = values.budget === undefined ? Infinity : numFlag(values.budget, '--budget', 0, 1 / 1024, 1 << 20) * 2 ** 30;
  const fit = checkTrainingFit(cfg, shape, limits, budget), t = fit.training;
  io.stdout([
    '',
    `Training (LoRA r${shape.loraRank} GRPO/DAPO, G ${shape.group}, micro-batch ${shape.microBatch}, ${shape.promptTokens} prompt + ${shape.maxNewTokens} new tokens, ${fit.weightDtype} weights as the engine holds them${shape.recompute ? ', activations recomputed' : ''}):`,
    `  weights ${formatBytes(t.weights)} · KV cache ${formatBytes(t.kvCache)} · sampling scratch ${formatBytes(t.sampling)} · saved activations ${formatBytes(t.savedActivations)} · backward scratch ${formatBytes(t.backwardScratch)} · trainable ${formatBytes(t.trainable)}`,
    `  total ${formatBytes(t.total)}${budget < Infinity ? ` of a ${formatBytes(budget)} budget` : ''}`,
    ...(fit.problems.length ? fit.problems.map((p) => `  ! ${p}`) : ['  fits']),
  ].join('\n') + '\n');
  if (fit.problems.length) {
    const s = fitTrainingShape(cfg, shape, limits, budget);
    io.stdout(s ? `  nearest that fits: --micro-batch ${s.microBatch}${s.recompute && !shape.recompute ? ' --recompute' : ''}${s.quant ? ` --quant ${s.quant}` : ''}${s.maxNewTokens < shape.maxNewTokens ? ` --max-new-tokens ${s.maxNewTokens}` : ''} (${formatBytes(s.training)})\n`
      : '  no micro-batch or completion length fits: this model needs larger buffer limits or more memory\n');
  }
  return 0;
}
