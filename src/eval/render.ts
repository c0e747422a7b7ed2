/**
 * Evaluation of image-to-SVG policies by rendering (src/tasks/svg): each held-out target's prompt
 * is completed (greedy, or n samples at a temperature), the SVG is rendered and compared with the
 * target, and the per-problem mean IoU is reported with a bootstrap CI, with the share of SVGs
 * that rendered and of exact pictures. `compareRender` is the paired bootstrap over the same
 * problems (Efron & Tibshirani 1993, ch. 16), as `pairedDifference` does for accuracies.
 */
import type { Policy } from '../models/types.js';
import type { Task } from '../tasks/types.js';
import { type SvgProblem, extractSvg, scoreSvg } from '../tasks/svg/task.js';
import { type MeanCI, bootstrapMean, pairedValues } from './stats.js';

export interface RenderEvalOptions {
  policy: Policy;
  task: Task<SvgProblem>;
  problems: readonly SvgProblem[];
  /** Completions per problem (default 1). */
  samples?: number;
  /** 0 = greedy (default). */
  temperature?: number;
  maxTokens?: number;
  seed?: number;
  /** Prompts per generate call (default 50). */
  batch?: number;
}

export interface RenderProblemResult {
  problemId: string;
  /** Mean IoU over the problem's samples. */
  iou: number;
  valid: number;
  exact: number;
}

export interface RenderEvalResult {
  problems: number;
  samples: number;
  temperature: number;
  meanIoU: MeanCI;
  /** Share of completions whose SVG rendered. */
  validRate: number;
  /** Share of completions that reproduced the target exactly (IoU 1). */
  exactRate: number;
  completionTokens: number;
  perProblem: RenderProblemResult[];
}

export async function evalRender(o: RenderEvalOptions): Promise<RenderEvalResult> {
  const n = o.samples ?? 1;
  const temperature = o.temperature ?? 0;
  const batch = o.batch ?? 50;
  const perProblem: RenderProblemResult[] = [];
  let tokens = 0;
  let valid = 0;
  let exact = 0;
  for (let i = 0; i < o.problems.length; i += batch) {
    const chunk = o.problems.slice(i, i + batch);
    const out = await o.policy.generate(
      chunk.map((p) => ({ prompt: o.task.renderPlain(p, []) })),
      { n, temperature, maxTokens: o.maxTokens ?? 160, seed: (o.seed ?? 0) + i },
    );
    chunk.forEach((p, j) => {
      let iou = 0;
      let v = 0;
      let e = 0;
      for (const c of out[j]) {
        tokens += c.usage.completionTokens;
        const s = scoreSvg(extractSvg(c.text), p.data);
        iou += s.iou;
        v += s.valid ? 1 : 0;
        e += s.valid && s.iou === 1 ? 1 : 0;
      }
      valid += v;
      exact += e;
      const k = out[j].length || 1;
      perProblem.push({ problemId: p.id, iou: iou / k, valid: v / k, exact: e / k });
    });
  }
  const total = perProblem.length * n || 1;
  return {
    problems: perProblem.length,
    samples: n,
    temperature,
    meanIoU: bootstrapMean(
      perProblem.map((p) => p.iou),
      { seed: o.seed ?? 0 },
    ),
    validRate: valid / total,
    exactRate: exact / total,
    completionTokens: tokens,
    perProblem,
  };
}

export interface RenderComparison {
  problems: number;
  baseline: number;
  current: number;
  /** current − baseline, mean over problems with its paired bootstrap 95% CI. */
  difference: MeanCI;
  better: number;
  worse: number;
  same: number;
}

/** Paired comparison of two evaluations of the same problems (problems in only one are left out). */
export function compareRender(baseline: RenderEvalResult, current: RenderEvalResult, seed = 0): RenderComparison {
  const iou = (p: RenderEvalResult['perProblem'][number]) => ({ problemId: p.problemId, value: p.iou });
  return pairedValues(baseline.perProblem.map(iou), current.perProblem.map(iou), { seed, tie: 1e-12 });
}
