// A progress bar for anything over a second: what is being done, k of n with its unit, the time left
// (estimated from the rate so far), and Cancel when the action can stop. One component for
// evaluations, training steps, downloads, the class demo and the transfer wizard's stages.
import { formatDuration } from './format.ts';
import { plural } from '../rl/transfer.ts';

export interface Progress {
  /** what is being done now ("Generating", "Verifying", "Step 3 of 10: backward") */
  label: string;
  done: number;
  total: number;
  /** what is counted, singular ("completion", "step", "MB") */
  unit: string;
  /** Date.now() when this count started (for the time left) */
  startedAt: number;
}

/** Seconds left at the rate so far (null until there is a rate). */
export function secondsLeft(p: Progress, now = Date.now()): number | null {
  if (p.done <= 0 || p.done >= p.total) return p.done >= p.total ? 0 : null;
  const elapsed = (now - p.startedAt) / 1000;
  return elapsed > 0 ? (elapsed / p.done) * (p.total - p.done) : null;
}

export function ProgressBar({ id, progress, onCancel, cancelLabel = 'Cancel' }: { id: string; progress: Progress; onCancel?: () => void; cancelLabel?: string }) {
  const { label, done, total, unit } = progress;
  const left = secondsLeft(progress);
  const share = total > 0 ? Math.min(1, done / total) : 0;
  return (
    <div class="progress" id={id} role="group" aria-label={label}>
      <div class="progress-head">
        <span class="progress-label">{label}</span>
        <span class="progress-count" aria-live="polite">{done} of {plural(total, unit)}{left !== null && left >= 1 ? ` · about ${formatDuration(left)} left` : ''}</span>
        {onCancel && <button type="button" class="secondary progress-cancel" onClick={onCancel}>{cancelLabel}</button>}
      </div>
      <progress max={1} value={share} aria-label={`${label}: ${Math.round(100 * share)} %`} />
    </div>
  );
}
