/**
 * The value pool behind the "modulated" half of RSRM's sub-tree discovery (Xu et al., ICLR 2024,
 * §3.3: y is decomposed as f + g or f × g and the parts are searched separately). Every expression
 * the search evaluates is stored under a key of its values on the samples (9 significant digits);
 * for each new expression f, the residuals y − f, y + f, y / f, y × f and f / y are looked up, so
 * two sub-trees found at different times combine into y = f + g, g − f, f × g, g / f or f / g
 * (the shortest stored g for each value vector).
 */
/** A value vector's key: each value rounded to 9 significant digits (numerically, no strings per value). */
function key(v: Float64Array): string | null {
  const parts = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isFinite(x)) return null;
    if (x === 0 || Math.abs(x) < 1e-300) {
      parts[i] = 0;
      continue;
    }
    const e = Math.floor(Math.log10(Math.abs(x))) - 8;
    parts[i] = Math.round(x / 10 ** e) * 1000 + e;
  }
  return parts.join(',');
}

export interface Stored {
  names: string[];
  values: Float64Array;
}

export class ValuePool {
  private readonly byKey = new Map<string, string[]>();
  private readonly items = new Map<string, Stored>();

  constructor(private readonly limit = 200_000) {}

  get size(): number {
    return this.byKey.size;
  }

  add(values: Float64Array, names: string[]): void {
    const k = key(values);
    if (k === null) return;
    const cur = this.byKey.get(k);
    if (cur ? names.length < cur.length : this.byKey.size < this.limit) {
      this.byKey.set(k, names);
      this.items.set(k, { names, values });
    }
  }

  /** Stored sub-trees of at most `size` tokens. */
  smallest(size: number): Stored[] {
    return [...this.items.values()].filter((x) => x.names.length <= size).sort((a, b) => a.names.length - b.names.length);
  }

  /** A stored expression equal to y, or u(g) with g stored (y = exp(g): g = log y; y = log(g): g = exp y). */
  lookup(y: Float64Array): string[] | null {
    const exact = key(y);
    const hit = exact === null ? undefined : this.byKey.get(exact);
    if (hit) return hit;
    const viaExp = key(y.map(Math.log));
    const g1 = viaExp === null ? undefined : this.byKey.get(viaExp);
    if (g1) return ['exp', ...g1];
    const viaLog = key(y.map(Math.exp));
    const g2 = viaLog === null ? undefined : this.byKey.get(viaLog);
    return g2 ? ['log', ...g2] : null;
  }

  /**
   * Shortest combination op(f, g) or op(g, f) equal to y on the samples, if g is stored; `check`
   * (when given) re-evaluates a candidate against y (a 0/0 or rounding coincidence is refused).
   */
  combine(
    f: Float64Array,
    fNames: readonly string[],
    y: Float64Array,
    check?: (names: string[], target: Float64Array) => boolean,
  ): string[] | null {
    const tries: Array<[(yi: number, fi: number) => number, (g: string[]) => string[]]> = [
      [(yi, fi) => yi - fi, (g) => ['+', ...fNames, ...g]],
      [(yi, fi) => yi + fi, (g) => ['-', ...g, ...fNames]],
      [(yi, fi) => yi / fi, (g) => ['*', ...fNames, ...g]],
      [(yi, fi) => yi * fi, (g) => ['/', ...g, ...fNames]],
      [(yi, fi) => fi / yi, (g) => ['/', ...fNames, ...g]],
      [(yi, fi) => fi - yi, (g) => ['-', ...fNames, ...g]],
    ];
    let best: string[] | null = null;
    const r = new Float64Array(y.length);
    for (const [residual, build] of tries) {
      for (let i = 0; i < y.length; i++) r[i] = residual(y[i], f[i]);
      const k = key(r);
      const g = k === null ? undefined : this.byKey.get(k);
      if (g && (!best || g.length + fNames.length + 1 < best.length)) {
        const cand = build(g);
        if (!check || check(cand, y)) best = cand;
      }
    }
    return best;
  }

  /**
   * Recursive modulation: peel y with a leaf c (y − c, y + c, y / c, y × c), up to `depth` times,
   * and at each level look the rest up (directly, through exp/log, or as a pair f ∘ g over the
   * stored small sub-trees: `tops` for y itself, `smalls` below, down to `pairDepth` levels). Each look-up of a target or
   * a pair counts one evaluation, and the walk stops at `budget`. Returns the expression for y (or
   * null) and the evaluations used.
   */
  peel(
    y: Float64Array,
    leaves: readonly Stored[],
    smalls: readonly Stored[],
    tops: readonly Stored[],
    depth: number,
    pairDepth: number,
    check: (names: string[], target: Float64Array) => boolean,
    budget = Infinity,
  ): { names: string[] | null; tried: number } {
    let tried = 0;
    const walk = (t: Float64Array, d: number): string[] | null => {
      if (tried >= budget) return null;
      tried++;
      const hit = this.lookup(t);
      if (hit && check(hit, t)) return hit;
      if (depth - d <= pairDepth) {
        for (const f of d === depth ? tops : smalls) {
          if (tried++ >= budget) return null;
          const c = this.combine(f.values, f.names, t, check);
          if (c) return c;
        }
      }
      if (d === 0) return null;
      for (const c of leaves) {
        const steps: Array<[(a: number, b: number) => number, string]> = [
          [(a, b) => a - b, '+'],
          [(a, b) => a + b, '-'],
          [(a, b) => a / b, '*'],
          [(a, b) => a * b, '/'],
        ];
        for (const [inv, op] of steps) {
          const next = t.map((v, i) => inv(v, c.values[i]));
          if (!next.every(Number.isFinite)) continue;
          const g = walk(next, d - 1);
          if (g) return [op, ...g, ...c.names];
        }
      }
      return null;
    };
    return { names: walk(y, depth), tried };
  }
}
