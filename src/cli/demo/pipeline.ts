/**
 * The main job behind `rlmkit demo`: the whole RLM pipeline on Game of 24, on a CPU.
 *
 *   committed SFT policy -> short GRPO phase -> value model from the policy's rollouts
 *   -> evaluation on the Tree-of-Thoughts test split (ranks 901-1000 of 24.csv):
 *      greedy CoT, best-of-N, beam search and MCTS with the value model, against model-free
 *      search (uniform among legal steps) at the same number of expansions
 *   -> runs/demo/summary.json and runs/demo/report.html
 *
 * Every search here uses Game of 24's rule check (it needs no answer key, so it is allowed at
 * evaluation time, and is reported as such); the reference answers are never consulted.
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { RunDir, logger, Progress, readText, usageError, type RunMode } from '../../core/index.js';
import { bootstrapMean, wilson } from '../../eval/index.js';
import { EmbeddedPolicy, EmbeddedValueModel, type Policy, type ValueModel } from '../../models/index.js';
import {
  LegalUniformPolicy,
  canonicalSettings,
  getStrategy,
  parseSettings,
  solveMany,
  type SolveManyOptions,
  type SolveResult,
  type Trace,
} from '../../reasoning/index.js';
import { getTask } from '../../tasks/registry.js';
import type { Problem, Task } from '../../tasks/types.js';
import { RecipeSchema, trainRl, trainValue } from '../../training/index.js';
import type { DemoConfig, DemoStrategy } from './config.js';
import { renderReport, type Curve, type StrategyResult } from './report.js';

export interface DemoOptions {
  mode: RunMode;
  progress?: 'bar' | 'log' | 'silent';
  /** Writes lines for a person (the table); default stdout. */
  print?: (line: string) => void;
}

export interface PolicyComparison {
  policy: 'sft' | 'rl';
  greedy: { solved: number; total: number; rate: number; ci95: [number, number] };
  sampled: { samples: number; rate: number; ci95: [number, number]; temperature: number };
}

export interface DemoSummary {
  task: string;
  split: string;
  puzzles: number;
  checkpoint: string;
  strategies: StrategyResult[];
  rlVsSft: PolicyComparison[];
  stageSeconds: Record<string, number>;
  checksUsedAtEvaluation: string[];
  groundTruthUsed: boolean;
  notes: string[];
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** The rlmkit package folder (where the shipped checkpoints/ live). */
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The checkpoint the demo starts from. A relative path is looked up in the working directory, then
 * in the rlmkit package (where `checkpoints/game24-sft/policy.safetensors`, the default, ships), so
 * the demo runs from any folder; the path used is printed in the summary.
 */
export function resolveDemoCheckpoint(file: string): string {
  const candidates = path.isAbsolute(file) ? [file] : [path.resolve(file), path.join(packageRoot, file)];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) {
    throw usageError(
      `the demo starts from the SFT checkpoint ${file}, which does not exist (looked in ${candidates.join(' and ')})`,
      'train the checkpoint: rlmkit train --config recipes/game24-sft.yaml (then pass --set checkpoint=<runs/.../policy-step-N.safetensors>)',
    );
  }
  return found;
}

async function timed<T>(stages: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  logger.info(`demo: ${name}`);
  try {
    return await fn();
  } finally {
    stages[name] = +((performance.now() - t) / 1000).toFixed(1);
    logger.info(`demo: ${name} done`, { seconds: stages[name] });
  }
}

async function solveAll(
  problems: Problem[],
  task: Task,
  label: string,
  o: Omit<SolveManyOptions, 'task'>,
  progressMode: DemoOptions['progress'],
): Promise<SolveResult[]> {
  const bar = new Progress({ label, total: problems.length, unit: 'puzzles', mode: progressMode, logEverySec: 15 });
  try {
    const r = await solveMany(problems, { ...o, task, onResult: () => bar.tick() });
    return r.results;
  } finally {
    bar.stop();
  }
}

