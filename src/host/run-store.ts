// Training runs on storage: one layout for `evom train` (a folder on disk) and EVOM Studio (OPFS),
// so a run made by one opens in the other. A run is a folder:
//
//   {id}/run.json                       RunRecord: model, settings, where its data came from
//   {id}/data.json                      RunData: training and evaluation items
//   {id}/metrics.jsonl                  one StepMetrics line per step done
//   {id}/checkpoints/step-000010/       adapter_config.json, adapter_model.safetensors (PEFT),
//                                       optimizer.safetensors (AdamW m.i, v.i, f32), trainer.json
//   {id}/checkpoints/latest             the name of the last complete checkpoint
//   {id}/start-adapter/                 the PEFT adapter a new run starts from (solver transfer)
//   {id}/adapter/                       the final adapter (PEFT), written when a run finishes
//   {id}/rollouts.json, evals.json      the Studio's rollout inspector and evaluations
//
// A checkpoint folder is written whole before `latest` names it (every file is replaced whole:
// rename on disk, createWritable in OPFS), so a run killed at any moment resumes from its last
// complete checkpoint. Backends implement StoreFiles: run-store-fs.ts (Node), run-store-opfs.ts.

import { DataError, EvomError } from '../errors.ts';
import { parseSafetensorsHeader, readTensor, serializeSafetensors } from '../model/safetensors.ts';
import type { RolloutGroup, StepMetrics, TrainerCheckpoint, TrainItem } from '../rl/trainer.ts';
import type { TrainSettings } from '../rl/run-card.ts';

/** Whole-file storage under one root; paths are lists of names. */
export interface StoreFiles {
  /** the file's bytes, or null when it (or a folder on its path) does not exist */
  read(path: string[]): Promise<Uint8Array | null>;
  /** replace the file whole (creating folders); a reader never sees half of it */
  write(path: string[], data: Uint8Array | string): Promise<void>;
  /** names of the entries of a folder ([] when it does not exist) */
  list(path: string[]): Promise<{ name: string; kind: 'file' | 'directory' }[]>;
  /** a file or folder with everything under it; nothing when it does not exist */
  remove(path: string[]): Promise<void>;
}

/** Which model a run trains: the built-in policy, a Hub repository, a local folder or picked files. */
export interface RunModel { kind: 'builtin' | 'hub' | 'local'; id: string; hubUrl?: string }

/** run.json. */
export interface RunRecord {
  id: string;
  title: string;
  /** ISO time */
  created: string;
  model: RunModel;
  settings: TrainSettings;
  /** save a checkpoint every this many steps (and after the last) */
  checkpointEvery: number;
  data: { description: string; train_items: number; eval_items: number };
  /** the run whose adapter start-adapter/ was copied from, for the record */
  adapterFrom?: string;
}

/** data.json. */
export interface RunData { train: TrainItem[]; eval: TrainItem[]; description: string }

export type AdapterFiles = TrainerCheckpoint['adapter'];

/** rollouts.json: the groups of the last ROLLOUT_STEPS_KEPT steps. */
export interface StepRollouts { step: number; groups: RolloutGroup[] }
export const ROLLOUT_STEPS_KEPT = 20;

/** The kept rollouts once `next` is added (a resumed step replaces its earlier attempt and any later ones). */
export function keepRollouts(prev: readonly StepRollouts[], next: StepRollouts): StepRollouts[] {
  return [...prev.filter((r) => r.step < next.step).slice(-(ROLLOUT_STEPS_KEPT - 1)), next];
}

export const RUN_FILES = {
  run: 'run.json', data: 'data.json', metrics: 'metrics.jsonl', rollouts: 'rollouts.json', evals: 'evals.json',
  checkpoints: 'checkpoints', latest: 'latest', startAdapter: 'start-adapter', adapter: 'adapter',
} as const;
const ADAPTER_CONFIG = 'adapter_config.json';
const ADAPTER_WEIGHTS = 'adapter_model.safetensors';
const OPTIMIZER = 'optimizer.safetensors';
const TRAINER = 'trainer.json';

export class RunNotFoundError extends EvomError {
  constructor(id: string, where: string) { super(`no training run "${id}" in ${where} (no run.json)`, 'run_not_found'); }
}

const utf8 = new TextEncoder();
const text = (b: Uint8Array) => new TextDecoder().decode(b);
export const checkpointName = (step: number) => `step-${String(step).padStart(6, '0')}`;

/** Runs under one root of a StoreFiles backend. `where` names the root in messages. */
export class RunStore {
  constructor(readonly files: StoreFiles, readonly where: string) {}

  async listRuns(): Promise<string[]> {
    const ids: string[] = [];
    for (const e of await this.files.list([])) if (e.kind === 'directory' && await this.files.read([e.name, RUN_FILES.run])) ids.push(e.name);
    return ids.sort();
  }

