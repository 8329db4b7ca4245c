// EVOM's completion protocol: `<think>…</think><code>…</code>`, with a fenced code block accepted
// as a fallback in lenient mode. Never throws: a bad completion is a format error with a message
// saying what was wrong.
//
// What models actually write, and how it is read (one pass over the text, linear in its length):
//   - the code block is the one after `</think>`: tags mentioned while thinking are not blocks
//     (a `</think>` with no `<think>` before it closes a thinking part the prompt opened);
//   - `<code lang="lp">` and other attributes are accepted; a fence inside the block is stripped;
//   - lenient mode, no `<code>` block: one fenced block is the code; with several, the one whose
//     info string names the target's language (TargetModule.fences), else the first that parses.
// Extraction runs in the verifier workers (prepare() in score.ts), never on a page's main thread.

import type { ProtocolStrictness } from './config.ts';

export type Extraction =
  | { ok: true; code: string; via: 'code_tag' | 'fence'; think: string | null }
  | { ok: false; reason: string };

export interface ExtractOptions {
  strictness?: ProtocolStrictness;
  /** fence info strings of the target's language, lower case: 'lp', 'mathprog', 'json', 'python' */
  fences?: readonly string[];
  /** whether a block parses in the target's language (to choose among several fences) */
  parses?: (code: string) => boolean;
}

// An opening or closing think/code tag; attributes up to 200 characters. Every match starts at '<'
// and is bounded, so the scan is linear.
const TAG = /<(\/?)(think|code)(?=[\s>])([^<>]{0,200})>/g;

interface Tag { start: number; end: number; close: boolean; name: 'think' | 'code' }

function stripInnerFence(code: string): string {
  // `<code>```lp … ```</code>`: models often fence inside the tag; keep the fenced body (what
  // /^\s*```[^\n]*\n([\s\S]*?)\n?[ \t]*```\s*$/ matches, found without backtracking: that regular
  // expression took quadratic time on a long run of spaces before the closing fence).
  const start = code.search(/\S/);
  const end = code.trimEnd().length;
  if (start >= 0 && code.startsWith('```', start) && end - start >= 6 && code.endsWith('```', end)) {
    const nl = code.indexOf('\n', start);
    if (nl >= 0 && nl < end - 3) {
      let close = end - 3; // the closing fence, after optional spaces or tabs and one line break
      while (close > nl + 1 && (code[close - 1] === ' ' || code[close - 1] === '\t')) close--;
      if (close > nl + 1 && code[close - 1] === '\n') close--;
      return code.slice(nl + 1, close);
    }
  }
  // Drop the line break right after `<code>` so line 1 is the model's first line.
  return code.replace(/^[ \t]*\r?\n/, '');
}

const blank = (s: string) => s.trim() === '';

let extractions = 0;
/** extractCode calls in this thread so far (a design check: pages and pools never extract). */
export function extractionsInThisThread(): number { return extractions; }

export function extractCode(completion: string, options: ProtocolStrictness | ExtractOptions = 'lenient'): Extraction {
  extractions++;
  if (typeof completion !== 'string') return { ok: false, reason: 'the completion is not text' };
  const o: ExtractOptions = typeof options === 'string' ? { strictness: options } : options;
  const strict = (o.strictness ?? 'lenient') === 'strict';

  const tags: Tag[] = [];
  for (const m of completion.matchAll(TAG)) {
    if (m[1] === '/' && m[3]!.trim() !== '') continue; // `</code foo>` is not a closing tag
    tags.push({ start: m.index!, end: m.index! + m[0].length, close: m[1] === '/', name: m[2] as 'think' | 'code' });
  }

  // The thinking part: from the first <think> to the first </think> after it; a </think> with no
  // <think> before it closes a thinking part the prompt opened.
  const firstThinkOpen = tags.find((t) => t.name === 'think' && !t.close);
  const thinkClose = tags.find((t) => t.name === 'think' && t.close && (!firstThinkOpen || t.start > firstThinkOpen.start));
  if (firstThinkOpen && !thinkClose) return { ok: false, reason: '<think> is opened but never closed with </think>, so no code block follows it' };
  const thinkEnd = thinkClose?.end ?? 0;
  const think = thinkClose ? completion.slice(firstThinkOpen ? firstThinkOpen.end : 0, thinkClose.start) : null;

  const after = tags.filter((t) => t.start >= thinkEnd && t.name === 'code');
  const opens = after.filter((t) => !t.close);
  if (opens.length > 0) {
    const open = opens[0]!;
    const close = after.find((t) => t.close && t.start > open.start);
    if (!close) return { ok: false, reason: '<code> is opened but never closed with </code>' };
    if (opens.length > 1 && opens[1]!.start < close.start) return { ok: false, reason: 'a <code> tag inside the <code> block: write exactly one <code>…</code>' };
    if (opens.length > 1) return { ok: false, reason: `found ${opens.length} <code> blocks; expected exactly one` };
    if (strict && !(firstThinkOpen && blank(completion.slice(0, firstThinkOpen.start)) && blank(completion.slice(thinkEnd, open.start)) && blank(completion.slice(close.end)))) {
      return { ok: false, reason: 'strict protocol: expected exactly <think>…</think> followed by <code>…</code> and nothing else' };
    }
    const code = stripInnerFence(completion.slice(open.end, close.start));
    if (code.trim() === '') return { ok: false, reason: 'the <code> block is empty' };
    return { ok: true, code, via: 'code_tag', think };
  }
  if (strict) return { ok: false, reason: 'no <code>…</code> block found' };
  return fencedBlock(completion, thinkEnd, o, think);
}

/** Lenient mode: fenced blocks after the thinking part, one line at a time. */
function fencedBlock(text: string, from: number, o: ExtractOptions, think: string | null): Extraction {
  const blocks: { info: string; body: string }[] = [];
  let open: { info: string; bodyStart: number } | null = null;
  let pos = from;
  while (pos <= text.length) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl < 0 ? text.length : nl;
    const line = text.slice(pos, lineEnd);
    const fence = /^[ \t]*```/.test(line);
    if (fence && !open) {
      open = { info: (/^[ \t]*```[ \t]*([\w+.-]*)/.exec(line)?.[1] ?? '').toLowerCase(), bodyStart: lineEnd + 1 };
    } else if (fence && open && /^[ \t]*```[ \t]*$/.test(line)) {
      blocks.push({ info: open.info, body: text.slice(Math.min(open.bodyStart, pos), pos) });
      open = null;
    }
    if (nl < 0) break;
    pos = nl + 1;
  }
  if (open) return { ok: false, reason: 'a ``` fence is opened but never closed on its own line' };
  if (blocks.length === 0) return { ok: false, reason: 'no <code>…</code> block and no fenced code block found' };
  let pick = blocks.length === 1 ? blocks[0]! : undefined;
  if (!pick && o.fences?.length) pick = blocks.find((b) => o.fences!.includes(b.info));
  if (!pick && o.parses) pick = blocks.find((b) => b.body.trim() !== '' && o.parses!(b.body));
  if (!pick) {
    const lang = o.fences?.length ? ` (or one marked \`\`\`${o.fences[0]})` : '';
    return { ok: false, reason: `no <code> block, and ${blocks.length} fenced code blocks; expected exactly one${lang}` };
  }
  if (pick.body.trim() === '') return { ok: false, reason: 'the fenced code block is empty' };
  return { ok: true, code: pick.body, via: 'fence', think };
}