/** Greedy and sampled chain-of-thought accuracy of one policy (the RL-vs-SFT comparison). */
async function comparePolicy(
  name: 'sft' | 'rl',
  policy: Policy,
  task: Task,
  problems: Problem[],
  cfg: DemoConfig,
  progress: DemoOptions['progress'],
): Promise<PolicyComparison> {
  const base = { strategy: 'cot', models: { policy }, seed: cfg.run.seed, trace: false, markCorrectLimit: 1 } as const;
  const greedy = await solveAll(
    problems,
    task,
    `${name} greedy CoT`,
    { ...base, settings: { decoding: 'greedy', rule_check: false } },
    progress,
  );
  const solved = greedy.filter((r) => r.correct === true).length;
  const perPuzzle = new Array<number>(problems.length).fill(0);
  for (let s = 0; s < cfg.eval.samples; s++) {
    const sampled = await solveAll(
      problems,
      task,
      `${name} sampled CoT ${s + 1}/${cfg.eval.samples}`,
      { ...base, seed: cfg.run.seed + 1000 + s, settings: { decoding: 'sample', temperature: 1, rule_check: false } },
      progress,
    );
    sampled.forEach((r, i) => (perPuzzle[i] += r.correct === true ? 1 / cfg.eval.samples : 0));
  }
  const w = wilson(solved, problems.length);
  const b = bootstrapMean(perPuzzle, { seed: cfg.run.seed });
  return {
    policy: name,
    greedy: { solved, total: problems.length, rate: solved / problems.length, ci95: [w.lo, w.hi] },
    sampled: { samples: cfg.eval.samples, rate: b.mean, ci95: [b.lo, b.hi], temperature: 1 },
  };
}

async function evalStrategy(
  s: DemoStrategy,
  task: Task,
  problems: Problem[],
  models: { policy: Policy; value: ValueModel },
  cfg: DemoConfig,
  progress: DemoOptions['progress'],
): Promise<{ result: StrategyResult; results: SolveResult[] }> {
  const policy = s.policy === 'legal-uniform' ? new LegalUniformPolicy(cfg.run.seed) : models.policy;
  const results = await solveAll(
    problems,
    task,
    s.label,
    {
      strategy: s.strategy,
      settings: { rule_check: true, ...canonicalSettings(s.settings) },
      models: { policy, value: s.value ? models.value : undefined },
      budget: s.budget_tokens ? { tokens: s.budget_tokens } : undefined,
      seed: cfg.run.seed,
      trace: true,
      allowGroundTruth: false,
    },
    progress,
  );
  const solved = results.filter((r) => r.correct === true).length;
  const w = wilson(solved, problems.length);
  const checks = new Set<string>();
  for (const r of results) for (const c of r.trace?.checksUsed ?? []) checks.add(c);
  return {
    results,
    result: {
      name: s.strategy,
      label: s.label,
      solved,
      total: problems.length,
      rate: solved / problems.length,
      ci95: [w.lo, w.hi],
      meanTokens: sum(results.map((r) => r.usage.completionTokens)) / Math.max(1, results.length),
      meanExpansions: sum(results.map((r) => r.usage.expansions)) / Math.max(1, results.length),
      checksUsed: [...checks].sort(),
    },
  };
}

function readCurve(metricsFile: string, key: string): Array<[number, number]> {
  if (!fs.existsSync(metricsFile)) return [];
  const out: Array<[number, number]> = [];
  for (const line of readText(metricsFile).split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as Record<string, unknown>;
      if (typeof r.step === 'number' && typeof r[key] === 'number') out.push([r.step, r[key] as number]);
    } catch {
      /* a line cut short by a crash */
    }
  }
  return out;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

