/**
 * Bottom-up enumeration of small sub-trees for the value pool (pool.ts): every expression of
 * 1, 2, … tokens over the base library, kept only when its value vector is new (the shortest
 * expression of each function on the samples), until `budget` expressions were evaluated. This
 * gives RSRM's sub-tree discovery (Xu et al., ICLR 2024, §3.3) a complete stock of the small
 * sub-trees that MCTS's random completions reach only by chance; it is counted in the evaluation
 * budget like any MCTS evaluation.
 */
import type { Token } from '../../tasks/symreg/expr.js';
import type { ValuePool } from './pool.js';

interface Item {
  names: string[];
  values: Float64Array;
}

function apply(t: Token, a: Float64Array, b?: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    switch (t.name) {
      case 'sin':
        out[i] = Math.sin(x);
        break;
      case 'cos':
        out[i] = Math.cos(x);
        break;
      case 'exp':
        out[i] = Math.exp(x);
        break;
      case 'log':
        out[i] = Math.log(x);
        break;
      case 'sqrt':
        out[i] = Math.sqrt(x);
        break;
      case '+':
        out[i] = x + b![i];
        break;
      case '-':
        out[i] = x - b![i];
        break;
      case '*':
        out[i] = x * b![i];
        break;
      default:
        out[i] = x / b![i];
    }
  }
  return out;
}

/** Enumerates into `pool`; returns the number of expressions evaluated. */
export function enumerateSubtrees(
  library: readonly Token[],
  X: readonly Float64Array[],
  pool: ValuePool,
  maxSize: number,
  budget: number,
): number {
  const bySize: Item[][] = [[]];
  const seen = new Set<string>();
  let evaluations = 0;
  const keep = (names: string[], values: Float64Array, into: Item[]): void => {
    evaluations++;
    if (!values.every(Number.isFinite)) return;
    const k = Array.from(values, (v) => v.toPrecision(9)).join(',');
    if (seen.has(k)) return;
    seen.add(k);
    into.push({ names, values });
    pool.add(values, names);
  };
  const leaves: Item[] = [];
  for (const t of library) {
    if (t.arity !== 0 || t.expansion) continue;
    keep([t.name], t.variable !== undefined ? X[t.variable] : new Float64Array(X[0].length).fill(t.constant ?? 0), leaves);
  }
  bySize.push(leaves);
  for (let size = 2; size <= maxSize && evaluations < budget; size++) {
    const level: Item[] = [];
    for (const u of library.filter((t) => t.arity === 1)) {
      for (const a of bySize[size - 1]) {
        if (evaluations >= budget) break;
        keep([u.name, ...a.names], apply(u, a.values), level);
      }
    }
    for (const op of library.filter((t) => t.arity === 2)) {
      for (let left = 1; left <= size - 2; left++) {
        for (const a of bySize[left]) {
          for (const b of bySize[size - 1 - left]) {
            if (evaluations >= budget) break;
            if ((op.name === '+' || op.name === '*') && a.names.join(' ') > b.names.join(' ')) continue;
            keep([op.name, ...a.names, ...b.names], apply(op, a.values, b.values), level);
          }
        }
      }
    }
    bySize.push(level);
  }
  return evaluations;
}
