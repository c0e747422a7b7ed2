/**
 * The perturbed-rollout figure of src/training/README.md ("Policy losses and the rollout-trainer
 * mismatch"): held-out greedy accuracy and the measured mismatch (mismatch_kl) against the RL step,
 * one colour per policy loss, one dash style per seed, from the runs' metrics.jsonl.
 *
 *   npx tsx scripts/acceptance/mismatch-curves.ts --out docs/figures/mismatch-perturbed.svg \
 *     --title "..." ppo_clip:0=runs/p19-pert-ppo_clip-s0 tis:0=runs/p19-pert-tis-s0 ...
 *
 * Also writes the curves as JSON next to the SVG (same name, .json).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Run {
  loss: string;
  seed: string;
  accuracy: [number, number][];
  mismatch: [number, number][];
}

function readRun(spec: string): Run {
  const m = /^([a-z_]+):([^=]+)=(.+)$/.exec(spec);
  if (!m) throw new Error(`expected LOSS:SEED=RUN_DIR, got "${spec}"`);
  const [, loss, seed, dir] = m;
  const rows = fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);
  const accuracy = rows.filter((r) => Number.isFinite(r.eval_accuracy)).map((r) => [r.step, r.eval_accuracy] as [number, number]);
  const mismatch = rows.filter((r) => r.step > 0 && Number.isFinite(r.mismatch_kl)).map((r) => [r.step, r.mismatch_kl] as [number, number]);
  return { loss, seed, accuracy, mismatch };
}

const COLORS: Record<string, string> = { ppo_clip: '#d62728', tis: '#1f77b4', mis: '#2ca02c', gspo: '#9467bd', decoupled: '#ff7f0e' };
const DASH = ['', '6 3', '2 3', '8 3 2 3'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function panel(
  runs: Run[],
  pick: (r: Run) => [number, number][],
  x0: number,
  o: { w: number; h: number; yLabel: string; yMax: number; percent: boolean; seeds: string[]; xMax: number },
): string[] {
  const m = { l: 56, r: 12, t: 44, b: 46 };
  const xMax = o.xMax;
  const X = (s: number) => x0 + m.l + (s / xMax) * (o.w - m.l - m.r);
  const Y = (v: number) => o.h - m.b - (Math.min(v, o.yMax) / o.yMax) * (o.h - m.t - m.b);
  const out: string[] = [];
  for (let k = 0; k <= 5; k++) {
    const v = (o.yMax * k) / 5;
    out.push(`<line x1="${x0 + m.l}" x2="${x0 + o.w - m.r}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" stroke="#ddd"/>`);
    const label = o.percent ? `${Math.round(v * 100)}%` : v.toFixed(3);
    out.push(`<text x="${x0 + m.l - 6}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end">${label}</text>`);
  }
  for (let s = 0; s <= xMax; s += 5) out.push(`<text x="${X(s).toFixed(1)}" y="${o.h - m.b + 16}" text-anchor="middle">${s}</text>`);
  out.push(`<text x="${x0 + (m.l + o.w - m.r) / 2}" y="${o.h - 12}" text-anchor="middle">RL step</text>`);
  out.push(`<text x="${x0 + (m.l + o.w - m.r) / 2}" y="${m.t - 10}" text-anchor="middle" font-size="13">${esc(o.yLabel)}</text>`);
  for (const r of runs) {
    const pts = pick(r);
    if (pts.length === 0) continue;
    const c = COLORS[r.loss] ?? '#555';
    const dash = DASH[o.seeds.indexOf(r.seed) % DASH.length];
    out.push(
      `<polyline fill="none" stroke="${c}" stroke-width="1.8"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${pts
        .map(([s, v]) => `${X(s).toFixed(1)},${Y(v).toFixed(1)}`)
        .join(' ')}"/>`,
    );
  }
  return out;
}

function main(): void {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const out = flag('--out');
  const title = flag('--title') ?? 'Rollouts perturbed (T = 1.5) against the trainer (T = 1)';
  if (!out || args.length === 0) {
    process.stderr.write('usage: mismatch-curves.ts --out FILE.svg [--title T] LOSS:SEED=RUN_DIR ...\n');
    process.exit(2);
  }
  const runs = args.map(readRun);
  const seeds = [...new Set(runs.map((r) => r.seed))];
  const losses = [...new Set(runs.map((r) => r.loss))];
  const W = 900;
  const H = 380;
  const maxAcc = Math.max(0.1, ...runs.flatMap((r) => r.accuracy.map((p) => p[1])));
  const xMax = Math.max(1, ...runs.flatMap((r) => [...r.accuracy, ...r.mismatch].map((p) => p[0])));
  const maxKl = Math.max(1e-4, ...runs.flatMap((r) => r.mismatch.map((p) => p[1])));
  const svg: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 40}" viewBox="0 0 ${W} ${H + 40}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H + 40}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    ...panel(runs, (r) => r.accuracy, 0, {
      w: W / 2,
      h: H,
      yLabel: 'held-out greedy accuracy',
      yMax: Math.ceil(maxAcc * 10) / 10,
      percent: true,
      seeds,
      xMax,
    }),
    ...panel(runs, (r) => r.mismatch, W / 2, {
      w: W / 2,
      h: H,
      yLabel: 'mismatch_kl (k3, per token)',
      yMax: maxKl * 1.1,
      percent: false,
      seeds,
      xMax,
    }),
  ];
  losses.forEach((l, i) => {
    const x = 70 + i * 120;
    svg.push(`<rect x="${x}" y="${H + 18}" width="16" height="4" fill="${COLORS[l] ?? '#555'}"/>`);
    svg.push(`<text x="${x + 22}" y="${H + 24}">${esc(l)}</text>`);
  });
  seeds.forEach((s, i) => {
    const x = 70 + losses.length * 120 + i * 110;
    const dash = DASH[i % DASH.length];
    svg.push(
      `<line x1="${x}" x2="${x + 26}" y1="${H + 20}" y2="${H + 20}" stroke="#333" stroke-width="1.8"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
    );
    svg.push(`<text x="${x + 32}" y="${H + 24}">seed ${esc(s)}</text>`);
  });
  svg.push('</svg>');
  fs.writeFileSync(out, svg.join('\n') + '\n');
  fs.writeFileSync(out.replace(/\.svg$/, '.json'), JSON.stringify(runs, null, 1) + '\n');
  process.stdout.write(`wrote ${out}\n`);
}

main();