export function formatTable(summary: DemoSummary): string {
  const rows = summary.strategies.map((s) => [
    s.label,
    `${s.solved}/${s.total}`,
    pct(s.rate),
    `[${pct(s.ci95[0])}, ${pct(s.ci95[1])}]`,
    s.meanTokens.toFixed(0),
    s.meanExpansions.toFixed(1),
    s.checksUsed.join(',') || '-',
  ]);
  const header = ['strategy', 'solved', 'success', '95% CI', 'tokens/puzzle', 'expansions/puzzle', 'checks'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  const lines = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  lines.push('');
  for (const c of summary.rlVsSft) {
    lines.push(
      `${c.policy.toUpperCase().padEnd(3)}  greedy ${pct(c.greedy.rate)} [${pct(c.greedy.ci95[0])}, ${pct(c.greedy.ci95[1])}]   sampled (T=1, ${c.sampled.samples}/puzzle) ${pct(c.sampled.rate)} [${pct(c.sampled.ci95[0])}, ${pct(c.sampled.ci95[1])}]`,
    );
  }
  return lines.join('\n');
}

export async function runDemo(cfg: DemoConfig, o: DemoOptions): Promise<DemoSummary> {
  const print = o.print ?? ((l: string) => process.stdout.write(l + '\n'));
  cfg = { ...cfg, checkpoint: resolveDemoCheckpoint(cfg.checkpoint) };
  // A bad strategy row is refused now, not after minutes of RL and value training.
  for (const s of cfg.strategies) parseSettings(getStrategy(s.strategy), { rule_check: true, ...canonicalSettings(s.settings) });
  const run = RunDir.open(cfg.run.name, { root: cfg.run.root, mode: o.mode, config: cfg });
  const resume = run.resumed;
  const stages: Record<string, number> = {};
  const task = getTask('game24');
  const problems = await task.problems({ split: cfg.eval.split, limit: cfg.eval.limit ?? undefined });
  const sub = (name: string) => ({
    root: run.dir,
    name,
    resume: resume && fs.existsSync(path.join(run.dir, name, 'config.yaml')),
    progress: o.progress,
  });

  // 1. A short GRPO phase on the training puzzles (Shao et al. 2024), from the committed SFT policy.
  const rl = await timed(stages, 'rl', () =>
    trainRl(
      RecipeSchema.parse({
        pipeline: 'rl',
        run: { name: 'rl', root: run.dir, seed: cfg.run.seed },
        task: { name: 'game24', split: 'train' },
        model: { init: cfg.checkpoint },
        checkpoint_every: Math.max(1, Math.ceil(cfg.rl.steps / 4)),
        rl: {
          steps: cfg.rl.steps,
          prompts_per_step: cfg.rl.prompts_per_step,
          group_size: cfg.rl.group_size,
          advantage: 'grpo',
          clip: { low: 0.2, high: 0.28 },
          kl_loss: { estimator: 'k3', coef: 0.001 },
          rollout: { max_new_tokens: 64 },
          optim: { lr: cfg.rl.lr, schedule: 'constant' },
          eval_problems: 0,
        },
      }),
      sub('rl'),
    ),
  );

  // 2. A value model (x1's Q model) from Monte Carlo rollouts of the RL policy.
  const value = await timed(stages, 'value', () =>
    trainValue(
      RecipeSchema.parse({
        pipeline: 'value',
        run: { name: 'value', root: run.dir, seed: cfg.run.seed },
        task: { name: 'game24', split: 'train', limit: cfg.value.problems },
        model: { init: rl.checkpoints.policy },
        checkpoint_every: Math.max(1, Math.ceil(cfg.value.steps / 4)),
        value: { steps: cfg.value.steps, batch_size: cfg.value.batch_size, target: 'q', optim: { lr: 1e-3, warmup_steps: 10 } },
      }),
      sub('value'),
    ),
  );

  const sftPolicy = await EmbeddedPolicy.load(cfg.checkpoint, { id: 'sft-policy' });
  const rlPolicy = await EmbeddedPolicy.load(rl.checkpoints.policy, { id: 'rl-policy' });
  const valueModel = await EmbeddedValueModel.load(value.checkpoints.value, { id: 'value-model' });
  try {
    // 3. RL vs SFT at the same sampling settings.
    const rlVsSft = await timed(stages, 'rl-vs-sft', async () => [
      await comparePolicy('sft', sftPolicy, task, problems, cfg, o.progress),
      await comparePolicy('rl', rlPolicy, task, problems, cfg, o.progress),
    ]);

    // 4. Search strategies with the RL policy and the value model, and model-free baselines.
    const strategies: StrategyResult[] = [];
    const trees: Array<{ title: string; trace: Trace }> = [];
    await timed(stages, 'search', async () => {
      for (const s of cfg.strategies) {
        const { result, results } = await evalStrategy(s, task, problems, { policy: rlPolicy, value: valueModel }, cfg, o.progress);
        strategies.push(result);
        if (s.strategy === 'mcts' && s.policy === 'trained') {
          const solved = results.find((r) => r.correct === true && r.trace);
          const failed = results.find((r) => r.correct !== true && r.trace);
          if (solved) trees.push({ title: `${s.label}: a solved puzzle`, trace: solved.trace! });
          if (failed) trees.push({ title: `${s.label}: a failed puzzle`, trace: failed.trace! });
        }
        logger.info(`demo: ${s.label}`, { solved: `${result.solved}/${result.total}`, tokens_per_puzzle: Math.round(result.meanTokens) });
      }
    });
    for (const [i, t] of trees.entries()) run.writeJson(`traces/mcts-${i === 0 ? 'first' : 'second'}.json`, t.trace);

    const checks = [...new Set(strategies.flatMap((s) => s.checksUsed))].sort();
    const summary: DemoSummary = {
      task: 'game24',
      split: cfg.eval.split,
      puzzles: problems.length,
      checkpoint: cfg.checkpoint,
      strategies,
      rlVsSft,
      stageSeconds: stages,
      checksUsedAtEvaluation: checks,
      groundTruthUsed: false,
      notes: [
        `Evaluation on ${problems.length} puzzles of the ${cfg.eval.split} split (Tree-of-Thoughts test split = ranks 901-1000 of 24.csv), never trained on.`,
        `Checks used by the searches at evaluation time: ${checks.join(', ') || 'none'}. Game of 24's rule check recomputes each step from the puzzle's numbers and needs no answer key; the reference answers were never consulted.`,
        'Model-free baselines pick uniformly among the legal next steps, with the same search and number of expansions as the learned one.',
        'Tokens per puzzle count generated tokens (model-free baselines count the characters of the steps they pick).',
        'For scale (Yao et al. 2023): GPT-4 solved 4% with CoT and 74% with Tree-of-Thoughts on this split.',
      ],
    };
    run.writeJson('summary.json', summary);

    const curves: Curve[] = [
      {
        title: 'GRPO: mean reward per step',
        xLabel: 'step',
        yLabel: 'reward',
        series: [{ name: 'reward', points: readCurve(path.join(run.dir, 'rl', 'metrics.jsonl'), 'reward') }],
      },
      {
        title: 'Value model: training loss',
        xLabel: 'step',
        yLabel: 'MSE',
        series: [{ name: 'loss', points: readCurve(path.join(run.dir, 'value', 'metrics.jsonl'), 'loss') }],
      },
    ];
    run.writeText(
      'report.html',
      renderReport({
        title: 'rlmkit demo: a tiny reasoning model on Game of 24',
        subtitle: `SFT checkpoint ${cfg.checkpoint} -> ${cfg.rl.steps} GRPO steps -> value model -> search on ${problems.length} test puzzles.`,
        strategies,
        curves,
        trees,
        notes: summary.notes,
        tables: [
          {
            title: 'RL vs SFT (chain of thought, same sampling settings)',
            header: ['policy', 'greedy', '95% CI (Wilson)', `sampled T=1 (${cfg.eval.samples}/puzzle)`, '95% CI (bootstrap over puzzles)'],
            rows: rlVsSft.map((c) => [
              c.policy.toUpperCase(),
              pct(c.greedy.rate),
              `[${pct(c.greedy.ci95[0])}, ${pct(c.greedy.ci95[1])}]`,
              pct(c.sampled.rate),
              `[${pct(c.sampled.ci95[0])}, ${pct(c.sampled.ci95[1])}]`,
            ]),
          },
        ],
      }),
    );
    print('');
    print(formatTable(summary));
    print('');
    print(`wrote ${path.join(run.dir, 'summary.json')} and ${path.join(run.dir, 'report.html')}`);
    return summary;
  } finally {
    await sftPolicy.close();
    await rlPolicy.close();
    await valueModel.close();
  }
}
