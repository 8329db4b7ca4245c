// Benchmark files: every shared benchmark parses; user JSONL errors name line and reason;
// the browser loader works over real HTTP (127.0.0.1) and from a File.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBenchmark, parseCompletions, loadBenchmarkFrom } from '../src/problems/benchmarks.ts';
import { DataError } from '../src/errors.ts';

const BUNDLED = join(import.meta.dirname, '..', 'public', 'benchmarks');
// The full collection with cleaned variants sits beside the repository on the project's machines.
const SHARED_CANDIDATES = [process.env.EVOM_SHARED_BENCHMARKS, join(import.meta.dirname, '..', '..', 'shared', 'benchmarks'), '/work/shared/benchmarks'];
const SHARED = SHARED_CANDIDATES.find((d) => d && existsSync(d)) ?? '';
if (!SHARED) console.warn(`test/benchmarks.test.ts: no shared benchmark collection (looked in ${SHARED_CANDIDATES.filter(Boolean).join(', ')}); only the bundled benchmarks are checked`);

function checkAll(dir: string, min: number) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl') && f !== 'errata.jsonl');
  expect(files.length).toBeGreaterThanOrEqual(min);
  for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      const items = parseBenchmark(text, f);
      const raw = text.trim().split('\n').map((l) => JSON.parse(l));
      expect(items).toHaveLength(raw.length);
      items.forEach((it, i) => {
        const r = raw[i];
        expect(it.id).toBe(r.id);
        if (typeof r.answer === 'number') expect(it.answer).toBe(r.answer);
        else if (r.status === 'infeasible') expect(it.answer).toBe('infeasible');
        else expect(it.answer).toBeNull();
      });
  }
}

describe('benchmark files', () => {
  it('every bundled benchmark parses with its answers', () => checkAll(BUNDLED, 6));
  it.runIf(SHARED !== '')('every benchmark of the shared collection parses with its answers', () => checkAll(SHARED, 20));

  it.each([
    ['{"question": "q", "answer": 1}\nnot json\n', /x\.jsonl:2: not valid JSON/],
    ['{"question": "q", "answer": 1}\n[1, 2]\n', /x\.jsonl:2: each line must be a JSON object/],
    ['{"question": "", "answer": 1}\n', /x\.jsonl:1: "question" must be a non-empty string/],
    ['{"question": "q", "answer": "many"}\n', /x\.jsonl:1: "answer" must be a number, null or "infeasible"/],
    ['{"id": 1, "question": "q", "answer": 1}\n{"id": 1, "question": "r", "answer": 2}\n', /x\.jsonl:2: duplicate id "1"/],
    ['\n\n', /x\.jsonl: no items found/],
  ])('user JSONL error: %j', (text, msg) => {
    expect(() => parseBenchmark(text, 'x.jsonl')).toThrow(DataError);
    expect(() => parseBenchmark(text, 'x.jsonl')).toThrow(msg);
  });

  it('accepts numeric strings and "infeasible", keeps extra fields, numbers lines without ids', () => {
    const items = parseBenchmark('{"question": "a", "answer": "12.5", "source": "s"}\n\n{"question": "b", "answer": "infeasible"}\n', 'u.jsonl');
    expect(items.map((i) => [i.id, i.answer])).toEqual([['line-1', 12.5], ['line-3', 'infeasible']]);
    expect(items[0]!.extra.source).toBe('s');
  });

  it('completion files need an id and a completion string', () => {
    expect(parseCompletions('{"id": 3, "completion": "x"}', 'c')).toEqual([{ id: '3', completion: 'x' }]);
    expect(() => parseCompletions('{"completion": "x"}', 'c.jsonl')).toThrow(/c\.jsonl:1: "id" is missing/);
    expect(() => parseCompletions('{"id": "a", "completion": 5}', 'c.jsonl')).toThrow(/"completion" must be a string/);
  });
});

describe('browser loader', () => {
  let server: Server;
  let base: string;
  const body = '{"id": "a", "question": "Maximize x.", "answer": 3}\n{"id": "b", "question": "Infeasible?", "answer": null, "status": "infeasible"}\n';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/bench.jsonl') { res.writeHead(200, { 'content-type': 'application/jsonl' }); res.end(body); }
      else { res.writeHead(404); res.end('no'); }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('loads a benchmark by URL', async () => {
    const items = await loadBenchmarkFrom(`${base}/bench.jsonl`);
    expect(items.map((i) => [i.id, i.answer])).toEqual([['a', 3], ['b', 'infeasible']]);
  });
  it('reports HTTP errors with the URL', async () => {
    await expect(loadBenchmarkFrom(`${base}/missing.jsonl`)).rejects.toThrow(/missing\.jsonl: HTTP 404/);
  });
  it('loads a benchmark from a File', async () => {
    const items = await loadBenchmarkFrom(new File([body], 'mine.jsonl'));
    expect(items).toHaveLength(2);
    await expect(loadBenchmarkFrom(new File(['{"question": 1}'], 'bad.jsonl'))).rejects.toThrow(/bad\.jsonl:1: "question"/);
  });
});
