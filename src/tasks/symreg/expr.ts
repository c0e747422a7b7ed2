/**
 * Expressions for symbolic regression: a token library (operators and leaves), prefix-order token
 * lists as the search's representation, vectorised evaluation over sample columns, infix printing,
 * and an infix parser (answers written by a user or a model). Constant-free by default, as in the
 * Nguyen benchmark's usual library {+, -, *, /, sin, cos, exp, log, x} (Petersen et al. 2021, DSR),
 * plus the leaf `1` (RSRM, Xu et al. ICLR 2024, lets its search build small constants).
 */
import { usageError } from '../../core/errors.js';

export interface Token {
  name: string;
  arity: 0 | 1 | 2;
  /** Leaves: variable index, or a constant, or a learnt sub-tree (its prefix tokens). */
  variable?: number;
  constant?: number;
  expansion?: readonly string[];
}

export const BINARY = ['+', '-', '*', '/'] as const;
export const UNARY = ['sin', 'cos', 'exp', 'log', 'sqrt'] as const;

/** The standard library for `variables` inputs (x, or x and y); `sqrt` only when asked for. */
export function standardLibrary(variables: number, o: { one?: boolean; sqrt?: boolean } = {}): Token[] {
  const toks: Token[] = BINARY.map((name) => ({ name, arity: 2 as const }));
  for (const name of UNARY) if (name !== 'sqrt' || o.sqrt) toks.push({ name, arity: 1 });
  for (let i = 0; i < variables; i++) toks.push({ name: variableName(i, variables), arity: 0, variable: i });
  if (o.one ?? true) toks.push({ name: '1', arity: 0, constant: 1 });
  return toks;
}

export function variableName(i: number, n: number): string {
  return n <= 2 ? ['x', 'y'][i] : `x${i + 1}`;
}

/** Slots still open after a prefix: 1 + Σ (arity − 1); 0 = a complete expression. */
export function openSlots(prefix: readonly Token[]): number {
  let open = 1;
  for (const t of prefix) open += t.arity - 1;
  return open;
}

function apply1(name: string, a: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    out[i] =
      name === 'sin'
        ? Math.sin(v)
        : name === 'cos'
          ? Math.cos(v)
          : name === 'exp'
            ? Math.exp(v)
            : name === 'log'
              ? Math.log(v)
              : Math.sqrt(v);
  }
  return out;
}

function apply2(name: string, a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++)
    out[i] =
      name === '+'
        ? a[i] + b[i]
        : name === '-'
          ? a[i] - b[i]
          : name === '*'
            ? a[i] * b[i]
            : name === '^'
              ? Math.pow(a[i], b[i])
              : a[i] / b[i];
  return out;
}

/** Evaluates a complete prefix expression on columns `X[v]` (one per variable); NaN where undefined. */
export function evalPrefix(prefix: readonly Token[], X: readonly Float64Array[], leafCache?: Map<string, Float64Array>): Float64Array {
  const n = X[0].length;
  const stack: Float64Array[] = [];
  for (let k = prefix.length - 1; k >= 0; k--) {
    const t = prefix[k];
    if (t.arity === 0) {
      if (t.variable !== undefined) stack.push(X[t.variable]);
      else if (t.constant !== undefined) stack.push(new Float64Array(n).fill(t.constant));
      else if (t.expansion) {
        const hit = leafCache?.get(t.name);
        if (hit) stack.push(hit);
        else throw new Error(`learnt token ${t.name} needs its values`);
      }
    } else if (t.arity === 1) stack.push(apply1(t.name, stack.pop()!));
    else {
      const a = stack.pop()!;
      const b = stack.pop()!;
      stack.push(apply2(t.name, a, b));
    }
  }
  if (stack.length !== 1) throw new Error('incomplete expression');
  return stack[0];
}

/** Replaces learnt tokens by their expansion (token names), giving plain library names. */
export function expandNames(prefix: readonly Token[]): string[] {
  const out: string[] = [];
  for (const t of prefix) {
    if (t.expansion) out.push(...t.expansion);
    else out.push(t.name);
  }
  return out;
}

