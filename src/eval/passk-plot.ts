/**
 * pass@k curves and their plot, for the question of Yue et al. 2025 ("Does Reinforcement Learning
 * Really Incentivize Reasoning Capacity in LLMs Beyond the Base Model?"): RL-trained policies win at
 * small k, but their curve is flatter, and at large k the base (or SFT) policy can solve more
 * problems: the curves cross.
 *
 * Every point is the mean over problems of the unbiased estimator (Chen et al. 2021, eq. 1; ./passk.ts)
 * from the per-problem counts (n samples, c correct), so one run with n = 256 gives the whole
 * curve k = 1 ... 256. The SVG is written by hand (no plotting library): log2 k on x, pass@k in %
 * on y, one polyline per policy, and the first k where the order of two curves flips is marked.
 */
import { passAtK } from './passk.js';

export interface CurvePoint {
  k: number;
  passAtK: number;
}

export interface CurveSeries {
  label: string;
  points: CurvePoint[];
}

/** k = 1, 2, 4, ... up to n, plus n itself. */
export function powersOfTwoUpTo(n: number): number[] {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`need a positive integer sample count, got ${n}`);
  const ks: number[] = [];
  for (let k = 1; k <= n; k *= 2) ks.push(k);
  if (ks[ks.length - 1] !== n) ks.push(n);
  return ks;
}

/** Mean unbiased pass@k over problems, for each k (every problem needs at least k samples). */
export function passAtKCurve(perProblem: readonly { n: number; correct: number }[], ks: readonly number[]): CurvePoint[] {
  if (perProblem.length === 0) throw new RangeError('pass@k curve: no problems');
  const minN = Math.min(...perProblem.map((p) => p.n));
  return ks.map((k) => {
    if (k > minN) throw new RangeError(`pass@k curve: k = ${k} but a problem has only ${minN} samples`);
    return { k, passAtK: perProblem.reduce((s, p) => s + passAtK(p.n, p.correct, k), 0) / perProblem.length };
  });
}

/** The smallest k (among both curves' shared ks) at which the curves' order differs from their order at the first shared k. */
export function crossover(a: readonly CurvePoint[], b: readonly CurvePoint[]): number | null {
  const bk = new Map(b.map((p) => [p.k, p.passAtK]));
  const shared = a.filter((p) => bk.has(p.k));
  if (shared.length < 2) return null;
  const sign = (p: CurvePoint) => Math.sign(p.passAtK - bk.get(p.k)!);
  const first = shared.map(sign).find((s) => s !== 0);
  if (first === undefined) return null;
  const flip = shared.find((p) => sign(p) === -first);
  return flip ? flip.k : null;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/** An SVG line chart of pass@k against log2 k. */
export function passAtKSvg(series: readonly CurveSeries[], o: { title?: string; width?: number; height?: number } = {}): string {
  if (series.length === 0 || series.some((s) => s.points.length === 0)) throw new RangeError('pass@k plot: every series needs points');
  const W = o.width ?? 640;
  const H = o.height ?? 420;
  const m = { l: 60, r: 20, t: 40, b: 50 };
  const allK = series.flatMap((s) => s.points.map((p) => p.k));
  const kMax = Math.max(2, ...allK);
  const lx = (k: number) => m.l + (Math.log2(k) / Math.log2(kMax)) * (W - m.l - m.r);
  const ly = (v: number) => H - m.b - v * (H - m.t - m.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  if (o.title) out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(o.title)}</text>`);
  for (let v = 0; v <= 1.0001; v += 0.2) {
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${ly(v).toFixed(1)}" y2="${ly(v).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${m.l - 8}" y="${(ly(v) + 4).toFixed(1)}" text-anchor="end">${Math.round(v * 100)}%</text>`);
  }
  for (let k = 1; k <= kMax; k *= 2) {
    out.push(`<line x1="${lx(k).toFixed(1)}" x2="${lx(k).toFixed(1)}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/>`);
    out.push(`<text x="${lx(k).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle">${k}</text>`);
  }
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">k (samples per problem, log scale)</text>`);
  out.push(`<text x="16" y="${(m.t + H - m.b) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(m.t + H - m.b) / 2})">pass@k</text>`);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const pts = [...s.points].sort((a, b) => a.k - b.k);
    out.push(
      `<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map((p) => `${lx(p.k).toFixed(1)},${ly(p.passAtK).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const p of pts) out.push(`<circle cx="${lx(p.k).toFixed(1)}" cy="${ly(p.passAtK).toFixed(1)}" r="3" fill="${c}"/>`);
    out.push(`<rect x="${m.l + 12}" y="${m.t + 8 + i * 18}" width="14" height="4" fill="${c}"/>`);
    out.push(`<text x="${m.l + 32}" y="${m.t + 14 + i * 18}">${esc(s.label)}</text>`);
  });
  if (series.length === 2) {
    const k = crossover(series[0].points, series[1].points);
    if (k !== null) {
      out.push(
        `<line x1="${lx(k).toFixed(1)}" x2="${lx(k).toFixed(1)}" y1="${m.t}" y2="${H - m.b}" stroke="#555" stroke-dasharray="4 3"/>`,
      );
      out.push(`<text x="${(lx(k) + 4).toFixed(1)}" y="${H - m.b - 8}" fill="#555">curves cross by k = ${k}</text>`);
    }
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
