// Python models shared by the server tests: the same small LP (maximize 3x + 2y; answer 11) for PuLP
// and SciPy, and the PuLP one after a sleep.

export const PULP_OK = `import pulp
prob = pulp.LpProblem("m", pulp.LpMaximize)
x = pulp.LpVariable("x", 0, 3)
y = pulp.LpVariable("y", 0)
prob += 3 * x + 2 * y
prob += x + y <= 4
prob += x + 3 * y <= 6
prob.solve(pulp.PULP_CBC_CMD(msg=0))
print("Optimal value:", pulp.value(prob.objective))
`;
export const SCIPY_OK = `import numpy as np
from scipy.optimize import linprog
res = linprog(c=[-3, -2], A_ub=[[1, 1], [1, 3]], b_ub=[4, 6], bounds=[(0, 3), (0, None)])
print("Optimal value:", -res.fun)
`;
/** PULP_OK after a sleep of `s` seconds: answer 11 */
export const SLOW = (s: number) => `import time\ntime.sleep(${s})\n${PULP_OK}`;
