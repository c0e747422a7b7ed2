/**
 * `rlmkit eval --task <t> --strategy <s> --model <spec> [--k 1,4,8]`: samples n solutions per
 * problem with a reasoning strategy (src/reasoning, through solveMany), verifies them with the
 * task, and prints pass@k, maj@k (and, with --reward, score-weighted@k and best-of-k by the reward
 * model) with 95% confidence intervals and token usage; the JSON report goes to --out.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import * as path from 'node:path';
import { RlmkitError, usageError } from '../../core/errors.js';
import { readInputText } from '../../core/input.js';
import { writeFileAtomic, writeJsonAtomic } from '../../core/fs.js';
import { logger } from '../../core/log.js';
import { type EvalReport, type EvalStrategy, type ProblemAccuracy, pairedDifference, renderReport, runEval } from '../../eval/index.js';
import type { EvalSample } from '../../eval/report.js';
import type { RewardModel } from '../../models/types.js';
import type { SearchModels } from '../../reasoning/context.js';
import { solveMany } from '../../reasoning/solve.js';
import { getStrategy, parseSetFlags, parseSettings } from '../../reasoning/strategies/index.js';
import { getTask, listTasks } from '../../tasks/registry.js';
import { verdictOf } from '../../tasks/verdict.js';
import type { Problem, Task } from '../../tasks/types.js';
import { collect, intOption } from '../options.js';
import type { CommandModule } from '../registry.js';
import { MODEL_FREE, openSearchPolicy as openPolicy, openSearchValueModel } from '../../reasoning/open-models.js';

interface EvalFlags {
  task: string;
  verifier?: string;
  strategy: string;
  model: string;
  k: string;
  n?: number;
  split: string;
  limit?: number;
  data?: string;
  seed: number;
  set: string[];
  reward?: string;
  style: 'auto' | 'plain' | 'chat';
  out?: string;
  json?: boolean;
  baseline?: string;
  curve?: string;
  value?: string;
  queue?: string;
  chunk?: number;
}

/** The per-problem rows of an earlier `rlmkit eval` report, for a paired comparison. */
function readBaseline(file: string): { model: string; task: string; split?: string; perProblem: ProblemAccuracy[] } {
  let r: Partial<EvalReport>;
  try {
    r = JSON.parse(readInputText(file, { kind: 'json', what: '--baseline' })) as Partial<EvalReport>;
  } catch (e) {
    if (e instanceof RlmkitError && !/no such file/.test(e.message)) throw e;
    throw usageError(
      `--baseline ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' || /no such file/.test((e as Error).message) ? 'no such file' : 'not a JSON eval report'}`,
      'pass the JSON report an earlier `rlmkit eval --out` wrote',
    );
  }
  const rows = r.perProblem;
  if (
    !Array.isArray(rows) ||
    !rows.every((x) => x && typeof x.problemId === 'string' && Number.isInteger(x.n) && Number.isInteger(x.correct))
  ) {
    throw usageError(
      `--baseline ${file}: no per-problem results (perProblem) in it`,
      'pass the JSON report an earlier `rlmkit eval --out` wrote',
    );
  }
  return { model: String(r.model ?? file), task: String(r.task), split: r.split, perProblem: rows };
}

function parseKs(text: string): number[] {
  const ks = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1))
    throw usageError(`--k must be a comma-separated list of positive integers, got "${text}"`, 'e.g. --k 1,4,8');
  return ks;
}

async function openRewardModel(spec: string, seed: number): Promise<RewardModel> {
  if (spec.startsWith('judge:')) {
    const { LlmJudge } = await import('../../models/judge.js');
    return new LlmJudge(await openPolicy(spec.slice('judge:'.length), seed), { kind: 'outcome' });
  }
  const { loadValueModel } = await import('../../models/spec.js');
  const value = await loadValueModel(spec);
  return {
    id: `${value.id}#outcome`,
    kind: 'outcome',
    // A value head in [-1, 1] read as an outcome score in [0, 1].
    outcome: async (solutions) =>
      (await value.value(solutions.map((s) => `${s.prompt}${s.steps.map((x) => `${x}\n`).join('')}`))).map((v) => (v + 1) / 2),
  };
}

