/**
 * `rlmkit bench render --model <spec> [--baseline <spec>] [--json]`: image-to-SVG policies on
 * held-out svg-render targets (src/tasks/svg, src/eval/render.ts): mean pixel IoU of the rendered
 * SVG with a bootstrap 95% CI, greedy and sampled, the share that rendered and that was exact, and
 * with `--baseline` the paired difference (e.g. RL minus SFT) over the same problems.
 */
import type { Command } from 'commander';
import { usageError } from '../../core/errors.js';
import { compareRender, evalRender, type RenderEvalResult } from '../../eval/render.js';
import { loadPolicy } from '../../models/spec.js';
import type { Policy } from '../../models/types.js';
import { getTask } from '../../tasks/registry.js';
import type { SvgProblem } from '../../tasks/svg/task.js';
import { floatOption, intOption } from '../options.js';
import type { BenchModule } from './types.js';

type Arm = { greedy: RenderEvalResult; sampled: RenderEvalResult | null };

function summary(r: RenderEvalResult) {
  const { perProblem: _omit, ...rest } = r;
  return rest;
}

export const renderBench: BenchModule = {
  name: 'render',
  summary:
    'image-to-SVG policies on held-out svg-render targets: mean IoU of the rendered SVG with CIs; --baseline for a paired difference',
  configure(cmd: Command) {
    cmd
      .option('--model <spec>', 'the policy to evaluate (e.g. embedded:runs/svg-render-grpo/checkpoints/...)')
      .option('--baseline <spec>', 'a second policy compared on the same problems (paired bootstrap)')
      .option('--task <name>', 'svg-render, svg-render:easy or svg-render:hard', 'svg-render')
      .option('--limit <n>', 'held-out problems', intOption(1, 100_000), 200)
      .option('--samples <n>', 'sampled completions per problem (0: greedy only)', intOption(0, 64), 4)
      .option('--temperature <t>', 'sampling temperature', floatOption(0.01, 5), 1)
      .option('--seed <n>', 'seed', intOption(0), 0);
  },
  async run(o) {
    if (typeof o.model !== 'string') throw usageError('bench render needs --model <spec>', 'e.g. --model embedded:policy.safetensors');
    const name = String(o.task);
    if (name !== 'svg-render' && !name.startsWith('svg-render:'))
      throw usageError(`bench render runs the svg-render task, not "${name}"`, 'use --task svg-render, svg-render:easy or svg-render:hard');
    const task = getTask<SvgProblem>(name);
    const problems = await task.problems({ split: 'test', limit: o.limit as number, seed: 0 });
    const evalArm = async (spec: string): Promise<Arm> => {
      const policy: Policy = await loadPolicy(spec);
      try {
        const t0 = performance.now();
        const greedy = await evalRender({ policy, task, problems, temperature: 0, seed: o.seed as number });
        process.stderr.write(`${spec}: greedy mean IoU ${greedy.meanIoU.mean.toFixed(3)} (${Math.round(performance.now() - t0)} ms)\n`);
        const sampled =
          (o.samples as number) > 0
            ? await evalRender({
                policy,
                task,
                problems,
                samples: o.samples as number,
                temperature: o.temperature as number,
                seed: o.seed as number,
              })
            : null;
        return { greedy, sampled };
      } finally {
        await policy.close?.();
      }
    };
    const current = await evalArm(o.model);
    const result: Record<string, unknown> = {
      task: name,
      split: 'test',
      problems: problems.length,
      model: o.model,
      greedy: summary(current.greedy),
      sampled: current.sampled ? summary(current.sampled) : null,
    };
    if (typeof o.baseline === 'string') {
      const base = await evalArm(o.baseline);
      result.baseline = {
        model: o.baseline,
        greedy: summary(base.greedy),
        sampled: base.sampled ? summary(base.sampled) : null,
      };
      result.paired = {
        greedy: compareRender(base.greedy, current.greedy, o.seed as number),
        sampled: base.sampled && current.sampled ? compareRender(base.sampled, current.sampled, o.seed as number) : null,
      };
    }
    return result;
  },
};
