// The pages' main threads render; the engine and the solvers run in workers. Checked on the import
// graph of each page's entry (static imports only: `import type` is erased, `import()` and
// `new Worker(new URL(…))` load code elsewhere). test/studio.test.ts and test/page.test.ts check the
// same at run time (no WebGPU, no WebAssembly on the page's thread).
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

/** Every module a file loads statically: repository paths, and 'pkg:NAME' for packages. */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (file: string) => {
    const key = relative(ROOT, file);
    if (seen.has(key)) return;
    seen.add(key);
    const text = readFileSync(file, 'utf8');
    const specs = [
      ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'";]*?\s*from\s*['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
      ...[...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
    ];
    for (const spec of specs) {
      const path = spec.split('?')[0]!;
      if (!path.startsWith('.')) { seen.add(`pkg:${path}`); continue; }
      const p = resolve(dirname(file), path);
      if (existsSync(p) && /\.(ts|tsx)$/.test(p)) walk(p);
    }
  };
  walk(join(ROOT, entry));
  return seen;
}

/** What only workers may load: solver runners and checkers, wasm solver packages, the engine and its driver. */
const WORKER_ONLY = [
  /^src\/targets\/[^/]+\/runner\.ts$/, /^src\/targets\/highs\/lp-format\.ts$/, /^src\/targets\/runners\.ts$/,
  /^pkg:(highs|glpk-wasm|glpk\.js)\b/, /^pkg:webgpu$/,
  /^src\/gpu\/engine\.ts$/, /^src\/host\/engine-host\.ts$/, /^src\/verifier\/(verify|worker-api)\.ts$/,
];

describe('what the pages load on their main thread', () => {
  it('the graph walker sees a runner where there is one (a worker entry)', () => {
    const worker = staticGraph('src/verifier/worker.browser.ts');
    expect([...worker].some((f) => WORKER_ONLY.some((r) => r.test(f)))).toBe(true);
  });

  for (const entry of ['src/studio/main.tsx', 'src/verify-page/main.ts']) {
    it(`${entry}: no solver, no engine`, () => {
      const graph = [...staticGraph(entry)];
      expect(graph.length).toBeGreaterThan(5);
      expect(graph.filter((f) => WORKER_ONLY.some((r) => r.test(f)))).toEqual([]);
    });
  }

  it('the verifier page loads no GPU code at all', () => {
    expect([...staticGraph('src/verify-page/main.ts')].filter((f) => f.startsWith('src/gpu/'))).toEqual([]);
  });
});
