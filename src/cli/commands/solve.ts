/**
 * `rlmkit solve --task <t> --strategy <s> --model <spec>`: runs one reasoning strategy on one
 * problem (or `--limit N` problems at once with solveMany) and prints the answer, the usage and an
 * ASCII rendering of the explored structure; `--trace out.json` writes the trace.
 *
 * `--model legal-uniform` (alias `random`) is the model-free baseline: every step is drawn
 * uniformly from the task's legal moves, so any strategy runs without a model.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { logger } from '../../core/log.js';
import { MODEL_FREE, openSearchPolicy, openSearchRewardModel, openSearchValueModel } from '../../reasoning/open-models.js';
import { renderFinalPath, renderTrace } from '../../reasoning/render.js';
import { solve, solveMany, type SolveResult } from '../../reasoning/solve.js';
import { getStrategy, parseSetFlags, parseSettings } from '../../reasoning/strategies/index.js';
import { writeTrace } from '../../reasoning/tracer.js';
import type { Budget } from '../../reasoning/budget.js';
import type { SearchModels } from '../../reasoning/context.js';
import { getTask, listTasks } from '../../tasks/registry.js';
import { selectProblems } from '../../tasks/select.js';
import { collect, floatOption, intOption } from '../options.js';
import type { CommandModule } from '../registry.js';

// The model and problem openers live in the library (reasoning/open-models.ts, tasks/select.ts).

interface SolveFlags {
  task: string;
  verifier?: string;
  strategy: string;
  model: string;
  value?: string;
  reward?: string;
  prm?: string;
  problem?: string;
  split: string;
  data?: string;
  limit?: number;
  set: string[];
  trace?: string;
  budgetTokens?: number;
  budgetCalls?: number;
  budgetTime?: number;
  budgetExpansions?: number;
  seed: number;
  style: 'auto' | 'plain' | 'chat';
  allowGroundTruth?: boolean;
  journey?: boolean;
  json?: boolean;
  tree: boolean;
  maxLines: number;
}

function usageLine(r: SolveResult): string {
  const u = r.usage;
  const overhead = u.wallMs > 0 ? (100 * (u.wallMs - u.modelMs)) / u.wallMs : 0;
  return `tokens ${u.promptTokens + u.completionTokens} (prompt ${u.promptTokens}, completion ${u.completionTokens}) · policy calls ${u.calls} · eval calls ${u.evalCalls} · expansions ${u.expansions} · wall ${u.wallMs.toFixed(0)} ms (in models ${u.modelMs.toFixed(0)} ms, framework ${overhead.toFixed(1)}%)`;
}

export const solveCommand: CommandModule = {
  name: 'solve',
  summary: 'solve a problem with a reasoning strategy (CoT, best-of-N, beam, MCTS, ToT, GoT, ...) and show the search',
  register(program: Command) {
    program
      .command('solve')
      .description(
        'run a reasoning strategy on a task problem; prints the answer, usage and the explored tree (see src/reasoning/README.md)',
      )
      .requiredOption(
        '--task <name>',
        `task: ${listTasks()
          .map((t) => t.name)
          .join(', ')}, or jsonl:FILE (your own rows)`,
      )
      .option('--verifier <kind>', 'for --task jsonl:FILE: math, exact, regex or code (default math)')
      .requiredOption('--strategy <name>', 'strategy (rlmkit strategies lists them)')
      .requiredOption(
        '--model <spec>',
        `policy: ${MODEL_FREE.join(' | ')} (model-free baseline), embedded:<ckpt>, gguf:<file>, http://host/v1#<model>, openai:<model>`,
      )
      .option('--value <spec>', 'value model (embedded checkpoint with a value head)')
      .option('--reward <spec>', 'outcome reward model: a value checkpoint, or judge:<policy spec>')
      .option('--prm <spec>', 'process reward model: a value checkpoint, or judge:<policy spec>')
      .option('--problem <id>', 'problem id, index in the split, or for game24 four numbers ("4 4 6 8")')
      .option('--split <name>', 'split to pick problems from', 'test')
      .option('--data <path>', "your own copy of the task's data file")
      .option('--limit <n>', 'solve the first n problems of the split at once (solveMany) and report accuracy', intOption(1))
      .option('--set <key=value>', 'strategy setting, snake_case (repeatable; JSON values allowed), e.g. --set max_depth=8', collect, [])
      .option('--trace <file>', 'write the trace (JSON) here; with --limit, one file per problem (<file>-<i>.json)')
      .option('--budget-tokens <n>', 'stop after this many prompt+completion tokens', intOption(1))
      .option('--budget-calls <n>', 'stop after this many policy requests', intOption(1))
      .option('--budget-time <seconds>', 'stop after this much wall time per problem', floatOption(0.001))
      .option('--budget-expansions <n>', 'stop after this many node expansions', intOption(1))
      .option('--seed <n>', 'random seed', intOption(0), 0)
      .addOption(new Option('--style <style>', 'prompt style').choices(['auto', 'plain', 'chat']).default('auto'))
      .option('--allow-ground-truth', 'let the search consult reference answers (training-data generation only; never for evaluation)')
      .option('--journey', 'also print the Journey-Learning linearisation of the search')
      .option('--json', 'print one JSON object (answer, correctness, usage) instead of text')
      .option('--no-tree', 'do not print the explored tree')
      .option('--max-lines <n>', 'lines of tree to print at most', intOption(1), 120)
      .action(async (f: SolveFlags) => {
        const task = getTask(f.task, { verifier: f.verifier });
        const strategy = getStrategy(f.strategy);
        const settings = parseSettings(strategy, parseSetFlags(f.set));
        const budget: Budget = {
          ...(f.budgetTokens ? { tokens: f.budgetTokens } : {}),
          ...(f.budgetCalls ? { calls: f.budgetCalls } : {}),
          ...(f.budgetTime ? { wallMs: f.budgetTime * 1000 } : {}),
          ...(f.budgetExpansions ? { expansions: f.budgetExpansions } : {}),
        };
        const problems = await selectProblems(task, { problem: f.problem, split: f.split, limit: f.limit, seed: f.seed, data: f.data });
        const models: SearchModels = { policy: await openSearchPolicy(f.model, f.seed) };
        try {
          if (f.value) models.value = await openSearchValueModel(f.value);
          if (f.reward) models.reward = await openSearchRewardModel(f.reward, 'outcome', f.seed);
          if (f.prm) models.prm = await openSearchRewardModel(f.prm, 'process', f.seed);
          const common = {
            task,
            strategy,
            settings,
            models,
            budget,
            seed: f.seed,
            style: f.style,
            allowGroundTruth: f.allowGroundTruth === true,
            journey: f.journey === true,
          };
          if (problems.length === 1) {
            const r = await solve(problems[0], common);
            if (f.trace) writeTrace(f.trace, r.trace!);
            if (f.json) {
              process.stdout.write(
                JSON.stringify({
                  problem: r.problemId,
                  answer: r.answer,
                  correct: r.correct,
                  stopReason: r.stopReason,
                  usage: r.usage,
                  settings: r.settings,
                  ...(r.journey ? { journey: r.journey } : {}),
                }) + '\n',
              );
              return;
            }
            const out: string[] = [];
            out.push(`problem   ${problems[0].id}: ${problems[0].question}`);
            out.push(`strategy  ${strategy.name} ${JSON.stringify(r.settings)}`);
            out.push(`answer    ${r.answer ?? '(none)'}${r.correct === true ? '  ✓ correct' : r.correct === false ? '  ✗ wrong' : ''}`);
            if (r.answer !== null) out.push(`solution\n${renderFinalPath(r.trace!).replace(/^/gm, '  ')}`);
            out.push(`stopped   ${r.stopReason}`);
            out.push(`usage     ${usageLine(r)}`);
            out.push(`checks    ${r.trace!.checksUsed.join(', ') || 'none'}${r.trace!.usedGroundTruth ? ' (ground truth allowed)' : ''}`);
            if (r.journey) out.push(`journey\n${r.journey.map((s) => `  [${s.kind}] ${s.text}`).join('\n')}`);
            if (f.tree)
              out.push(
                `\n${strategy.structure} explored (${r.graph.nodes.length} nodes; * = final path):\n${renderTrace(r.trace!, { maxLines: f.maxLines })}`,
              );
            if (f.trace) out.push(`\ntrace written to ${f.trace}`);
            process.stdout.write(out.join('\n') + '\n');
            return;
          }
          const many = await solveMany(problems, {
            ...common,
            onResult: (r, i) => {
              if (f.trace) writeTrace(f.trace.replace(/\.json$/, '') + `-${i}.json`, r.trace!);
              logger.debug('solved', { problem: r.problemId, answer: r.answer, correct: r.correct });
            },
          });
          const rs = many.results;
          const correct = rs.filter((r) => r.correct === true).length;
          const tokens = rs.reduce((s, r) => s + r.usage.promptTokens + r.usage.completionTokens, 0);
          const summary = {
            problems: rs.length,
            correct,
            accuracy: correct / rs.length,
            tokens,
            tokensPerProblem: tokens / rs.length,
            wallMs: many.wallMs,
            lockstep: many.lockstep,
          };
          if (f.json) {
            process.stdout.write(
              JSON.stringify({
                ...summary,
                results: rs.map((r) => ({
                  problem: r.problemId,
                  answer: r.answer,
                  correct: r.correct,
                  stopReason: r.stopReason,
                  usage: r.usage,
                })),
              }) + '\n',
            );
            return;
          }
          for (const r of rs)
            process.stdout.write(
              `${r.correct === true ? '✓' : r.correct === false ? '✗' : '?'} ${r.problemId}  ${r.answer ?? '(none)'}  [${r.stopReason}]\n`,
            );
          process.stdout.write(
            `\n${correct}/${rs.length} correct (${((100 * correct) / rs.length).toFixed(1)}%) · ${Math.round(tokens / rs.length)} tokens per problem · ${(many.wallMs / 1000).toFixed(1)} s\n`,
          );
        } finally {
          await models.policy.close?.();
          await models.value?.close?.();
          await models.reward?.close?.();
          await models.prm?.close?.();
        }
      });
  },
};