  async readJson<T>(id: string, file: string): Promise<T | null> {
    const b = await this.files.read([id, file]);
    if (!b) return null;
    try { return JSON.parse(text(b)) as T; } catch (e) { throw new DataError(`not JSON (${(e as Error).message})`, `${this.where}/${id}/${file}`); }
  }

  writeJson(id: string, file: string, value: unknown): Promise<void> {
    return this.files.write([id, file], JSON.stringify(value, null, 1));
  }

  readRun(id: string): Promise<RunRecord | null> { return this.readJson<RunRecord>(id, RUN_FILES.run); }

  async requireRun(id: string): Promise<RunRecord> {
    const r = await this.readRun(id);
    if (!r) throw new RunNotFoundError(id, this.where);
    if (!r.settings || typeof r.checkpointEvery !== 'number') throw new DataError('not a run of this version (no settings/checkpointEvery); start the run again', `${this.where}/${id}/run.json`);
    return r;
  }

  /** A new run: its record and data (the id must be free). */
  async createRun(run: RunRecord, data: RunData, startAdapter?: AdapterFiles): Promise<void> {
    if (await this.readRun(run.id)) throw new EvomError(`${this.where}/${run.id} already holds a run; continue it, or pick another name`, 'run_exists');
    await this.writeJson(run.id, RUN_FILES.data, data);
    if (startAdapter) await this.writeAdapter([run.id, RUN_FILES.startAdapter], startAdapter);
    await this.writeJson(run.id, RUN_FILES.run, run); // last: a run without run.json is not listed
  }

  async readData(id: string): Promise<RunData> {
    const d = await this.readJson<RunData>(id, RUN_FILES.data);
    if (!d) throw new DataError(`the run has lost its data file (${RUN_FILES.data})`, `${this.where}/${id}`);
    return d;
  }

  async readMetrics(id: string): Promise<StepMetrics[]> {
    const b = await this.files.read([id, RUN_FILES.metrics]);
    if (!b) return [];
    return text(b).split('\n').filter((l) => l.trim()).map((l, i) => {
      try { return JSON.parse(l) as StepMetrics; } catch { throw new DataError('not JSON', `${this.where}/${id}/${RUN_FILES.metrics}`, i + 1); }
    });
  }

  writeMetrics(id: string, metrics: readonly StepMetrics[]): Promise<void> {
    return this.files.write([id, RUN_FILES.metrics], metrics.map((m) => JSON.stringify(m) + '\n').join(''));
  }

  async readRollouts(id: string): Promise<StepRollouts[]> { return (await this.readJson<StepRollouts[]>(id, RUN_FILES.rollouts)) ?? []; }
  writeRollouts(id: string, r: readonly StepRollouts[]): Promise<void> { return this.files.write([id, RUN_FILES.rollouts], JSON.stringify(r)); }

  private async writeAdapter(dir: string[], a: AdapterFiles): Promise<void> {
    await this.files.write([...dir, ADAPTER_WEIGHTS], a[ADAPTER_WEIGHTS]);
    await this.files.write([...dir, ADAPTER_CONFIG], a[ADAPTER_CONFIG]);
  }

  private async readAdapter(dir: string[]): Promise<AdapterFiles | null> {
    const cfg = await this.files.read([...dir, ADAPTER_CONFIG]);
    const w = await this.files.read([...dir, ADAPTER_WEIGHTS]);
    if (!cfg || !w) return null;
    return { [ADAPTER_CONFIG]: text(cfg), [ADAPTER_WEIGHTS]: w };
  }

  /** Write a checkpoint folder whole, then name it in `latest`. */
  async writeCheckpoint(id: string, cp: TrainerCheckpoint): Promise<string> {
    const name = checkpointName(cp.step);
    const dir = [id, RUN_FILES.checkpoints, name];
    await this.files.remove(dir);
    await this.writeAdapter(dir, cp.adapter);
    const tensors = cp.optimizer.m.flatMap((m, i) => [
      { name: `m.${i}`, dtype: 'F32', shape: [m.length], data: new Uint8Array(m.buffer, m.byteOffset, m.byteLength) },
      { name: `v.${i}`, dtype: 'F32', shape: [cp.optimizer.v[i]!.length], data: new Uint8Array(cp.optimizer.v[i]!.buffer, cp.optimizer.v[i]!.byteOffset, cp.optimizer.v[i]!.byteLength) },
    ]);
    await this.files.write([...dir, OPTIMIZER], serializeSafetensors(tensors));
    await this.files.write([...dir, TRAINER], JSON.stringify({ step: cp.step, position: cp.position, optimizer_step: cp.optimizer.step, moments: cp.optimizer.m.length }));
    await this.files.write([id, RUN_FILES.checkpoints, RUN_FILES.latest], name);
    return name;
  }

