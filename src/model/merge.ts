// Merge a PEFT LoRA adapter into its base: W' = W + (alpha / r) · B · A for every adapted projection
// (W [out, in], A [rank, in], B [out, rank]), computed in f32 and stored in the base's dtype (as
// PEFT's merge_and_unload does) or in F32. The result is a plain checkpoint folder: one
// model.safetensors plus the base's config, generation config and tokenizer files.

import { loadModelConfig, ModelFileNotFoundError, type ModelSource } from './source.ts';
import { LoraError, parsePeft, peftKey } from '../rl/lora.ts';
import { encodeFloats, FLOAT_DTYPES, openCheckpoint, serializeSafetensors, type FloatDtype, type TensorToWrite } from './safetensors.ts';

/** Files copied from the base when present. */
export const MERGE_COPIED_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt'];

/** The HF weight name of an adapted projection, from its PEFT key. */
function baseName(peft: string): string {
  return peft.replace(/^base_model\.model\./, '').replace(/\.lora_A\.weight$/, '.weight');
}

export async function mergeAdapter(base: ModelSource, adapter: ModelSource, opts: { dtype?: FloatDtype } = {}): Promise<Record<string, Uint8Array | string>> {
  const cfg = await loadModelConfig(base);
  const peft = parsePeft(cfg, await adapter.readText('adapter_config.json'), await adapter.readBytes('adapter_model.safetensors'));
  const scale = peft.config.alpha / peft.config.rank, r = peft.config.rank;
  const deltas = new Map(peft.modules.map((m) => [baseName(peftKey(m.layer, m.target, 'A')), m]));
  const ckpt = await openCheckpoint(base);
  const tensors: TensorToWrite[] = [];
  for (const [name, e] of ckpt.tensors) {
    const m = deltas.get(name);
    const dtype = (opts.dtype ?? e.dtype) as FloatDtype;
    if (!FLOAT_DTYPES.includes(e.dtype as FloatDtype)) throw new LoraError(`${name}: dtype ${e.dtype} cannot be merged`);
    if (!m && dtype === e.dtype) { tensors.push({ name, dtype, shape: [...e.shape], data: await ckpt.readRaw(name) }); continue; }
    const w = await ckpt.readFloat32(name);
    if (m) {
      const [out, inF] = e.shape as [number, number];
      if (m.A.length !== r * inF || m.B.length !== out * r) throw new LoraError(`${name}: adapter shapes do not match the weight [${out}, ${inF}]`);
      for (let o = 0; o < out; o++) {
        for (let k = 0; k < r; k++) {
          const b = scale * m.B[o * r + k]!;
          if (b === 0) continue;
          const row = o * inF, a = k * inF;
          for (let i = 0; i < inF; i++) w[row + i]! += b * m.A[a + i]!;
        }
      }
      deltas.delete(name);
    }
    tensors.push({ name, dtype, shape: [...e.shape], data: encodeFloats(w, dtype) });
  }
  if (deltas.size) throw new LoraError(`the base has no weight for ${[...deltas.keys()][0]} (is the adapter for this model?)`);
  const files: Record<string, Uint8Array | string> = { 'model.safetensors': serializeSafetensors(tensors, { format: 'pt' }) };
  for (const f of MERGE_COPIED_FILES) {
    try { files[f] = await base.readText(f); } catch (e) { if (!(e instanceof ModelFileNotFoundError)) throw e; }
  }
  return files;
}