/** src/reasoning's strategies as an EvalStrategy: n independent seeded runs of solveMany. */
export function reasoningStrategy(o: {
  strategy: string;
  settings: Record<string, unknown>;
  models: SearchModels;
  seed: number;
  style: 'auto' | 'plain' | 'chat';
  reward?: RewardModel;
}): EvalStrategy {
  return async (task: Task<Problem>, problems: readonly Problem[], n: number) => {
    const out: EvalSample[][] = problems.map(() => []);
    for (let r = 0; r < n; r++) {
      const many = await solveMany(problems, {
        task,
        strategy: o.strategy,
        settings: o.settings,
        models: o.models,
        seed: o.seed * 100_003 + r,
        style: o.style,
        trace: false,
      });
      let scores: Array<number | undefined> = many.results.map((res) => {
        const s = res.node?.scores;
        return s ? (s.orm ?? s.prm ?? s.value ?? s.judge) : undefined;
      });
      if (o.reward) {
        scores = await o.reward.outcome(
          many.results.map((res, i) => ({
            prompt: task.renderPlain(problems[i]),
            steps: [...(res.node?.steps ?? [])],
            answer: res.answer,
          })),
        );
      }
      many.results.forEach((res, i) => {
        out[i].push({
          answer: res.answer,
          correct: res.correct === true,
          verdict: verdictOf(res.verification, res.answer),
          score: scores[i],
          promptTokens: res.usage.promptTokens,
          completionTokens: res.usage.completionTokens,
          wallMs: res.usage.wallMs,
        });
      });
      logger.info('eval round done', {
        round: r + 1,
        of: n,
        correct: many.results.filter((x) => x.correct === true).length,
        problems: problems.length,
      });
    }
    return out;
  };
}

