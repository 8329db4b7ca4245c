// Definitions on screen (the table is labels.ts): a metric or an outcome class with its definition
// as a title, and a folded list that spells out the definitions of what a table shows, for keyboards,
// touch screens and screen readers alike.
import type { OutcomeClass } from '../verifier/outcome.ts';
import { METRICS, OUTCOME_DEFINITIONS, type MetricKey } from './labels.ts';

/** A metric's name (or `children`), its definition in the title. */
export function Term({ k, children }: { k: MetricKey; children?: preact.ComponentChildren }) {
  return <abbr title={METRICS[k].definition}>{children ?? METRICS[k].name}</abbr>;
}

/** An outcome class's name, its definition in the title. */
export function Outcome({ cls }: { cls: OutcomeClass }) {
  return <abbr title={OUTCOME_DEFINITIONS[cls]}>{cls}</abbr>;
}

/** An outcome class as the verifier page shows it: a coloured badge. */
export function OutcomeBadge({ cls }: { cls: OutcomeClass }) {
  return <span class={`badge ${cls}`}>{cls}</span>;
}

/** The definitions of some metrics and outcome classes, folded under a summary line. */
export function Glossary({ id, metrics = [], outcomes = [], summary = 'What these mean' }: { id: string; metrics?: readonly MetricKey[]; outcomes?: readonly OutcomeClass[]; summary?: string }) {
  return (
    <details class="glossary" id={id}>
      <summary>{summary}</summary>
      <dl>
        {metrics.map((k) => <><dt>{METRICS[k].name}</dt><dd>{METRICS[k].definition}</dd></>)}
        {outcomes.map((c) => <><dt><code>{c}</code></dt><dd>{OUTCOME_DEFINITIONS[c]}</dd></>)}
      </dl>
    </details>
  );
}
