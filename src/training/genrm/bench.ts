/**
 * The measurements behind `rlmkit bench genrm` (./measure.ts): a trained judge (and, when given,
 * its stage-1 checkpoint and the ORM trained on the same candidates) on held-out puzzles.
 */
import { inputError, logger, usageError } from '../../core/index.js';
import { loadCheckpoint, tokenizerFromSpec } from '../../engine/index.js';
import { loadValueModel } from '../../models/spec.js';
import { type GenerativeJudge, type Judgement, openGenrmJudge } from '../../rewards/genrm/index.js';
import type { Problem } from '../../tasks/types.js';
import { resolveCheckpoint } from '../models.js';
import { resolveTask } from '../tasks.js';
import { judgeSplit } from './data.js';
import {
  type AgreementReport,
  type BestOfNRow,
  agreement,
  agreementDifference,
  bestOfNTable,
  judgePools,
  ormPools,
  samplePools,
} from './measure.js';

export interface GenrmBenchOptions {
  /** A genrm run directory (its final.json names judge, judge_sft, orm), or null. */
  run: string | null;
  judge: string | null;
  judgeSft: string | null;
  orm: string | null;
  /** The policy whose samples are judged (a .safetensors file). */
  policy: string;
  task: string;
  puzzles: number;
  ns: number[];
  heldOutEvery: number;
  seed: number;
}

export interface GenrmBenchResult {
  task: string;
  puzzles: number;
  candidates_per_puzzle: number;
  correct_share: number;
  judges: Record<string, { checkpoint: string; seconds: number } & AgreementReport>;
  stage2_minus_stage1: ReturnType<typeof agreementDifference> | null;
  best_of_n: BestOfNRow[];
  orm: string | null;
  seconds: { sample: number; total: number };
}

/** A checkpoint given on the command line, else the run's final `kind` (optional kinds: null when the run has none). */
function fromRun(run: string | null, kind: string, given: string | null, optional = true): string | null {
  if (given) return given;
  if (!run) return null;
  try {
    return resolveCheckpoint(run, kind);
  } catch (e) {
    if (optional) {
      logger.warn(`bench genrm: no ${kind} from ${run} (${(e as Error).message}); measuring without it`);
      return null;
    }
    throw e;
  }
}

export async function runGenrmBench(o: GenrmBenchOptions): Promise<GenrmBenchResult> {
  const t0 = performance.now();
  const judgeFile = fromRun(o.run, 'judge', o.judge, false);
  if (!judgeFile) throw usageError('bench genrm needs a judge', 'give --run <genrm run dir> or --judge <checkpoint>');
  const stage1 = fromRun(o.run, 'judge_sft', o.judgeSft);
  const ormFile = fromRun(o.run, 'orm', o.orm);
  if (o.ns.length === 0 || o.ns.some((n) => !Number.isInteger(n) || n < 1)) throw usageError('--n needs whole numbers >= 1, e.g. 4,8,16');
  const maxN = Math.max(...o.ns);
  const task = resolveTask(o.task);
  const held = (await judgeSplit(task, o.heldOutEvery)).heldOut.slice(0, o.puzzles) as Problem[];
  if (held.length === 0) throw inputError(`task ${o.task} has no held-out puzzles`, 'check --task');

  const ck = loadCheckpoint(o.policy);
  const policy = { config: ck.config, weights: ck.weights, tokenizer: tokenizerFromSpec(ck.tokenizer), source: o.policy };
  logger.info(`bench genrm: sampling ${maxN} candidates on each of ${held.length} held-out puzzles`);
  const pools = await samplePools(policy, task, held, maxN, o.seed);
  const tSample = performance.now();

  const judges: GenrmBenchResult['judges'] = {};
  const verdicts: Record<string, Map<string, Judgement>> = {};
  for (const [name, file] of [
    ['stage1', stage1],
    ['stage2', judgeFile],
  ] as const) {
    if (!file) continue;
    const t = performance.now();
    const judge: GenerativeJudge = await openGenrmJudge(`embedded:${file}`, { maxTokens: 96 });
    try {
      logger.info(`bench genrm: judging with ${name} (${file})`);
      verdicts[name] = await judgePools(judge, task, pools);
    } finally {
      await judge.close();
    }
    judges[name] = { checkpoint: file, seconds: (performance.now() - t) / 1000, ...agreement(pools, verdicts[name], o.seed) };
  }
  let ormScores: Map<string, number> | null = null;
  if (ormFile) {
    const orm = await loadValueModel(`embedded:${ormFile}`);
    try {
      ormScores = await ormPools(orm, task, pools);
    } finally {
      await orm.close?.();
    }
  }
  const all = pools.flatMap((p) => p.candidates);
  return {
    task: o.task,
    puzzles: pools.length,
    candidates_per_puzzle: maxN,
    correct_share: all.filter((c) => c.correct).length / Math.max(1, all.length),
    judges,
    stage2_minus_stage1: verdicts.stage1 ? agreementDifference(pools, verdicts.stage1, verdicts.stage2, o.seed) : null,
    best_of_n: bestOfNTable(pools, verdicts.stage2, ormScores, o.ns, o.seed),
    orm: ormFile,
    seconds: { sample: (tSample - t0) / 1000, total: (performance.now() - t0) / 1000 },
  };
}
