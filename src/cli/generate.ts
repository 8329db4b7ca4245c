// `evom generate`: sample from a model (a local folder or a Hugging Face Hub id) with the WGSL engine.
// The tokenizer and chat template run here in Node; the engine host runs either in headless
// Chromium (the default: the reference WebGPU environment, and the only reliable one without a
// GPU; src/host/page-transport.ts) or in Node's own WebGPU (npm `webgpu`, for machines with a real
// GPU driver; src/host/node-host.ts).

import { existsSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { DEFAULT_SAMPLING, type Completion, type SamplingParams } from '../gpu/sampling.ts';
import { HUB_TOKENS_PAGE, hubSource } from '../model/hub.ts';
import { nodeDirCache, nodeSha256 } from '../model/hub-node.ts';
import type { ModelSource } from '../model/source.ts';
import { directorySource } from '../model/source-node.ts';
import { loadTokenizerFromSource, createStreamDecoder, type EvomTokenizer } from '../model/tokenizer.ts';
import type { GenerateResult } from '../host/engine-host.ts';
import type { AdapterFiles } from '../host/run-store.ts';
import { hubUrlOf, intFlag, numFlag, parse, type Io } from './args.ts';

export interface GenerateCliOptions {
  model: string;
  prompt: string;
  chat: boolean;
  params: Partial<SamplingParams>;
  json: boolean;
  runtime: 'chromium' | 'node';
  hubUrl: string;
  /** folder with a PEFT LoRA adapter (adapter_config.json, adapter_model.safetensors) */
  adapterDir?: string;
}

export interface CliIo { stdout: (s: string) => void; stderr: (s: string) => void }

/** A folder when it exists, else a Hub id downloaded (with progress) into ~/.cache/evom/hub. */
export function resolveModelSource(model: string, hubUrl: string, io: CliIo): ModelSource {
  if (existsSync(model) && statSync(model).isDirectory()) return directorySource(model);
  if (!/^[\w.-]+\/[\w.-]+$/.test(model)) throw new UsageError(`--model: "${model}" is neither a folder nor a Hugging Face repository id (owner/name)`);
  const cacheDir = process.env.EVOM_CACHE ?? join(homedir(), '.cache', 'evom', 'hub');
  let last = 0;
  return hubSource(model, {
    baseUrl: hubUrl, cache: nodeDirCache(cacheDir), sha256: nodeSha256,
    token: process.env.HF_TOKEN, tokenAdvice: `set HF_TOKEN to a token from ${HUB_TOKENS_PAGE}`,
    onProgress: (p) => {
      const now = Date.now();
      if (p.phase !== 'download') return;
      if (now - last < 500 && p.loaded !== p.total) return;
      last = now;
      const pct = p.total ? ` ${((100 * p.loaded) / p.total).toFixed(0)}%` : '';
      io.stderr(`downloading ${p.file}${pct} (${(p.loaded / 1048576).toFixed(1)} MiB)\n`);
    },
  });
}

/** An adapter folder (PEFT: adapter_config.json, adapter_model.safetensors) read whole, or null. */
export async function readAdapterDir(dir: string | undefined): Promise<AdapterFiles | null> {
  if (!dir) return null;
  if (!existsSync(join(dir, 'adapter_config.json'))) throw new UsageError(`--adapter: ${dir} has no adapter_config.json (a PEFT LoRA adapter folder)`);
  const src = directorySource(dir);
  return { 'adapter_config.json': await src.readText('adapter_config.json'), 'adapter_model.safetensors': await src.readBytes('adapter_model.safetensors') };
}

export async function runGenerate(o: GenerateCliOptions, io: CliIo): Promise<void> {
  const source = resolveModelSource(o.model, o.hubUrl, io);
  const { loadModelConfig } = await import('../model/source.ts');
  const cfg = await loadModelConfig(source);
  const tok: EvomTokenizer | null = await loadTokenizerFromSource(source, { eosTokenIds: cfg.eosTokenIds });
  let promptIds: number[];
  if (o.chat) {
    if (!tok?.hasChatTemplate) throw new UsageError(`--chat: ${source.name} has no chat template (tokenizer_config.json "chat_template")`);
    promptIds = tok.encodeChat([{ role: 'user', content: o.prompt }]);
  } else if (tok) {
    promptIds = tok.encode(o.prompt, { addSpecialTokens: false });
  } else if (/^\s*\d+(\s*,\s*\d+)*\s*$/.test(o.prompt)) {
    promptIds = o.prompt.split(',').map((s) => Number(s.trim())); // a model without a tokenizer: ids given directly
  } else {
    throw new UsageError(`${source.name} has no tokenizer.json; give the prompt as comma-separated token ids`);
  }
  if (promptIds.length === 0) throw new UsageError('--prompt is empty after tokenization');
  const params: Partial<SamplingParams> = {
    ...o.params,
    stopTokenIds: o.params.stopTokenIds ?? [...(tok?.eosTokenIds ?? cfg.eosTokenIds)],
  };
  const n = params.n ?? 1;
  // Stream the text of a single sample as it is generated (unless --json).
  const stream = !o.json && n === 1 && tok ? createStreamDecoder(tok) : null;
  const onToken = (_s: number, id: number) => { if (stream) io.stdout(stream.push(id)); };
  const adapter = await readAdapterDir(o.adapterDir);
  const { openPageHost } = await import('../host/page-transport.ts');
  const { openNodeHost } = await import('../host/node-host.ts');
  const h = await (o.runtime === 'node' ? openNodeHost : openPageHost)(source, tmpdir());
  let res: Omit<GenerateResult, 'completions'> & { completions: Completion[] };
  try {
    const r = await h.host.generate({ model: h.model, adapter: adapter ? { files: adapter } : null, prompts: [promptIds], params, batchPrompts: 1 }, { token: (_p, s, id) => onToken(s, id) });
    res = { ...r, completions: r.completions[0]! };
  } finally {
    await h.close();
  }
  const text = (c: Completion) => (tok ? tok.decode(c.ids, { skipSpecialTokens: true }) : c.ids.join(','));
  if (o.json) {
    for (const c of res.completions) io.stdout(JSON.stringify({ prompt_ids: promptIds, ids: c.ids, logprobs: c.logprobs, text: text(c), finish: c.finish }) + '\n');
  } else if (stream) {
    io.stdout(stream.flush() + '\n');
  } else {
    res.completions.forEach((c, i) => io.stdout(`--- sample ${i} (${c.ids.length} tokens, ${c.finish})\n${text(c)}\n`));
  }
  const tokens = res.completions.reduce((a, c) => a + c.ids.length, 0);
  io.stderr(`${res.adapter}: loaded in ${(res.load_ms / 1000).toFixed(1)} s; ${tokens} tokens in ${(res.generate_ms / 1000).toFixed(1)} s\n`);
}

export const GENERATE_DEFAULTS = { ...DEFAULT_SAMPLING, maxNewTokens: 64 };

export async function cmdGenerate(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, {
    model: { type: 'string' }, prompt: { type: 'string' }, chat: { type: 'boolean' }, n: { type: 'string' },
    temperature: { type: 'string' }, 'top-p': { type: 'string' }, 'top-k': { type: 'string' }, seed: { type: 'string' },
    'max-new-tokens': { type: 'string' }, json: { type: 'boolean' }, runtime: { type: 'string' }, 'hub-url': { type: 'string' },
    adapter: { type: 'string' },
  });
  if (!values.model) throw new UsageError('--model DIR|HUB_ID is required');
  if (values.prompt === undefined) throw new UsageError('--prompt TEXT is required');
  const runtime = values.runtime ?? 'chromium';
  if (runtime !== 'chromium' && runtime !== 'node') throw new UsageError(`--runtime must be chromium or node; got ${runtime}`);
  const { runGenerate, GENERATE_DEFAULTS } = await import('./generate.ts');
  await runGenerate({
    model: values.model, prompt: values.prompt, chat: Boolean(values.chat), json: Boolean(values.json), runtime, adapterDir: values.adapter,
    hubUrl: hubUrlOf(values['hub-url']),
    params: {
      n: intFlag(values.n, '--n', 1, 1),
      temperature: numFlag(values.temperature, '--temperature', GENERATE_DEFAULTS.temperature, 0, 100),
      topP: numFlag(values['top-p'], '--top-p', GENERATE_DEFAULTS.topP, 0.000001, 1),
      topK: intFlag(values['top-k'], '--top-k', GENERATE_DEFAULTS.topK, 0),
      seed: intFlag(values.seed, '--seed', GENERATE_DEFAULTS.seed, 0),
      maxNewTokens: intFlag(values['max-new-tokens'], '--max-new-tokens', GENERATE_DEFAULTS.maxNewTokens, 1),
    },
  }, io);
  return 0;
}
