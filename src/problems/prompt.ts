// The chat messages the policy sees for one problem and target (EVOM's protocol). The language and
// the example come from the target's module (src/targets/<name>/index.ts).

import { targetModule } from '../targets/registry.ts';
import type { ProtocolStrictness } from '../verifier/config.ts';
import type { EvomTokenizer } from '../model/tokenizer.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** The example's optimal objective (x = 3, y = 1): every target's example model solves to it. */
export const EXAMPLE_ANSWER = 11;

/** The example problem in words (the models in the targets' examples are its formulation). */
export const EXAMPLE_QUESTION = 'A shop sells two products, x (profit 3 each, at most 3 can be sold) and y (profit 2 each, whole units only). '
  + 'Resource A: x + y ≤ 4 units. Resource B: x + 3y ≤ 6 units. How much of each maximizes profit?';

/** A complete, correct completion for the example problem, in the protocol. */
export function exampleCompletion(target: string): string {
  const t = targetModule(target);
  if (!t) return '';
  return `<think>Products x (profit 3, at most 3) and y (profit 2, whole units); resources: x + y <= 4 and x + 3y <= 6.</think>\n<code>\n${t.example}\n</code>`;
}

export function targetLanguage(target: string): string {
  return targetModule(target)?.language ?? `code for the "${target}" target`;
}

/** Said to every target: the integrity rule and integrality, in a model's terms. */
const COMMON_RULES = [
  'Declare integer (or binary) variables for quantities that cannot be divided: people, vehicles, whole units.',
  'Let the solver find the answer: a model that states the answer itself (as a constant objective or a bound) earns no answer reward.',
];

export function systemPrompt(target: string, protocol: ProtocolStrictness = 'lenient'): string {
  const t = targetModule(target);
  const example = t ? `\n\nExample of the format:\n<think>Two products x and y; maximize profit subject to two resources.</think>\n<code>\n${t.example}\n</code>` : '';
  const rules = [...(t?.rules ?? []), ...COMMON_RULES];
  const format = protocol === 'strict'
    ? 'Write exactly <think>…</think> followed by <code>…</code>, with nothing before, between or after them.'
    : 'Then give the complete model, and nothing else, inside <code>…</code>.';
  return (
    `You are an expert in operations research. Formulate the user's optimization problem as a mathematical model in ${targetLanguage(target)}.\n` +
    `First reason step by step inside <think>…</think>. ${format} ` +
    'The model is executed by the solver; its optimal objective value is your answer.\n\nRules:\n' +
    rules.map((r) => `- ${r}`).join('\n') + example
  );
}

export function buildMessages(question: string, target: string, protocol: ProtocolStrictness = 'lenient'): ChatMessage[] {
  return [
    { role: 'system', content: systemPrompt(target, protocol) },
    { role: 'user', content: question },
  ];
}

/** The policy's prompt for a question as token ids (training, evaluation and the Playground): the
 *  chat messages through the model's template when its tokenizer has one, else plain text. */
export function promptIdsFor(tokenizer: EvomTokenizer, question: string, target: string): number[] {
  const msgs = buildMessages(question, target);
  if (tokenizer.hasChatTemplate) return tokenizer.encodeChat(msgs.map((m) => ({ ...m })));
  return tokenizer.encode(`${systemPrompt(target)}\n\n${question}\n`);
}
