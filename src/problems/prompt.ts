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
  pulp: {
    language: 'Python with PuLP (solved by CBC)',
    example: 'import pulp\nprob = pulp.LpProblem("m", pulp.LpMaximize)\nx = pulp.LpVariable("x", 0, 3)\ny = pulp.LpVariable("y", 0, cat="Integer")\nprob += 3 * x + 2 * y\nprob += x + y <= 4\nprob += x + 3 * y <= 6\nprob.solve(pulp.PULP_CBC_CMD(msg=0))\nprint("Optimal value:", pulp.value(prob.objective))',
  },
  scipy: {
    language: 'Python with scipy.optimize.milp (solved by HiGHS)',
    example: 'import numpy as np\nfrom scipy.optimize import milp, LinearConstraint, Bounds\nc = -np.array([3, 2])  # milp minimizes\ncons = LinearConstraint([[1, 1], [1, 3]], -np.inf, [4, 6])\nres = milp(c, constraints=cons, integrality=[0, 1], bounds=Bounds([0, 0], [3, np.inf]))\nprint("Optimal value:", -res.fun)',
  },
  gurobi: {
    language: 'Python with gurobipy (solved by Gurobi)',
    example: 'import gurobipy as gp\nfrom gurobipy import GRB\nm = gp.Model()\nx = m.addVar(lb=0, ub=3)\ny = m.addVar(lb=0, vtype=GRB.INTEGER)\nm.setObjective(3 * x + 2 * y, GRB.MAXIMIZE)\nm.addConstr(x + y <= 4)\nm.addConstr(x + 3 * y <= 6)\nm.optimize()\nprint("Optimal value:", m.ObjVal)',
  },
  copt: {
    language: 'Python with coptpy (solved by COPT)',
    example: 'import coptpy as cp\nfrom coptpy import COPT\nenv = cp.Envr()\nm = env.createModel("m")\nx = m.addVar(lb=0, ub=3)\ny = m.addVar(lb=0, vtype=COPT.INTEGER)\nm.setObjective(3 * x + 2 * y, COPT.MAXIMIZE)\nm.addConstr(x + y <= 4)\nm.addConstr(x + 3 * y <= 6)\nm.solve()\nprint("Optimal value:", m.objval)',
  },
  ortools: {
    language: 'Python with OR-Tools (pywraplp)',
    example: 'from ortools.linear_solver import pywraplp\ns = pywraplp.Solver.CreateSolver("SCIP")\nx = s.NumVar(0, 3, "x")\ny = s.IntVar(0, s.infinity(), "y")\ns.Maximize(3 * x + 2 * y)\ns.Add(x + y <= 4)\ns.Add(x + 3 * y <= 6)\ns.Solve()\nprint("Optimal value:", s.Objective().Value())',
  },
};

/** Python targets a sandbox server may offer (server/). */
export const PYTHON_TARGETS = ['pulp', 'scipy', 'gurobi', 'copt', 'ortools', 'cvxopt', 'swiglpk'] as const;

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
