// EVOM's completion protocol: `<think>…</think><code>…</code>`, with a single fenced
// code block accepted as a fallback in lenient mode. Never throws: a bad completion is a
// format error with a message saying what was wrong.

import type { ProtocolStrictness } from './config.ts';

export type Extraction =
  | { ok: true; code: string; via: 'code_tag' | 'fence'; think: string | null }
  | { ok: false; reason: string };

const CODE_TAG = /<code>([\s\S]*?)<\/code>/g;
const THINK_TAG = /<think>([\s\S]*?)<\/think>/;
const STRICT_SHAPE = /^\s*<think>[\s\S]*?<\/think>\s*<code>[\s\S]*?<\/code>\s*$/;
// ```lang\n … \n``` with the closing fence on its own line
const FENCE = /^[ \t]*```[ \t]*([\w+.-]*)[^\n]*\n([\s\S]*?)^[ \t]*```[ \t]*$/gm;

function stripInnerFence(code: string): string {
  // `<code>```lp … ```</code>`: models often fence inside the tag; keep the fenced body.
  const m = /^\s*```[^\n]*\n([\s\S]*?)\n?[ \t]*```\s*$/.exec(code);
  // Drop the line break right after `<code>` so line 1 is the model's first line.
  return m ? m[1]! : code.replace(/^[ \t]*\r?\n/, '');
}

export function extractCode(completion: string, strictness: ProtocolStrictness = 'lenient'): Extraction {
  if (typeof completion !== 'string') return { ok: false, reason: 'the completion is not text' };
  const think = THINK_TAG.exec(completion)?.[1] ?? null;
  const tags = [...completion.matchAll(CODE_TAG)];
  if (tags.length > 1) return { ok: false, reason: `found ${tags.length} <code> blocks; expected exactly one` };
  if (tags.length === 1) {
    if (strictness === 'strict' && !STRICT_SHAPE.test(completion)) {
      return { ok: false, reason: 'strict protocol: expected exactly <think>…</think> followed by <code>…</code> and nothing else' };
    }
    const code = stripInnerFence(tags[0]![1]!);
    if (code.trim() === '') return { ok: false, reason: 'the <code> block is empty' };
    return { ok: true, code, via: 'code_tag', think };
  }
  if (/<code>/.test(completion)) return { ok: false, reason: '<code> is opened but never closed with </code>' };
  if (strictness === 'strict') return { ok: false, reason: 'no <code>…</code> block found' };
  const fences = [...completion.matchAll(FENCE)];
  if (fences.length > 1) return { ok: false, reason: `no <code> block, and ${fences.length} fenced code blocks; expected exactly one` };
  if (fences.length === 1) {
    const code = fences[0]![2]!;
    if (code.trim() === '') return { ok: false, reason: 'the fenced code block is empty' };
    return { ok: true, code, via: 'fence', think };
  }
  if (/```/.test(completion)) return { ok: false, reason: 'a ``` fence is opened but never closed on its own line' };
  return { ok: false, reason: 'no <code>…</code> block and no fenced code block found' };
}
