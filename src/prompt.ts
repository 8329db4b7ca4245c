// The chat messages the policy sees for one problem and target (EVOM's protocol).

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Per target: the language, and a tiny complete example of it. */
const TARGET_GUIDES: Record<string, { language: string; example: string }> = {
  highs: {
    language: 'CPLEX LP format (solved by HiGHS)',
    example: 'Maximize\n obj: 3 x + 2 y\nSubject To\n c1: x + y <= 4\n c2: x + 3 y <= 6\nBounds\n x <= 3\nGeneral\n y\nEnd',
  },
  glpk: {
    language: 'GNU MathProg / GMPL (solved by GLPK)',
    example: 'var x >= 0, <= 3;\nvar y >= 0, integer;\nmaximize obj: 3*x + 2*y;\ns.t. c1: x + y <= 4;\ns.t. c2: x + 3*y <= 6;\nsolve;\nend;',
  },
  'glpk-json': {
    language: 'the glpk.js JSON model (solved by GLPK)',
    example: '{"name": "m", "objective": {"direction": 2, "name": "obj", "vars": [{"name": "x", "coef": 3}, {"name": "y", "coef": 2}]},\n "subjectTo": [{"name": "c1", "vars": [{"name": "x", "coef": 1}, {"name": "y", "coef": 1}], "bnds": {"type": 3, "ub": 4, "lb": 0}},\n  {"name": "c2", "vars": [{"name": "x", "coef": 1}, {"name": "y", "coef": 3}], "bnds": {"type": 3, "ub": 6, "lb": 0}}],\n "bounds": [{"name": "x", "type": 4, "lb": 0, "ub": 3}], "generals": ["y"]}',
  },
};

/** The example's optimal objective (x = 3, y = 1). */
export const EXAMPLE_ANSWER = 11;

/** A complete, correct completion for the example problem, in the protocol. */
export function exampleCompletion(target: string): string {
  const guide = TARGET_GUIDES[target];
  if (!guide) return '';
  return `<think>Products x (profit 3, at most 3) and y (profit 2, whole units); resources: x + y <= 4 and x + 3y <= 6.</think>\n<code>\n${guide.example}\n</code>`;
}

export function targetLanguage(target: string): string {
  return TARGET_GUIDES[target]?.language ?? `code for the "${target}" target`;
}

export function systemPrompt(target: string): string {
  const guide = TARGET_GUIDES[target];
  const example = guide ? `\n\nExample of the format:\n<think>Two products x and y; maximize profit subject to two resources.</think>\n<code>\n${guide.example}\n</code>` : '';
  return (
    `You are an expert in operations research. Formulate the user's optimization problem as a mathematical model in ${targetLanguage(target)}.\n` +
    'First reason step by step inside <think>…</think>. Then give the complete model, and nothing else, inside <code>…</code>. ' +
    'The model is executed by the solver; its optimal objective value is your answer.' + example
  );
}

export function buildMessages(question: string, target: string): ChatMessage[] {
  return [
    { role: 'system', content: systemPrompt(target) },
    { role: 'user', content: question },
  ];
}
