// Python targets: the model writes Python for a solver package, and a sandbox server (server/) runs
// it (src/targets/python/harness.py records each solve through hooks on the package). One folder for
// all of them: they share the runner, which lives on the server; each has its guide and example.
// Licensed solvers (Gurobi, COPT) and OR-Tools run where the server's operator has them.

import type { TargetModule } from '../target.ts';

const RULES = [
  'Build the model with the library, call its solver, and print the optimal objective value. The verifier re-solves the model you built: a printed number alone is not an answer.',
];
const python = (name: string, language: string, example: string): TargetModule => ({ name, language, runs: 'sandbox', example, fences: ['python', 'py', 'python3'], rules: RULES });

export { RULES as PYTHON_RULES };
export const PYTHON_TARGETS: readonly TargetModule[] = [
  python('scipy', 'Python with scipy.optimize.milp (solved by HiGHS)',
    'import numpy as np\nfrom scipy.optimize import milp, LinearConstraint, Bounds\nc = -np.array([3, 2])  # milp minimizes\ncons = LinearConstraint([[1, 1], [1, 3]], -np.inf, [4, 6])\nres = milp(c, constraints=cons, integrality=[0, 1], bounds=Bounds([0, 0], [3, np.inf]))\nprint("Optimal value:", -res.fun)'),
  python('cvxopt', 'Python with cvxopt.glpk.ilp (solved by GLPK)',
    'from cvxopt import matrix, glpk\nc = matrix([-3.0, -2.0])  # ilp minimizes\nG = matrix([[1.0, 1.0, 1.0, -1.0, 0.0], [1.0, 3.0, 0.0, 0.0, -1.0]])  # columns: x, y\nh = matrix([4.0, 6.0, 3.0, 0.0, 0.0])\nstatus, sol = glpk.ilp(c, G, h, I={1})\nprint(status)\nprint("Optimal value:", -(c.T * sol)[0])'),
  python('swiglpk', 'Python with the GLPK C API through swiglpk',
    'import swiglpk as glp\nlp = glp.glp_create_prob()\nglp.glp_set_obj_dir(lp, glp.GLP_MAX)\nglp.glp_add_rows(lp, 2)\nglp.glp_set_row_bnds(lp, 1, glp.GLP_UP, 0.0, 4.0)\nglp.glp_set_row_bnds(lp, 2, glp.GLP_UP, 0.0, 6.0)\nglp.glp_add_cols(lp, 2)\nglp.glp_set_col_bnds(lp, 1, glp.GLP_DB, 0.0, 3.0)\nglp.glp_set_col_bnds(lp, 2, glp.GLP_LO, 0.0, 0.0)\nglp.glp_set_col_kind(lp, 2, glp.GLP_IV)\nglp.glp_set_obj_coef(lp, 1, 3.0)\nglp.glp_set_obj_coef(lp, 2, 2.0)\nia, ja, ar = glp.intArray(5), glp.intArray(5), glp.doubleArray(5)\nfor k, (i, j, v) in enumerate([(1, 1, 1), (1, 2, 1), (2, 1, 1), (2, 2, 3)], start=1):\n    ia[k], ja[k], ar[k] = i, j, float(v)\nglp.glp_load_matrix(lp, 4, ia, ja, ar)\nparm = glp.glp_iocp()\nglp.glp_init_iocp(parm)\nparm.presolve = glp.GLP_ON\nglp.glp_intopt(lp, parm)\nprint("Optimal value:", glp.glp_mip_obj_val(lp))'),
  python('ortools', 'Python with OR-Tools (pywraplp)',
    'from ortools.linear_solver import pywraplp\ns = pywraplp.Solver.CreateSolver("SCIP")\nx = s.NumVar(0, 3, "x")\ny = s.IntVar(0, s.infinity(), "y")\ns.Maximize(3 * x + 2 * y)\ns.Add(x + y <= 4)\ns.Add(x + 3 * y <= 6)\ns.Solve()\nprint("Optimal value:", s.Objective().Value())'),
  python('gurobi', 'Python with gurobipy (solved by Gurobi)',
    'import gurobipy as gp\nfrom gurobipy import GRB\nm = gp.Model()\nx = m.addVar(lb=0, ub=3)\ny = m.addVar(lb=0, vtype=GRB.INTEGER)\nm.setObjective(3 * x + 2 * y, GRB.MAXIMIZE)\nm.addConstr(x + y <= 4)\nm.addConstr(x + 3 * y <= 6)\nm.optimize()\nprint("Optimal value:", m.ObjVal)'),
  python('copt', 'Python with coptpy (solved by COPT)',
    'import coptpy as cp\nfrom coptpy import COPT\nenv = cp.Envr()\nm = env.createModel("m")\nx = m.addVar(lb=0, ub=3)\ny = m.addVar(lb=0, vtype=COPT.INTEGER)\nm.setObjective(3 * x + 2 * y, COPT.MAXIMIZE)\nm.addConstr(x + y <= 4)\nm.addConstr(x + 3 * y <= 6)\nm.solve()\nprint("Optimal value:", m.objval)'),
];
