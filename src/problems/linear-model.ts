// The generator's model of a problem, independent of any solver language: a linear (mixed-integer)
// program with named columns and rows. Each target's gold serializer (src/targets/<name>/gold.ts)
// writes it in that target's language.

export type RowSense = '<=' | '>=' | '=';
/** coefficient c of column v */
export interface Term { v: string; c: number }
export interface Row { name: string; terms: Term[]; op: RowSense; rhs: number }
/** bounds default to [0, +inf); 'bin' columns are {0, 1} */
export interface Col { name: string; kind: 'cont' | 'int' | 'bin'; lb?: number; ub?: number }
export interface LinearModel {
  /** one-line description, written as a comment where the language has them */
  title: string;
  sense: 'max' | 'min';
  objName: string;
  obj: Term[];
  rows: Row[];
  cols: Col[];
}

/** What a problem family builds: the word problem and its model. */
export interface FamilyInstance {
  question: string;
  model: LinearModel;
  /** the family's own text of the model in a target's language, used instead of that target's
   *  generic serializer (MathProg with sets, params and a data section, as a person writes it) */
  written: Record<string, string>;
}

/** " head part part ... tail", wrapped at ~78 chars with indented continuation lines. */
export function wrapLine(head: string, parts: string[], tail = ''): string {
  const lines: string[] = [];
  let cur = head;
  for (const p of [...parts, ...(tail ? [tail] : [])]) {
    if (cur !== head && cur.length + 1 + p.length > 78) {
      lines.push(cur);
      cur = '   ' + p;
    } else {
      cur = cur === '' ? p : `${cur} ${p}`;
    }
  }
  lines.push(cur);
  return lines.join('\n');
}
