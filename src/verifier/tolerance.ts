// Rules that decide whether a solver's objective matches the expected answer.
// Every report states which rule was used, because scores change a lot with it.

export const TOLERANCE_RULES = ['rel5pct', 'rel1e-4', 'sirl', 'int'] as const;
export type ToleranceRule = (typeof TOLERANCE_RULES)[number];

/** Denominator floor δ of the relative rules: |u − a| / max(|a|, δ). */
export const RELATIVE_FLOOR = 1e-6;

export const TOLERANCE_DESCRIPTIONS: Record<ToleranceRule, string> = {
  rel5pct: '|u − a| / max(|a|, 1e-6) ≤ 0.05 (EVOM main rule)',
  'rel1e-4': '|u − a| / max(|a|, 1e-6) ≤ 1e-4 (EVOM strict rule)',
  sirl: '|u − a| / (|a| + 1) < 1e-6 (SIRL / OptMATH rule)',
  int: 'round both to integers, then |U − A| / max(|A|, 1e-6) ≤ 0.05 (ORLM rule)',
};

export function isToleranceRule(s: string): s is ToleranceRule {
  return (TOLERANCE_RULES as readonly string[]).includes(s);
}

function relErr(u: number, a: number): number {
  return Math.abs(u - a) / Math.max(Math.abs(a), RELATIVE_FLOOR);
}

/** True when objective u matches answer a under the rule. Non-finite values never match. */
export function withinTolerance(u: number, a: number, rule: ToleranceRule): boolean {
  if (!Number.isFinite(u) || !Number.isFinite(a)) return false;
  switch (rule) {
    case 'rel5pct': return relErr(u, a) <= 0.05;
    case 'rel1e-4': return relErr(u, a) <= 1e-4;
    case 'sirl': return Math.abs(u - a) / (Math.abs(a) + 1) < 1e-6;
    case 'int': return relErr(Math.round(u), Math.round(a)) <= 0.05;
  }
}
