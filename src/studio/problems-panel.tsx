// Problems: generated families (with difficulty), a bundled benchmark, a URL or an uploaded JSONL;
// a preview (LaTeX rendered as text) and the train/evaluation split. Parsing and generation run in
// the problems worker. A source that fails to load hides the preview of the problems prepared before
// it, and says that those are still the ones in use.
import { useState } from 'preact/hooks';
import { FAMILIES, parseFamilies } from '../problems/generator.ts';
import { Rng } from '../problems/rng.ts';
import { writeFile } from '../host/run-store-opfs.ts';
import type { TrainItem } from '../rl/trainer.ts';
import { useStudio, type Dataset, type Studio } from './app.ts';
import { problemsWorker } from './clients.ts';
import { defaultForm, type DataSpec, type StudioForm } from './state.ts';
import { UsageError } from '../errors.ts';
import { scoringAnswer } from '../problems/benchmarks.ts';
import { formatAnswer, latexToPlain, plural } from './format.ts';
import { reachProblem } from './messages.ts';
import { ScrollRegion } from './scroll-region.tsx';

/** Benchmarks bundled in public/benchmarks (licenses allow redistribution; see its README). */
export const BUNDLED = [
  { file: 'nl4opt.jsonl', label: 'NL4OPT (245)', license: 'Apache-2.0 (ORLM); NL4Opt data MIT' },
  { file: 'mamo_easylp.jsonl', label: 'MAMO EasyLP (652)', license: 'CC BY-SA 4.0 (Huang et al., Mamo)' },
  { file: 'mamo_complexlp.jsonl', label: 'MAMO ComplexLP (211)', license: 'CC BY-SA 4.0 (Huang et al., Mamo)' },
  { file: 'industryor.jsonl', label: 'IndustryOR (100)', license: 'Apache-2.0 (ORLM)' },
  { file: 'optibench.jsonl', label: 'OptiBench (605)', license: 'Apache-2.0 (ReSocratic)' },
  { file: 'optmath_bench.jsonl', label: 'OptMATH-Bench (166)', license: 'Apache-2.0 (OptMATH)' },
];

export const DATASET_FILE = ['evom-studio'];

/** Deterministic split: a seeded shuffle, the first share held out for evaluation. */
export function splitItems(items: TrainItem[], evalFraction: number, seed: number): { train: TrainItem[]; eval: TrainItem[] } {
  const order = new Rng(seed ^ 0x51a7).shuffle(items.slice());
  const k = Math.max(1, Math.min(order.length - 1, Math.round(order.length * evalFraction)));
  return { eval: order.slice(0, k), train: order.slice(k) };
}

/** A question as the preview shows it: its LaTeX as text, cut at 220 characters. */
function preview(question: string): string {
  const text = latexToPlain(question);
  return text.length > 220 ? `${text.slice(0, 220)}…` : text;
}

/** How a source's problems are described (a prepared dataset's description starts with it). */
export function sourceDescription(d: DataSpec): string {
  if (d.kind === 'generator') {
    const fams = parseFamilies(d.families.split(',').map((f) => f.trim()).filter(Boolean).join(',') || 'all');
    return `generated: ${fams.join(', ')}, difficulty ${d.difficulty}, ${plural(d.count, 'problem')}, seed ${d.seed}`;
  }
  return d.kind === 'upload' ? `uploaded ${d.name}` : d.kind === 'bundled' ? `bundled ${d.file}` : `from ${d.url}`;
}

/** Whether the prepared problems are those of this source (the checklist of a share link asks). */
export function datasetIsFrom(ds: Dataset | null, d: DataSpec): boolean {
  if (!ds) return false;
  try { return ds.description.startsWith(sourceDescription(d)); } catch { return false; } // families that do not parse
}

