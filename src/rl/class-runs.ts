// A class's runs on the teacher's sandbox server: the shapes and names that the server
// (server/class-store.ts), the Studio's Classroom tab (src/studio/class-client.ts) and
// `evom class` (src/cli/class.ts) share. The routes are /v1/class/runs (POST: a student's run card;
// GET: the teacher's listing; DELETE: the class's or one student's runs).
import type { RunCard } from './run-card.ts';

/** A class id in classes_file: 1–64 letters, digits, dots, underscores or hyphens. */
export const CLASS_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A pseudonym (after NFC and trimming): 1–40 letters, digits, spaces, ". _ -", starting with a letter or digit. */
export const PSEUDONYM = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,39}$/u;
/** A run's id: the Studio's run id. */
export const RUN_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** What the compare view needs of a run card; the server keeps nothing else. */
export interface StoredCard {
  title?: string;
  model: RunCard['model'];
  settings: RunCard['settings'];
  data: { description: string; train_items: number; eval_items: number };
  adapter_from?: string;
  metrics: RunCard['metrics'];
  evaluations: RunCard['evaluations'];
}
/** One run as the teacher's listing gives it. */
export interface ListedRun { pseudonym: string; run: string; received: string; card: StoredCard }
export interface ClassLimits { max_runs: number; max_runs_per_student: number; max_bytes: number; max_upload_bytes: number }
/** `GET /v1/class/runs`; `revision` is the ETag. */
export interface ClassListing { class: string; revision: number; runs: ListedRun[]; runs_used: number; bytes_used: number; limits: ClassLimits }
