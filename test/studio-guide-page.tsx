// A test page for test/studio-guide.test.ts (loaded from the Vite dev server into engine-host.html):
// one Studio component rendered alone, with the Studio's styles, from data the test gives.
import { render } from 'preact';
import '../src/studio/studio.css';
import type { StepRollouts } from '../src/host/run-store.ts';
import { RolloutInspector } from '../src/studio/train-panel.tsx';

/** The rollout inspector on these steps' rollouts, in the page's <main>. */
export function renderInspector(rollouts: StepRollouts[]): void {
  document.documentElement.lang = 'en';
  document.title = 'Rollout inspector';
  const main = document.createElement('main');
  document.body.replaceChildren(main);
  render(<RolloutInspector rollouts={rollouts} />, main);
}
