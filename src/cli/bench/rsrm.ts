/**
 * `rlmkit bench rsrm [--json]`: RSRM (Xu et al., "Reinforcement Symbolic Regression Machine",
 * ICLR 2024; src/reasoning/rsrm) on the Nguyen-1…12 benchmark (Uy et al. 2011; src/tasks/symreg),
 * exact symbolic recovery (1e-10 relative on 200 held-out points), the same seeds and evaluation
 * budget for every formula, and the two ablations: without double Q, without sub-tree discovery.
 */
import type { Command } from 'commander';
import { rsrm, type RsrmOptions } from '../../reasoning/rsrm/rsrm.js';
import { NGUYEN, nguyenProblem } from '../../tasks/symreg/nguyen.js';
import { checkRecovery } from '../../tasks/symreg/verify.js';
import { usageError } from '../../core/errors.js';
import { intOption } from '../options.js';
import type { BenchModule } from './types.js';

const ARMS: Record<string, Partial<RsrmOptions>> = {
  rsrm: {},
  'no-double-q': { doubleQ: false },
  'no-subtree-discovery': { discovery: false },
  /** MCTS alone with uniform rollouts: what double Q adds to the bare MCTS. */
  'no-double-q-no-subtree-discovery': { doubleQ: false, discovery: false },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
}

export const rsrmBench: BenchModule = {
  name: 'rsrm',
  summary: 'RSRM symbolic regression on Nguyen-1…12: exact recovery, same seeds and budget, ablations (no double Q, no sub-tree discovery)',
  configure(cmd: Command) {
    cmd
      .option('--evaluations <n>', 'expression evaluations per formula and seed (the budget)', intOption(100), 100_000)
      .option('--seeds <n>', 'search seeds per formula (data seed 0)', intOption(1, 100), 3)
      .option('--arms <list>', `comma-separated arms: ${Object.keys(ARMS).join(', ')}`, Object.keys(ARMS).join(','))
      .option('--only <list>', 'comma-separated formulas, e.g. nguyen-1,nguyen-5 (default: all 12)');
  },
  async run(o) {
    const arms = String(o.arms)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const a of arms) if (!(a in ARMS)) throw usageError(`unknown arm "${a}"; valid arms: ${Object.keys(ARMS).join(', ')}`);
    const only = o.only
      ? String(o.only)
          .split(',')
          .map((s) => s.trim())
      : null;
    for (const n of only ?? [])
      if (!NGUYEN.some((s) => s.name === n)) throw usageError(`unknown formula "${n}"; valid: ${NGUYEN.map((s) => s.name).join(', ')}`);
    const specs = NGUYEN.filter((s) => !only || only.includes(s.name));
    const seeds = Array.from({ length: o.seeds as number }, (_, i) => i);
    const result: Record<string, unknown> = {
      budget: { evaluations: o.evaluations, seeds: seeds.length, dataSeed: 0, points: 20, heldOut: 200, rtol: 1e-10 },
    };
    for (const arm of arms) {
      const formulas: Record<string, unknown> = {};
      let runs = 0;
      let recoveredRuns = 0;
      let allSeeds = 0;
      let majority = 0;
      const walls: number[] = [];
      for (const spec of specs) {
        const data = nguyenProblem(spec, 0);
        const per: Array<{ seed: number; recovered: boolean; formula: string; evaluations: number; ms: number }> = [];
        for (const seed of seeds) {
          const t0 = performance.now();
          const r = rsrm(data.X, data.y, { ...ARMS[arm], evaluations: o.evaluations as number, seed });
          const ms = performance.now() - t0;
          walls.push(ms);
          const ok = r.prefix.length > 0 && checkRecovery(r.prefix, spec).recovered;
          per.push({ seed, recovered: ok, formula: r.infix, evaluations: r.evaluations, ms: Math.round(ms) });
          process.stderr.write(
            `${arm} ${spec.name} seed ${seed}: ${ok ? 'recovered' : 'not recovered'} ${r.infix} (${Math.round(ms)} ms)\n`,
          );
        }
        const n = per.filter((p) => p.recovered).length;
        runs += per.length;
        recoveredRuns += n;
        if (n === per.length) allSeeds++;
        if (n * 2 > per.length) majority++;
        formulas[spec.name] = { truth: spec.formula, recovered: n, of: per.length, runs: per };
      }
      result[arm] = {
        recoveryRate: recoveredRuns / runs,
        recoveredRuns,
        runs,
        formulasRecoveredAllSeeds: allSeeds,
        formulasRecoveredMajority: majority,
        formulas: specs.length,
        medianMsPerRun: Math.round(median(walls)),
        perFormula: formulas,
      };
    }
    return result;
  },
  format(r) {
    const lines: string[] = [`budget ${JSON.stringify(r.budget)}`];
    for (const [arm, v] of Object.entries(r)) {
      if (arm === 'budget') continue;
      const a = v as {
        recoveryRate: number;
        formulasRecoveredAllSeeds: number;
        formulasRecoveredMajority: number;
        formulas: number;
        medianMsPerRun: number;
        perFormula: Record<string, { recovered: number; of: number }>;
      };
      lines.push(
        `${arm}: recovery ${(100 * a.recoveryRate).toFixed(1)}% of runs; formulas recovered in every seed ${a.formulasRecoveredAllSeeds}/${a.formulas}, in most seeds ${a.formulasRecoveredMajority}/${a.formulas}; median ${a.medianMsPerRun} ms/run`,
      );
      lines.push(
        `  ${Object.entries(a.perFormula)
          .map(([k, f]) => `${k} ${f.recovered}/${f.of}`)
          .join('  ')}`,
      );
    }
    return lines.join('\n');
  },
};
