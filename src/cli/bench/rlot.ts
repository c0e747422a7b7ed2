/**
 * `rlmkit bench rlot [--json]`: RL of Thoughts (Hao et al. 2025; src/reasoning/navigator).
 *
 * 1. A value model (RLoT's state evaluator; here x1's Q model from Monte Carlo rollouts of the
 *    policy on the first 256 training puzzles of 24.csv), unless `--value` gives one.
 * 2. The navigator, trained by REINFORCE with a learned baseline on the other training puzzles
 *    of 24.csv, minus `--extra` puzzles held out at the end of the file.
 * 3. The navigator and every fixed block on the held-out puzzles (the ToT test split, 100, plus the
 *    `--extra` held-out training puzzles) at the same completion-token budget per puzzle and the
 *    same seeds, with the paired difference to each fixed arm (bootstrap over puzzles).
 * 4. Transfer with the navigator unchanged: by default the same game with other targets
 *    (`game24-targets`: four numbers in 1..13 and a target in 1..100 other than 24, each solvable;
 *    the policy learnt such puzzles as SFT auxiliaries, the navigator never saw one), or any task
 *    (`--transfer countdown --transfer-model <a Countdown policy>`, no value model then).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { Rng } from '../../core/rng.js';
import { writeFileAtomic } from '../../core/fs.js';
import { usageError } from '../../core/errors.js';
import { pairedDifference } from '../../eval/stats.js';
import { Scheduler } from '../../models/scheduler.js';
import { loadPolicy, loadValueModel } from '../../models/spec.js';
import type { Policy, ValueModel } from '../../models/types.js';
import type { Navigator } from '../../reasoning/navigator/navigator.js';
import type { Chooser } from '../../reasoning/navigator/strategy.js';
import { type ArmResult, FIXED_ARMS, evalArms, standardArms, trainNavigator } from '../../reasoning/navigator/train.js';
import { countPaths } from '../../tasks/games/path-sampler.js';
import { getTask } from '../../tasks/registry.js';
import type { Problem, Task } from '../../tasks/types.js';
import { floatOption, intOption } from '../options.js';
import type { BenchModule } from './types.js';
import { shippedCheckpoint } from '../../models/shipped.js';

type Arms = Record<string, ArmResult>;

function compare(arms: Arms, seed: number, only?: ReadonlySet<string>) {
  const pick = (a: ArmResult) => (only ? a.perProblem.filter((p) => only.has(p.problemId)) : a.perProblem);
  const rate = (a: ArmResult) => {
    const ps = pick(a);
    return ps.reduce((s, p) => s + p.correct / p.n, 0) / Math.max(1, ps.length);
  };
  const tokens = (a: ArmResult) => {
    const ps = pick(a);
    return ps.reduce((s, p) => s + p.completionTokens / p.n, 0) / Math.max(1, ps.length);
  };
  const fixed = Object.keys(arms).filter((k) => k !== 'navigator');
  const best = fixed.reduce((a, k) => (rate(arms[k]) > rate(arms[a]) ? k : a), fixed[0]);
  const nav = arms.navigator;
  return {
    problems: pick(Object.values(arms)[0]).length,
    arms: Object.fromEntries(
      Object.entries(arms).map(([k, v]) => [
        k,
        { solveRate: rate(v), completionTokensPerProblem: tokens(v), ...(only ? {} : { blockShares: v.blockShares }) },
      ]),
    ),
    bestFixed: best,
    navigatorMinus: Object.fromEntries(
      (nav ? fixed : []).map((k) => {
        const d = pairedDifference(pick(arms[k]), pick(nav), { seed });
        return [k, { difference: d.difference, better: d.better, worse: d.worse, same: d.same }];
      }),
    ),
  };
}

/**
 * The arms to report: those run here (`--arms`, default all), plus those of an earlier run at the
 * same settings (`--reuse`: its `raw` results) for arms not run here. The earlier run must cover
 * exactly the same problems, budget, seeds and seed.
 */
async function runArms(
  all: Record<string, Chooser>,
  wanted: ReadonlySet<string> | null,
  reused: Arms | undefined,
  problems: readonly Problem[],
  o: Parameters<typeof evalArms>[2],
): Promise<Arms> {
  const here = Object.fromEntries(Object.entries(all).filter(([k]) => !wanted || wanted.has(k)));
  const got = await evalArms(here, problems, o);
  const ids = problems.map((p) => p.id).join('\n');
  for (const [k, v] of Object.entries(reused ?? {})) {
    if (k in got) continue;
    if (v.perProblem.map((p) => p.problemId).join('\n') !== ids)
      throw usageError(`--reuse: arm ${k} was run on other problems`, 'reuse a run with the same --limit, --extra, --transfer and --seed');
    got[k] = v;
  }
  return got;
}