const UNARY_SET = new Set<string>(UNARY);
const BINARY_SET = new Set<string>([...BINARY, '^']);

/** Infix text of a prefix list of token names (fully parenthesised binary operations). */
export function prefixToInfix(names: readonly string[]): string {
  let pos = 0;
  const walk = (): string => {
    const t = names[pos++];
    if (t === undefined) throw new Error('incomplete expression');
    if (BINARY_SET.has(t)) {
      const a = walk();
      const b = walk();
      return `(${a} ${t} ${b})`;
    }
    if (UNARY_SET.has(t)) return `${t}(${walk()})`;
    return t;
  };
  const s = walk();
  return s.startsWith('(') && s.endsWith(')') && balancedInside(s) ? s.slice(1, -1) : s;
}

function balancedInside(s: string): boolean {
  let d = 0;
  for (let i = 1; i < s.length - 1; i++) {
    if (s[i] === '(') d++;
    else if (s[i] === ')' && --d < 0) return false;
  }
  return d === 0;
}

/**
 * Parses infix text (numbers, variables, + - * / ^ or **, unary minus, sin cos exp log sqrt,
 * parentheses) into prefix token names. Bad text is a usage error naming the position.
 */
export function parseInfix(text: string, variables: readonly string[]): string[] {
  const src = text.replace(/\*\*/g, '^');
  const re = /\s*(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+|[A-Za-z_][A-Za-z_0-9]*|[-+*/^()])/y;
  const toks: string[] = [];
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while (re.lastIndex < src.length && (m = re.exec(src))) toks.push(m[1]);
  if (src.slice(re.lastIndex).trim() !== '') throw usageError(`cannot read the expression at position ${re.lastIndex}: "${text}"`);
  let i = 0;
  const fail = (what: string): never => {
    throw usageError(`cannot read the expression "${text}": ${what}`);
  };
  const primary = (): string[] => {
    const t = toks[i++];
    if (t === undefined) return fail('it ends too early');
    if (t === '(') {
      const e = sum();
      if (toks[i++] !== ')') fail('a ")" is missing');
      return e;
    }
    if (t === '-') return ['*', '-1', ...power()];
    if (UNARY_SET.has(t)) {
      if (toks[i++] !== '(') fail(`${t} needs parentheses`);
      const e = sum();
      if (toks[i++] !== ')') fail('a ")" is missing');
      return [t, ...e];
    }
    if (/^[\d.]/.test(t)) return [String(Number(t))];
    if (variables.includes(t)) return [t];
    return fail(`unknown name "${t}" (variables: ${variables.join(', ')})`);
  };
  const power = (): string[] => {
    const base = primary();
    if (toks[i] === '^') {
      i++;
      return ['^', ...base, ...power()];
    }
    return base;
  };
  const product = (): string[] => {
    let e = power();
    while (toks[i] === '*' || toks[i] === '/') {
      const op = toks[i++];
      e = [op, ...e, ...power()];
    }
    return e;
  };
  const sum = (): string[] => {
    let e = product();
    while (toks[i] === '+' || toks[i] === '-') {
      const op = toks[i++];
      e = [op, ...e, ...product()];
    }
    return e;
  };
  const e = sum();
  if (i !== toks.length) fail(`unexpected "${toks[i]}"`);
  return e;
}

/** Evaluates prefix token names (library names, numbers, variables) on columns. */
export function evalNames(names: readonly string[], variables: readonly string[], X: readonly Float64Array[]): Float64Array {
  const toks: Token[] = names.map((n) => {
    const v = variables.indexOf(n);
    if (v >= 0) return { name: n, arity: 0, variable: v };
    if (BINARY_SET.has(n)) return { name: n, arity: 2 };
    if (UNARY_SET.has(n)) return { name: n, arity: 1 };
    const c = Number(n);
    if (!Number.isFinite(c)) throw usageError(`unknown token "${n}"`);
    return { name: n, arity: 0, constant: c };
  });
  return evalPrefix(toks, X);
}
