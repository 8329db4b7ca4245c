// Completion extraction (src/verifier/protocol.ts) on adversarial completions: time per size, to
// show that it is linear (ms per MB stays flat as the size doubles). Baseline in the same run: the
// regular expression the extractor used before (`/<think>([\s\S]*?)<\/think>/`), which is quadratic
// on repeated tags (an independent test measured 47 s on 1 MB), timed on the small sizes only.
//
//   npx tsx bench/extraction.ts
import { extractCode } from '../src/verifier/protocol.ts';

const PATTERNS: Record<string, (n: number) => string> = {
  'repeated <think>': (n) => '<think>'.repeat(n / 7),
  'repeated <code>': (n) => '<code>'.repeat(n / 6),
  'repeated </think><code>': (n) => '</think><code>'.repeat(n / 14),
  'nested <think><code>': (n) => '<think><code>'.repeat(n / 26) + '</code></think>'.repeat(n / 30),
  'fence lines': (n) => '```\n'.repeat(n / 4),
  'spaces before an inner fence': (n) => `<code>\n\`\`\`lp\nx${' '.repeat(n)}y\n</code>`,
  'long thinking, then a model': (n) => `<think>${'reason about the plant. '.repeat(n / 24)}</think><code>\nMaximize\n obj: x\nEnd\n</code>`,
};
const OLD_THINK = /<think>([\s\S]*?)<\/think>/;
const ms = (f: () => unknown) => { const t = performance.now(); f(); return performance.now() - t; };
const sizes = [0.25, 0.5, 1, 2, 4, 8].map((mb) => Math.round(mb * 1048576));

const rows: Record<string, Record<string, number>> = {};
for (const [name, make] of Object.entries(PATTERNS)) {
  rows[name] = {};
  for (const n of sizes) {
    const text = make(n);
    rows[name][`${(n / 1048576).toFixed(2)} MB ms`] = +ms(() => extractCode(text)).toFixed(1);
  }
  const per = sizes.map((n) => rows[name]![`${(n / 1048576).toFixed(2)} MB ms`]! / (n / 1048576));
  rows[name]['ms per MB at 8 MB / at 1 MB'] = +(per[5]! / per[2]!).toFixed(2);
}
const old: Record<string, number> = {};
for (const kb of [16, 32, 64, 128]) old[`${kb} KB ms`] = +ms(() => OLD_THINK.exec('<think>'.repeat((kb * 1024) / 7))).toFixed(1);
// the inner-fence expression used before (quadratic on spaces before the closing fence)
const OLD_FENCE = /^\s*```[^\n]*\n([\s\S]*?)\n?[ \t]*```\s*$/;
const oldFence: Record<string, number> = {};
for (const kb of [16, 32, 64]) oldFence[`${kb} KB ms`] = +ms(() => OLD_FENCE.exec(`\`\`\`lp\nx${' '.repeat(kb * 1024)}y\n`)).toFixed(1);
console.log(JSON.stringify({ extractCode: rows, old_think_regex_on_repeated_think: old, old_inner_fence_regex_on_spaces: oldFence }, null, 1));
