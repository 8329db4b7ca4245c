// What a disabled action needs, as a link-button to the tab that provides it, placed beside the
// action: "Prepare problems first → Problems". Pressing it opens that tab and puts the keyboard on
// the control that provides the missing thing.
import { tabLabel, useStudio, type TabId } from './app.ts';

/** The things an action can lack: what to do, the tab where it is done, and its control there. */
export const NEEDS = {
  problems: { text: 'Prepare problems first', tab: 'problems', control: '#prepare' },
  // Start training, or (without problems) the link to the Problems tab that sits beside it
  run: { text: 'Train a run first', tab: 'train', control: '#start, #train-needs-problems' },
  steps: { text: 'This run has no trained steps yet: train it', tab: 'train', control: '#start, #train-needs-problems' },
  serverUrl: { text: 'Enter a sandbox server address first', tab: 'targets', control: '#server-url' },
  gpu: { text: 'This browser has no WebGPU: what to do', tab: 'start', control: '#no-webgpu' },
} as const satisfies Record<string, { text: string; tab: TabId; control: string }>;
export type Need = keyof typeof NEEDS;

/** Put the keyboard on a control once its tab is on screen (it scrolls into view): the first of the
 *  selector's matches that is not disabled (an action, else what the action itself needs). */
export function focusControl(selector: string): void {
  const el = [...document.querySelectorAll<HTMLElement>(selector)].find((e) => !(e as HTMLButtonElement).disabled);
  if (!el) return;
  if (el.tabIndex < 0 && !/^(BUTTON|INPUT|SELECT|TEXTAREA|A)$/.test(el.tagName)) el.tabIndex = -1;
  el.focus();
}

/**
 * A link-button beside a disabled action: what it needs → the tab that provides it. Shown only when
 * `when` holds (the default: always); `id` names it for tests.
 */
export function NeedsLink({ need, id, when = true, text }: { need: Need; id?: string; when?: boolean; text?: string }) {
  const s = useStudio();
  if (!when) return null;
  const n = NEEDS[need];
  return (
    <button type="button" class="link needs-link" id={id} data-needs={need} onClick={() => s.go(n.tab, () => focusControl(n.control))}>
      {text ?? n.text} → {tabLabel(n.tab)}
    </button>
  );
}