/** The Game of 24 rules with other targets: `count` solvable puzzles, numbers in 1..13, target in 1..100 but not 24. */
export function game24TargetProblems(count: number, seed: number): Problem[] {
  const rng = new Rng(seed).fork('rlot-transfer-targets');
  const out: Problem[] = [];
  const seen = new Set<string>();
  while (out.length < count) {
    const numbers = [0, 0, 0, 0].map(() => rng.int(1, 13)).sort((a, b) => a - b);
    const target = rng.int(1, 100);
    const key = `${numbers.join(' ')}=${target}`;
    if (target === 24 || seen.has(key) || !(countPaths(numbers, { target, useAll: true, integerOnly: false }) ?? 0)) continue;
    seen.add(key);
    // The game24 task reads the target from the data (its prompt adds " =T" for a target other than 24).
    out.push({
      id: `game24-targets/${seed}/${out.length}`,
      question: `Use ${numbers.join(' ')} and + - * / to make ${target}, each number exactly once.`,
      data: { numbers, target },
    });
  }
  return out;
}

/**
 * Trains the state evaluator: the policy's trunk with a value head, regressed to exact step labels
 * (step-labels.ts) of `problems` (training puzzles only), with rlmkit's value phase.
 */
export async function trainStepPrm(
  policyFile: string,
  problems: readonly Problem[],
  o: { steps: number; seed: number; root: string; perDepth?: number },
): Promise<{ file: string; labels: number; positive: number; valSignAccuracy: number | null }> {
  const { RecipeSchema, openPipeline, runValuePhase, withValueHead } = await import('../../training/index.js');
  const { solverStepLabels } = await import('../../reasoning/navigator/step-labels.js');
  const recipe = RecipeSchema.parse({
    pipeline: 'value',
    run: { name: 'rlot-prm', root: o.root, seed: o.seed },
    task: { name: 'game24', split: 'train' },
    model: { init: policyFile },
    checkpoint_every: o.steps,
    value: { steps: o.steps, batch_size: 32, target: 'outcome', optim: { lr: 1e-3, warmup_steps: 10 } },
  });
  const ctx = await openPipeline(recipe, { progress: 'silent', overwrite: true });
  const labels = await solverStepLabels(ctx.task, problems, { perDepth: o.perDepth ?? 6, depths: 2, seed: o.seed });
  const r = await runValuePhase({
    run: ctx.run,
    phase: 'value',
    task: ctx.task,
    examples: labels,
    start: withValueHead(ctx.policy, true, o.seed),
    value: recipe.value!,
    kind: 'value',
    seed: o.seed,
    checkpointEvery: o.steps,
  });
  ctx.run.writeFinal({ value: r.checkpoint });
  return {
    file: r.checkpoint,
    labels: labels.length,
    positive: labels.filter((l) => l.target > 0).length,
    valSignAccuracy: r.valSignAccuracy,
  };
}