/** The problems of the form's source, split (generation and parsing in the problems worker). `file`: the picked upload. */
export async function loadProblems(form: StudioForm, file: File | null): Promise<Dataset> {
  const d = form.data;
  let items: TrainItem[], description: string, dropped = 0;
  if (d.kind === 'generator') {
    const fams = parseFamilies(d.families.split(',').map((f) => f.trim()).filter(Boolean).join(',') || 'all');
    const gi = await problemsWorker().generate({ families: fams, count: d.count, seed: 3_000_000 + d.seed, difficulty: d.difficulty });
    items = gi.map((i) => ({ id: i.id, question: i.question, answer: i.answer }));
    description = sourceDescription(d);
  } else {
    let raw;
    if (d.kind === 'upload') {
      if (!file) throw new UsageError('pick a JSONL file first (one {"id","question","answer"} object per line)');
      raw = await problemsWorker().load(file, file.name);
      description = `uploaded ${file.name}`;
    } else {
      const url = d.kind === 'bundled' ? new URL(`benchmarks/${d.file}`, document.baseURI).href : d.url;
      if (d.kind === 'url' && !/^https?:\/\//.test(url)) throw new UsageError(`"${url}" is not an http(s) URL`);
      raw = await problemsWorker().load(url, url).catch((e: unknown) => { throw reachProblem(e, 'the benchmark file', url); });
      description = sourceDescription(d);
    }
    const answered = raw.filter((i) => scoringAnswer(i, form.errata) !== null);
    dropped = raw.length - answered.length;
    items = answered.map((i) => ({ id: i.id, question: i.question, answer: scoringAnswer(i, form.errata)! }));
    const corrected = raw.filter((i) => i.answer_errata).length;
    if (corrected) description += form.errata ? `, ${plural(corrected, 'answer')} corrected (errata)` : ` (${plural(corrected, 'item')} ${corrected === 1 ? 'has' : 'have'} errata; scored with the benchmark's own answers)`;
  }
  if (items.length < 2) throw new UsageError(`only ${plural(items.length, 'problem')} with an answer: at least 2 are needed for a train/evaluation split`);
  const split = splitItems(items, form.evalFraction, d.kind === 'generator' ? d.seed : 1);
  return { description, ...split, dropped };
}

/** Prepare the form's problems and keep them (the page's dataset, and OPFS for the next visit). */
export async function prepareProblems(s: Studio, file: File | null = null): Promise<Dataset> {
  const ds = await loadProblems(s.form, file);
  s.setDataset(ds);
  await writeFile(DATASET_FILE, 'dataset.json', JSON.stringify(ds));
  return ds;
}

export function ProblemsPanel() {
  const s = useStudio();
  const d = s.form.data;
  const [file, setFile] = useState<File | null>(null);
  /** the source that failed to load since the last one that loaded (a preview would show older problems) */
  const [failed, setFailed] = useState<string | null>(null);
  const setData = (spec: DataSpec) => s.update({ data: spec });
  const gen = d.kind === 'generator' ? d : null;
  const prepare = () => s.job('Preparing problems', async () => {
    try { await prepareProblems(s, file); } catch (e) {
      setFailed(d.kind === 'upload' ? file?.name || 'the file' : d.kind === 'url' ? d.url : d.kind === 'bundled' ? d.file : 'the generator');
      throw e;
    }
    setFailed(null);
  });
  return (
    <div>
      <fieldset>
        <legend>Where problems come from</legend>
        <label>Source <select id="data-kind" value={d.kind} onChange={(e) => {
          const k = (e.target as HTMLSelectElement).value;
          setData(k === 'generator' ? defaultForm().data : k === 'bundled' ? { kind: 'bundled', file: BUNDLED[0]!.file } : k === 'url' ? { kind: 'url', url: '' } : { kind: 'upload', name: '' });
        }}>
          <option value="generator">Built-in generator</option>
          <option value="bundled">Bundled benchmark</option>
          <option value="url">Benchmark at a URL</option>
          <option value="upload">My own JSONL file</option>
        </select></label>
        {gen && (
          <div class="row">
            <label>Families <input id="families" type="text" size={34} value={gen.families} aria-describedby="families-help" onInput={(e) => setData({ ...gen, families: (e.target as HTMLInputElement).value })} /></label>
            <label>Difficulty <select id="difficulty" value={String(gen.difficulty)} onChange={(e) => setData({ ...gen, difficulty: Number((e.target as HTMLSelectElement).value) })}>{[1, 2, 3, 4, 5].map((v) => <option value={String(v)}>{v}</option>)}</select></label>
            <label>Problems <input id="count" type="number" min={2} max={5000} value={gen.count} onInput={(e) => setData({ ...gen, count: Number((e.target as HTMLInputElement).value) })} /></label>
            <label>Seed <input id="data-seed" type="number" min={0} value={gen.seed} onInput={(e) => setData({ ...gen, seed: Number((e.target as HTMLInputElement).value) })} /></label>
            <p id="families-help" class="help">Comma-separated: {FAMILIES.join(', ')} (or all). Each problem is solved in this browser for its answer.</p>
          </div>
        )}
        {d.kind === 'bundled' && (
          <label>Benchmark <select id="bundled" value={d.file} onChange={(e) => setData({ kind: 'bundled', file: (e.target as HTMLSelectElement).value })}>
            {BUNDLED.map((b) => <option value={b.file}>{b.label} — {b.license}</option>)}
          </select></label>
        )}
        {d.kind === 'url' && <label>URL <input id="data-url" type="url" size={50} value={d.url} onInput={(e) => setData({ kind: 'url', url: (e.target as HTMLInputElement).value.trim() })} /></label>}
        {d.kind === 'upload' && <label>JSONL file <input id="data-file" type="file" accept=".jsonl,.json,.txt" onChange={(e) => { const f = (e.target as HTMLInputElement).files?.[0] ?? null; setFile(f); setData({ kind: 'upload', name: f?.name ?? '' }); }} />
          <span class="help">One JSON object per line: {'{"id": …, "question": "…", "answer": 42}'} (answer: a number, or "infeasible").</span></label>}
        {d.kind !== 'generator' && (
          <label><input id="errata" type="checkbox" checked={s.form.errata} onChange={(e) => s.update({ errata: (e.target as HTMLInputElement).checked })} />
            {' '}Use corrected answers where the benchmark has errata (public/benchmarks/errata.jsonl); off, results stay comparable with published ones</label>
        )}
        <label>Held out for evaluation <input id="eval-fraction" type="number" min={0.05} max={0.95} step={0.05} value={s.form.evalFraction} onInput={(e) => s.update({ evalFraction: Number((e.target as HTMLInputElement).value) })} /></label>
      </fieldset>
      <button type="button" id="prepare" disabled={!!s.busy} onClick={prepare}>Prepare problems</button>
      {s.dataset && (
        <section aria-labelledby="preview-h">
          <h3 id="preview-h">{failed ? 'Problems in use' : 'Preview'}</h3>
          {failed && <p class="notice" id="preview-stale" role="status">{failed} was not loaded. The problems prepared before it are still the ones used for training and evaluation:</p>}
          <p id="split-summary">{s.dataset.description}: {s.dataset.train.length} for training, {s.dataset.eval.length} held out for evaluation{s.dataset.dropped ? ` (${s.dataset.dropped} without an answer left out)` : ''}.</p>
          {!failed && <ScrollRegion label="Preview of the problems (table)"><table id="preview">
            <thead><tr><th scope="col">Split</th><th scope="col">Id</th><th scope="col">Question</th><th scope="col">Answer</th></tr></thead>
            <tbody>{[...s.dataset.train.slice(0, 4).map((i) => ['train', i] as const), ...s.dataset.eval.slice(0, 4).map((i) => ['eval', i] as const)].map(([split, i]) => (
              <tr><td>{split}</td><td>{i.id}</td><td class="question">{preview(i.question)}</td><td>{formatAnswer(i.answer)}</td></tr>
            ))}</tbody>
          </table></ScrollRegion>}
        </section>
      )}
    </div>
  );
}