export const evalCommand: CommandModule = {
  name: 'eval',
  summary: 'evaluate a strategy and model on a task: pass@k, maj@k, weighted@k, best-of-k with confidence intervals',
  register(program: Command) {
    program
      .command('eval')
      .description('sample solutions with a reasoning strategy, verify them, and report metrics (table + JSON); see src/eval/README.md')
      .requiredOption(
        '--task <name>',
        `task: ${listTasks()
          .map((t) => t.name)
          .join(', ')}, or jsonl:FILE (your own rows)`,
      )
      .option('--verifier <kind>', 'for --task jsonl:FILE: math, exact, regex or code (default math)')
      .requiredOption('--strategy <name>', 'reasoning strategy (rlmkit strategies lists them)')
      .requiredOption(
        '--model <spec>',
        `policy: ${MODEL_FREE.join(' | ')} (model-free baseline), embedded:<ckpt>, gguf:<file>, http://host/v1#<model>, openai:<model>`,
      )
      .option('--k <list>', 'k values for pass@k / maj@k, comma-separated', '1')
      .option('--n <samples>', 'samples per problem (default: the largest k)', intOption(1, 100_000))
      .option('--split <name>', 'split to evaluate', 'test')
      .option('--limit <n>', 'first n problems of the split', intOption(1))
      .option('--data <path>', "your own copy of the task's data file")
      .option('--seed <n>', 'random seed', intOption(0), 0)
      .option('--set <key=value>', 'strategy setting, snake_case (repeatable), e.g. --set rule_check=false', collect, [])
      .option('--value <spec>', 'value model guiding the search (mcts, beam...): an embedded checkpoint with a value head (e.g. VM-MCTS)')
      .option('--reward <spec>', 'outcome reward model for best-of-k and weighted voting: a value checkpoint, or judge:<policy spec>')
      .addOption(new Option('--style <style>', 'prompt style').choices(['auto', 'plain', 'chat']).default('auto'))
      .option('--out <file>', 'where to write the JSON report (default runs/eval/<task>-<strategy>.json)')
      .option('--json', 'print the JSON report instead of the table')
      .option('--baseline <report.json>', 'an earlier eval report on the same problems: adds the paired accuracy difference with a 95% CI')
      .option('--curve <file.svg>', 'also write the pass@k curve (k = 1, 2, 4 ... n) as an SVG plot; with --baseline, both policies')
      .option('--queue <url>', 'send the work to `rlmkit worker`s on this Redis (redis://host:port); same results as --chunk in process')
      .option(
        '--chunk <n>',
        'problems per job: each round runs in chunks of n problems (default 8 with --queue; none in process)',
        intOption(1),
      )
      .action(async (f: EvalFlags) => {
        const task = getTask(f.task, { verifier: f.verifier });
        const ks = parseKs(f.k);
        const baseline = f.baseline ? readBaseline(f.baseline) : undefined;
        if (baseline && (baseline.task !== task.name || (baseline.split ?? f.split) !== f.split)) {
          throw usageError(
            `--baseline ${f.baseline} is a report on ${baseline.task}/${baseline.split ?? '?'}, not ${task.name}/${f.split}`,
            'compare runs on the same task and split',
          );
        }
        const n = f.n ?? Math.max(...ks);
        if (Math.max(...ks) > n)
          throw usageError(
            `--k ${Math.max(...ks)} needs at least that many samples, but --n is ${n}`,
            `raise --n to ${Math.max(...ks)} or lower --k`,
          );
        const strategy = getStrategy(f.strategy);
        const settings = parseSettings(strategy, parseSetFlags(f.set));
        const all = await task.problems({ split: f.split, seed: f.seed, ...(f.data ? { path: f.data } : {}) });
        const problems = all.slice(0, f.limit ?? all.length);
        if (problems.length === 0)
          throw usageError(`task ${task.name} has no problems in split "${f.split}"`, `choose one of: ${task.splits.join(', ')}`);
        if ((f.queue || f.chunk) && f.reward)
          throw usageError(
            '--reward cannot be combined with --queue or --chunk yet',
            'score with the reward model in process (drop --queue/--chunk)',
          );
        if (f.queue && !MODEL_FREE.includes(f.model)) (await import('../../models/spec.js')).parseModelSpec(f.model); // bad specs fail here, not on the workers
        const queue = f.queue ? await (await import('../../distributed/queue.js')).JobQueue.open(f.queue) : undefined;
        if (queue && f.value)
          throw usageError('--value cannot be combined with --queue yet', 'run the value-guided search in process (drop --queue)');
        const models: SearchModels | null = queue ? null : { policy: await openPolicy(f.model, f.seed) };
        if (models && f.value) models.value = await openSearchValueModel(f.value);
        const reward = f.reward ? await openRewardModel(f.reward, f.seed) : undefined;
        const chunked =
          queue || f.chunk
            ? (await import('../../distributed/eval.js')).chunkedEvalStrategy({
                strategy: f.strategy,
                settings,
                model: f.model,
                seed: f.seed,
                style: f.style,
                chunk: f.chunk,
                queue,
                policy: models?.policy,
              })
            : undefined;
        try {
          const { report } = await runEval({
            task,
            problems,
            strategy:
              chunked ?? reasoningStrategy({ strategy: f.strategy, settings, models: models!, seed: f.seed, style: f.style, reward }),
            strategyName: strategy.name,
            model: f.model,
            split: f.split,
            ks,
            n,
            seed: f.seed,
            settings,
          });
          if (baseline) {
            const cmp = pairedDifference(baseline.perProblem, report.perProblem, { seed: f.seed });
            if (cmp.problems === 0)
              throw usageError(
                `--baseline ${f.baseline} shares no problem with this run`,
                'compare runs on the same problems (same split, seed and --limit)',
              );
            report.comparison = { ...cmp, baselineModel: baseline.model };
          }
          const out = f.out ?? path.join('runs', 'eval', `${task.name}-${strategy.name}.json`);
          writeJsonAtomic(out, report);
          if (f.curve) {
            const { passAtKSvg, passAtKCurve, powersOfTwoUpTo } = await import('../../eval/passk-plot.js');
            const ks = powersOfTwoUpTo(Math.min(...report.perProblem.map((p) => p.n)));
            const series = [{ label: f.model, points: passAtKCurve(report.perProblem, ks) }];
            if (baseline) {
              const bn = Math.min(...baseline.perProblem.map((p) => p.n));
              series.unshift({
                label: `${baseline.model} (baseline)`,
                points: passAtKCurve(
                  baseline.perProblem,
                  ks.filter((k) => k <= bn),
                ),
              });
            }
            writeFileAtomic(f.curve, passAtKSvg(series, { title: `pass@k on ${task.name}/${f.split} (${report.problems} problems)` }));
          }
          if (f.json) process.stdout.write(JSON.stringify(report) + '\n');
          else process.stdout.write(renderReport(report) + `\nreport written to ${out}\n`);
        } finally {
          await models?.policy.close?.();
          await models?.value?.close?.();
          await queue?.close();
          await reward?.close?.();
        }
      });
  },
};