export const rlotBench: BenchModule = {
  name: 'rlot',
  summary:
    'RL of Thoughts: a 293-parameter navigator (value-model and budget features, REINFORCE with a learned baseline) vs every fixed logic block at the same token budget (Game of 24; transfer to other targets)',
  configure(cmd: Command) {
    cmd
      .option('--model <spec>', 'the policy (default: the shipped Game of 24 SFT policy)')
      .option(
        '--value <spec>',
        'state evaluator (embedded:<value checkpoint>); "none" for none; default: train one on exact step labels of the training puzzles (--value-steps)',
      )
      .option('--value-steps <n>', 'training steps of the state evaluator when --value is not given', intOption(1), 300)
      .option('--episodes <n>', 'training episodes', intOption(0), 640)
      .option('--batch <n>', 'episodes per REINFORCE step', intOption(1), 16)
      .option('--lr <x>', 'navigator learning rate', floatOption(0), 0.5)
      .option('--entropy <x>', 'entropy bonus', floatOption(0), 0.01)
      .option('--budget <n>', 'completion tokens per problem', intOption(32), 240)
      .option('--seeds <n>', 'evaluation runs per problem', intOption(1, 64), 1)
      .option('--limit <n>', 'ToT test puzzles (at most 100)', intOption(1), 100)
      .option('--extra <n>', 'held-out training puzzles of 24.csv added to the evaluation (never trained on)', intOption(0), 150)
      .option('--transfer <task>', 'second task: game24-targets, a task name, or "none"', 'game24-targets')
      .option('--transfer-limit <n>', 'problems of the second task', intOption(1), 150)
      .option('--transfer-model <spec>', 'policy for the second task (default: the same policy and value model)')
      .option(
        '--arms <list>',
        'arms to run, comma-separated (navigator, fixed:reason, fixed:decompose, fixed:debate, fixed:terminate; none: only --reuse; default all)',
      )
      .option(
        '--reuse <file>',
        'JSONs of earlier `bench rlot --json` runs at the same settings, comma-separated: arms not run here are taken from them',
      )
      .option(
        '--train-on <set>',
        'navigator training puzzles: game24 (24.csv train split, held-out removed) or game24-targets (other targets, never the transfer ones)',
        'game24',
      )
      .option('--navigator <file>', 'evaluate these weights instead of training')
      .option('--out <file>', 'write the trained navigator weights here')
      .option('--seed <n>', 'seed', intOption(0), 0);
  },
  async run(o) {
    const spec = typeof o.model === 'string' ? o.model : `embedded:${shippedCheckpoint('game24-sft')}`;
    const seed = o.seed as number;
    const budgetTokens = o.budget as number;
    const closers: Array<() => Promise<void> | void> = [];
    try {
      const inner = await loadPolicy(spec);
      closers.push(() => inner.close?.());
      const policy: Policy = new Scheduler(inner, { maxWaitMs: 2 });
      const task = getTask('game24');
      const test = await task.problems({ split: 'test', limit: Math.min(100, o.limit as number) });
      const trainSplit = await task.problems({ split: 'train' });
      const extra = (o.extra as number) > 0 ? trainSplit.slice(-(o.extra as number)) : [];
      const heldOut = new Set(extra.map((p) => p.id));
      const train = trainSplit.filter((p) => !heldOut.has(p.id));
      if (train.length === 0) throw usageError(`--extra ${o.extra} leaves no training puzzles`, 'use a smaller --extra');

      let value: ValueModel | undefined;
      let valueSpec = typeof o.value === 'string' ? o.value : null;
      let prm: Record<string, unknown> | null = null;
      const t0 = performance.now();
      if (valueSpec === null) {
        if (!spec.startsWith('embedded:'))
          throw usageError('training the state evaluator needs an embedded policy', 'give --value embedded:<file> or --value none');
        const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-rlot-'));
        closers.push(() => fs.rmSync(root, { recursive: true, force: true }));
        const trained = await trainStepPrm(spec.slice('embedded:'.length).split('?')[0], train, {
          steps: o.valueSteps as number,
          seed,
          root,
        });
        prm = { steps: o.valueSteps, labels: trained.labels, positive: trained.positive, valSignAccuracy: trained.valSignAccuracy };
        valueSpec = `embedded:${trained.file}`;
      }
      if (valueSpec !== 'none') {
        value = await loadValueModel(valueSpec);
        closers.push(() => value!.close?.());
      }
      const valueMs = performance.now() - t0;
      const wanted =
        typeof o.arms === 'string'
          ? new Set(
              o.arms
                .split(',')
                .map((a) => a.trim())
                .filter((a) => a && a !== 'none'),
            )
          : null;
      const known = ['navigator', ...FIXED_ARMS.map((b) => `fixed:${b}`)];
      for (const a of wanted ?? [])
        if (!known.includes(a)) throw usageError(`--arms: unknown arm "${a}"`, `use some of ${known.join(', ')}, or none`);
      const reuse: { game24?: Arms; transfer?: Arms } = {};
      for (const file of typeof o.reuse === 'string' ? o.reuse.split(',') : []) {
        let earlier: { game24?: { raw?: Arms }; transfer?: { raw?: Arms }; budget?: unknown };
        try {
          earlier = JSON.parse(fs.readFileSync(file, 'utf8'));
        } catch (e) {
          throw usageError(`--reuse: cannot read ${file}: ${(e as Error).message}`, 'give JSON written by `rlmkit bench rlot --json`');
        }
        if (JSON.stringify(earlier.budget) !== JSON.stringify({ completionTokens: budgetTokens, seeds: o.seeds, seed }))
          throw usageError(`--reuse: ${file} was run at another budget, seeds or seed`, 'give the same --budget, --seeds and --seed');
        reuse.game24 = { ...earlier.game24?.raw, ...reuse.game24 };
        reuse.transfer = { ...earlier.transfer?.raw, ...reuse.transfer };
      }
      const t1 = performance.now();
      let navigator: Navigator | null = null;
      let curve: Array<{ episodes: number; solveRate: number }> = [];
      if (wanted && !wanted.has('navigator')) {
        // only fixed arms: nothing to train
      } else if (typeof o.navigator === 'string') {
        const { loadNavigator } = await import('../../reasoning/navigator/strategy.js');
        navigator = loadNavigator(o.navigator);
      } else {
        if ((o.episodes as number) < 1) throw usageError('--episodes must be at least 1 when no --navigator is given');
        let navTrain: Problem[] = train;
        if (o.trainOn === 'game24-targets') {
          const transferKeys = new Set(game24TargetProblems(o.transferLimit as number, seed + 1).map((p) => JSON.stringify(p.data)));
          navTrain = game24TargetProblems(4000, seed + 2).filter((p) => !transferKeys.has(JSON.stringify(p.data)));
        } else if (o.trainOn !== 'game24') throw usageError(`--train-on: unknown set "${o.trainOn}"`, 'use game24 or game24-targets');
        const trained = await trainNavigator({
          task,
          policy,
          value,
          problems: navTrain,
          budgetTokens,
          episodes: o.episodes as number,
          batch: o.batch as number,
          lr: o.lr as number,
          entropy: o.entropy as number,
          seed,
          onStep: (s) =>
            process.stderr.write(
              `rlot train: ${s.episodes} episodes, solved ${(100 * s.solveRate).toFixed(0)}%, mean ${s.baseline.toFixed(2)}, blocks ${JSON.stringify(
                Object.fromEntries(Object.entries(s.blockShares).map(([k, v]) => [k, +v.toFixed(2)])),
              )}\n`,
            ),
        });
        navigator = trained.navigator;
        curve = trained.curve;
        if (typeof o.out === 'string') {
          fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
          writeFileAtomic(o.out, `${JSON.stringify(navigator.toJSON())}\n`);
        }
      }
      const trainMs = performance.now() - t1;
      const arms = standardArms(navigator);
      const held = [...test, ...extra];
      const common = { task, policy, value, budgetTokens, seeds: o.seeds as number };
      const t2 = performance.now();
      const main = await runArms(arms, wanted, reuse.game24, held, common);
      const result: Record<string, unknown> = {
        policy: spec,
        value: typeof o.value === 'string' ? o.value : { trainedHere: 'exact step labels of the training puzzles', ...prm },
        navigator: navigator && {
          parameters: navigator.size,
          blocks: navigator.blocks,
          trainedOn:
            o.trainOn === 'game24-targets'
              ? 'generated puzzles with targets other than 24 (not the transfer ones)'
              : `${train.length} training puzzles of 24.csv (the held-out ones removed)`,
        },
        budget: { completionTokens: budgetTokens, seeds: o.seeds, seed },
        valueMs: Math.round(valueMs),
        train: { episodes: typeof o.navigator === 'string' ? 0 : o.episodes, ms: Math.round(trainMs), curve },
        game24: {
          heldOut: `ToT test split (${test.length}) + the last ${extra.length} puzzles of the train split`,
          ...compare(main, seed),
          testSplitOnly: compare(main, seed, new Set(test.map((p) => p.id))),
          raw: main,
        },
      };
      if (o.transfer !== 'none') {
        const name = String(o.transfer);
        const limit = o.transferLimit as number;
        let t2task: Task<Problem> = task;
        let probs: Problem[];
        let tPolicy = policy;
        let tValue = value;
        if (name === 'game24-targets') probs = game24TargetProblems(limit, seed + 1);
        else {
          t2task = getTask(name);
          probs = await t2task.problems({ split: 'test', limit });
        }
        if (typeof o.transferModel === 'string') {
          const other = await loadPolicy(o.transferModel);
          closers.push(() => other.close?.());
          tPolicy = new Scheduler(other, { maxWaitMs: 2 });
          tValue = undefined;
        }
        const got = await runArms(arms, wanted, reuse.transfer, probs, { ...common, task: t2task, policy: tPolicy, value: tValue });
        result.transfer = {
          task: name,
          policy: typeof o.transferModel === 'string' ? o.transferModel : spec,
          valueModel: tValue !== undefined,
          ...compare(got, seed),
          raw: got,
        };
      }
      result.evalMs = Math.round(performance.now() - t2);
      return result;
    } finally {
      for (const c of closers.reverse()) await c();
    }
  },
};
