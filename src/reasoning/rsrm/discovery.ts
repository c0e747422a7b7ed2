/**
 * RSRM's modulated sub-tree discovery block (MSDB; Xu et al., ICLR 2024, §3.3). Good expressions
 * found so far are mined for sub-trees; the sub-trees that recur in the best expressions become new
 * leaf tokens ("new operators learnt from good sub-trees"), so the next MCTS round can use a whole
 * sub-formula as one step and reach longer formulas within the same length limit. "Modulated":
 * the best expression f also becomes a token and the next rounds search the residual forms
 * y − f and y / f (the paper's additive / multiplicative decomposition), combined back as f + g, f·g.
 */
import { evalPrefix, expandNames, type Token } from '../../tasks/symreg/expr.js';
import type { Scored } from './mcts.js';

/** Start index → end index (exclusive) of the sub-tree rooted at each prefix position. */
export function subtreeSpans(prefix: readonly Token[]): number[] {
  const end = new Array<number>(prefix.length);
  for (let i = prefix.length - 1; i >= 0; i--) {
    let j = i + 1;
    for (let a = 0; a < prefix[i].arity; a++) j = end[j];
    end[i] = j;
  }
  return end;
}

/**
 * The `count` sub-trees (2 to `maxSize` tokens, with a variable, not yet tokens) with the largest
 * summed reward over `elite`, as new leaf tokens named L1, L2, …; their values on X are stored.
 */
export function discoverSubtrees(
  elite: readonly Scored[],
  existing: readonly Token[],
  learnt: Map<string, Float64Array>,
  X: readonly Float64Array[],
  count: number,
  maxSize = 9,
): Token[] {
  const known = new Set(existing.filter((t) => t.expansion).map((t) => t.expansion!.join(' ')));
  const weight = new Map<string, { w: number; prefix: Token[] }>();
  for (const e of elite) {
    const spans = subtreeSpans(e.prefix);
    const seen = new Set<string>();
    for (let i = 0; i < e.prefix.length; i++) {
      const sub = e.prefix.slice(i, spans[i]);
      if (sub.length < 2 || sub.length > maxSize || sub.length === e.prefix.length) continue;
      if (!sub.some((t) => t.variable !== undefined || t.expansion)) continue;
      const key = expandNames(sub).join(' ');
      if (known.has(key) || seen.has(key)) continue;
      seen.add(key);
      const cur = weight.get(key) ?? { w: 0, prefix: sub };
      cur.w += e.reward;
      weight.set(key, cur);
    }
  }
  const ranked = [...weight.entries()].sort((a, b) => b[1].w - a[1].w).slice(0, count);
  return ranked.map(([key, v]) => makeLearnt(key.split(' '), v.prefix, existing, learnt, X));
}

/** A learnt leaf token for `prefix` (its values on X computed and cached under its name). */
export function makeLearnt(
  names: string[],
  prefix: readonly Token[],
  existing: readonly Token[],
  learnt: Map<string, Float64Array>,
  X: readonly Float64Array[],
): Token {
  const name = `L${learnt.size + 1}`;
  const values = evalPrefix(prefix, X, learnt);
  learnt.set(name, values);
  return { name, arity: 0, expansion: names };
}