  /** The last complete checkpoint, or null when the run has none yet. */
  async latestCheckpoint(id: string): Promise<TrainerCheckpoint | null> {
    const ptr = await this.files.read([id, RUN_FILES.checkpoints, RUN_FILES.latest]);
    if (!ptr) return null;
    const dir = [id, RUN_FILES.checkpoints, text(ptr).trim()];
    const where = `${this.where}/${dir.join('/')}`;
    const state = await this.files.read([...dir, TRAINER]);
    const opt = await this.files.read([...dir, OPTIMIZER]);
    const adapter = await this.readAdapter(dir);
    if (!state || !opt || !adapter) throw new DataError(`checkpoint incomplete (needs ${TRAINER}, ${OPTIMIZER}, ${ADAPTER_CONFIG}, ${ADAPTER_WEIGHTS})`, where);
    const s = JSON.parse(text(state)) as { step: number; position: number; optimizer_step: number; moments: number };
    const header = parseSafetensorsHeader(opt, { file: `${where}/${OPTIMIZER}` });
    const tensor = (name: string) => {
      const e = header.tensors.get(name);
      if (!e) throw new DataError(`no tensor ${name}`, `${where}/${OPTIMIZER}`);
      return readTensor(opt, e);
    };
    const m: Float32Array[] = [], v: Float32Array[] = [];
    for (let i = 0; i < s.moments; i++) { m.push(tensor(`m.${i}`)); v.push(tensor(`v.${i}`)); }
    return { step: s.step, position: s.position, adapter, optimizer: { step: s.optimizer_step, m, v } };
  }

  /** The adapter a run's training starts from (start-adapter/), if any. */
  startAdapter(id: string): Promise<AdapterFiles | null> { return this.readAdapter([id, RUN_FILES.startAdapter]); }

  /** The run's current adapter: its last checkpoint's (PEFT layout). */
  async adapter(id: string, why = 'yet'): Promise<AdapterFiles> {
    const ptr = await this.files.read([id, RUN_FILES.checkpoints, RUN_FILES.latest]);
    const a = ptr ? await this.readAdapter([id, RUN_FILES.checkpoints, text(ptr).trim()]) : null;
    if (!a) throw new EvomError(`run ${id} has no checkpoint ${why}: train at least one step`, 'no_checkpoint');
    return a;
  }

  /** Copy the last checkpoint's adapter to {id}/adapter/ (a finished run's PEFT export). */
  async finishAdapter(id: string): Promise<void> {
    await this.writeAdapter([id, RUN_FILES.adapter], await this.adapter(id));
  }

  /** Keep only metrics of steps the last checkpoint covers (later steps will be redone); `cp`: that checkpoint, when the caller has read it. */
  async truncateToCheckpoint(id: string, cp?: TrainerCheckpoint | null): Promise<{ step: number; metrics: StepMetrics[] }> {
    if (cp === undefined) cp = await this.latestCheckpoint(id);
    const step = cp?.step ?? 0;
    const all = await this.readMetrics(id);
    const metrics = all.filter((m) => m.step <= step);
    if (metrics.length !== all.length) await this.writeMetrics(id, metrics);
    return { step, metrics };
  }

  deleteRun(id: string): Promise<void> { return this.files.remove([id]); }

  /** Every file of a run, for export (paths relative to the run folder). */
  async exportRun(id: string): Promise<Record<string, Uint8Array>> {
    const out: Record<string, Uint8Array> = {};
    const walk = async (path: string[]) => {
      for (const e of await this.files.list([id, ...path])) {
        if (e.kind === 'directory') await walk([...path, e.name]);
        else out[[...path, e.name].join('/')] = (await this.files.read([id, ...path, e.name]))!;
      }
    };
    await walk([]);
    return out;
  }

  /** A run exported by exportRun (or a CLI run folder's files) stored under `id`. */
  async importRun(id: string, files: Record<string, Uint8Array | string>): Promise<RunRecord> {
    const runText = files[RUN_FILES.run];
    if (runText === undefined) throw new DataError(`not a training run: no ${RUN_FILES.run} among the files`, 'imported run');
    const run = JSON.parse(typeof runText === 'string' ? runText : text(runText)) as RunRecord;
    if (!run.settings || typeof run.checkpointEvery !== 'number') throw new DataError('not a run of this version (no settings/checkpointEvery)', `imported ${RUN_FILES.run}`);
    if (await this.readRun(id)) throw new EvomError(`${this.where}/${id} already holds a run`, 'run_exists');
    for (const [name, data] of Object.entries(files)) {
      if (name === RUN_FILES.run) continue;
      const path = name.split('/').filter(Boolean);
      if (path.some((p) => p === '..' || p === '.')) throw new DataError(`bad file name: ${name}`, 'imported run');
      await this.files.write([id, ...path], data);
    }
    const saved = { ...run, id };
    await this.writeJson(id, RUN_FILES.run, saved);
    return saved;
  }
}

/** Bytes of a string (for backends that store bytes only). */
export const bytesOf = (d: Uint8Array | string): Uint8Array => (typeof d === 'string' ? utf8.encode(d) : d);
