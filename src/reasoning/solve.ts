/**
 * The entry points: `solve` runs one strategy on one problem; `solveMany` runs many problems at
 * once so that model calls from different searches share batches. Both return the answer, its
 * correctness (checked after the search, never by it unless ground truth is allowed), exact usage,
 * the stop reason and, on request, the trace.
 */
import { Rng } from '../core/rng.js';
import type { Problem, PromptStyle, Task, VerifyResult } from '../tasks/types.js';
import { type Budget, isBudgetExhausted, Meter, parseBudget } from './budget.js';
import { SearchContext, type SearchModels } from './context.js';
import { Environment } from './environment.js';
import { isProblemAware } from './legal-policy.js';
import { Lockstep, type LockstepStats } from './lockstep.js';
import type { DegradedScoring } from './operators/evaluate.js';
import { restructureJourney, type JourneyStep } from './operators/restructure.js';
import { checkSpecificationVersion } from '../models/interface-version.js';
import { getStrategy, parseSettings } from './strategies/index.js';
import type { Strategy, StrategyResult } from './strategy.js';
import type { ReasoningGraph, ReasoningNode } from './structure.js';
import { buildTrace } from './tracer.js';
import type { Trace, TraceUsage } from './trace.js';

export interface SolveOptions<P extends Problem = Problem> {
  task: Task<P>;
  strategy: string | Strategy;
  /** Raw settings; validated against the strategy's schema (defaults filled in). */
  settings?: Record<string, unknown>;
  models: SearchModels;
  budget?: Budget;
  seed?: number;
  /** Prompt style; auto = chat when the policy supports chat, else plain. */
  style?: PromptStyle | 'auto';
  /** Training-data generation only: let the search consult the reference answer. */
  allowGroundTruth?: boolean;
  /** Build the trace (default true). */
  trace?: boolean;
  /** Linearise the explored tree along the final path (Journey Learning) into trace notes. */
  journey?: boolean;
  /** Send seeds with sampled requests (default true). */
  seeded?: boolean;
  caller?: string;
  signal?: AbortSignal;
  /** Verify terminal nodes after the search to fill `correct` in the trace: at most this many distinct answers (default 64; verifiers that run code are slow). */
  markCorrectLimit?: number;
  /** Progress after model calls (at most every `progressEveryMs`, default 250). */
  onProgress?: (p: SolveProgress) => void;
  progressEveryMs?: number;
}

export interface SolveProgress {
  problemId: string;
  strategy: string;
  nodes: number;
  calls: number;
  evalCalls: number;
  tokens: number;
  elapsedMs: number;
}

export interface SolveResult {
  problemId: string;
  answer: string | null;
  /** task.verify on the final answer after the search; null when it cannot be checked. */
  correct: boolean | null;
  verification: VerifyResult | null;
  stopReason: string;
  usage: TraceUsage;
  settings: Record<string, unknown>;
  graph: ReasoningGraph;
  node: ReasoningNode | null;
  journey?: JourneyStep[];
  trace?: Trace;
  /** Scorers that left nodes unscored during the search (operators/evaluate.ts); absent when none did. */
  degraded?: DegradedScoring[];
}

function chooseStyle(o: SolveOptions<any>): PromptStyle {
  if (o.style && o.style !== 'auto') return o.style;
  return o.models.policy.capabilities.chat ? 'chat' : 'plain';
}

/** Refuses a model that implements another version of the model interface (models/interface-version.ts). */
function checkModelVersions(m: SearchModels): void {
  checkSpecificationVersion(m.policy, 'policy');
  if (m.value) checkSpecificationVersion(m.value, 'value model');
  if (m.reward) checkSpecificationVersion(m.reward, 'reward model');
  if (m.prm) checkSpecificationVersion(m.prm, 'process reward model');
}

export async function solve<P extends Problem>(problem: P, o: SolveOptions<P>): Promise<SolveResult> {
  checkModelVersions(o.models);
  const strategy = typeof o.strategy === 'string' ? getStrategy(o.strategy) : o.strategy;
  const settings = parseSettings(strategy, o.settings ?? {}) as Record<string, any>;
  const budget = parseBudget(o.budget);
  if (isProblemAware(o.models.policy)) o.models.policy.attach(o.task, problem);
  const env = new Environment(o.task, problem, {
    style: chooseStyle(o),
    maxDepth: settings.maxDepth,
    stepMaxTokens: settings.stepMaxTokens,
    ruleCheck: settings.ruleCheck,
  });
  const meter = new Meter(budget);
  const rng = new Rng(o.seed ?? 0).fork(`solve:${problem.id}`);
  let lastProgress = -Infinity;
  const onModelCall = o.onProgress
    ? () => {
        const now = meter.elapsedMs();
        if (now - lastProgress < (o.progressEveryMs ?? 250)) return;
        lastProgress = now;
        const u = meter.usage;
        o.onProgress!({
          problemId: problem.id,
          strategy: strategy.name,
          nodes: ctx.graph.nodes.length,
          calls: u.calls,
          evalCalls: u.evalCalls,
          tokens: u.promptTokens + u.completionTokens,
          elapsedMs: Math.round(now),
        });
      }
    : undefined;
  const ctx: SearchContext = new SearchContext(env, o.models, meter, rng, {
    allowGroundTruth: o.allowGroundTruth ?? false,
    seeded: o.seeded ?? true,
    caller: o.caller,
    signal: o.signal,
    onModelCall,
  });
  let result: StrategyResult;
  let stopReason = 'done';
  try {
    result = await strategy.run(ctx, settings);
    if (meter.exhausted) stopReason = meter.exhausted;
  } catch (e) {
    if (!isBudgetExhausted(e)) throw e;
    stopReason = e.reason;
    result = strategy.best ? strategy.best(ctx, settings) : { node: null, answer: null };
  }
  const usage = meter.finish();
  const verification = await checkAnswer(o.task, problem, result.answer);
  if (result.node && result.node.terminal) result.node.correct = verification?.correct ?? null;
  await markTerminals(ctx, o.markCorrectLimit ?? 64);
  let journey: JourneyStep[] | undefined;
  if (o.journey && result.node) journey = restructureJourney(ctx, ctx.graph.pathTo(result.node));
  const out: SolveResult = {
    problemId: problem.id,
    answer: result.answer,
    correct: verification?.correct ?? null,
    verification,
    stopReason,
    usage,
    settings,
    graph: ctx.graph,
    node: result.node,
  };
  if (journey) out.journey = journey;
  if (Array.isArray(ctx.notes.degraded) && ctx.notes.degraded.length > 0) out.degraded = ctx.notes.degraded as DegradedScoring[];
  if (o.trace ?? true) {
    out.trace = buildTrace({
      task: o.task.name,
      problem,
      strategy: { name: strategy.name, settings },
      models: {
        policy: o.models.policy.id,
        ...(o.models.value ? { value: o.models.value.id } : {}),
        ...((o.models.reward ?? o.models.prm) ? { reward: (o.models.reward ?? o.models.prm)!.id } : {}),
      },
      graph: ctx.graph,
      operators: ctx.operators,
      usage,
      usedGroundTruth: ctx.allowGroundTruth,
      checksUsed: [...ctx.checksUsed],
      final: { node: result.node, answer: result.answer, correct: out.correct, stopReason },
      notes: ctx.notes,
    });
  }
  return out;
}

/** Post-hoc check of the final answer; null when the task needs a reference the problem lacks. */
async function checkAnswer<P extends Problem>(task: Task<P>, problem: P, answer: string | null): Promise<VerifyResult | null> {
  if (task.verifierNeedsAnswer && problem.answer === undefined) return null;
  return task.verify(answer, problem);
}

/** Fills `correct` on terminal nodes (for traces and datasets), after the search. */
async function markTerminals(ctx: SearchContext, limit: number): Promise<void> {
  const task = ctx.env.task;
  const problem = ctx.env.problem;
  if (task.verifierNeedsAnswer && problem.answer === undefined) return;
  const graphs = [ctx.graph, ...ctx.graph.nodes.filter((n) => n.nested).map((n) => n.nested!)];
  let left = limit;
  const cache = new Map<string, boolean>();
  for (const g of graphs) {
    for (const n of g.nodes) {
      if (!n.terminal || n.correct !== null || left <= 0) continue;
      if (n.answer === null) {
        n.correct = false;
        continue;
      }
      let c = cache.get(n.answer);
      if (c === undefined) {
        left--;
        c = (await task.verify(n.answer, problem)).correct;
        cache.set(n.answer, c);
      }
      n.correct = c;
    }
  }
}

export interface SolveManyOptions<P extends Problem = Problem> extends SolveOptions<P> {
  /**
   * lockstep (default): merge model calls of all running problems into shared batches, with any
   * Policy; concurrent: run the solves at once and let a batching scheduler policy merge calls
   * (sampled requests are sent without seeds so that a scheduler may batch them); sequential:
   * one problem after another.
   */
  batching?: 'lockstep' | 'concurrent' | 'sequential';
  /** Problems in progress at once (default: all). */
  concurrency?: number;
  onResult?: (r: SolveResult, index: number) => void;
}

export interface SolveManyResult {
  results: SolveResult[];
  wallMs: number;
  lockstep?: LockstepStats;
}

/** Solves many problems; results come back in input order. */
export async function solveMany<P extends Problem>(problems: readonly P[], o: SolveManyOptions<P>): Promise<SolveManyResult> {
  const mode = o.batching ?? 'lockstep';
  const started = performance.now();
  const results: SolveResult[] = new Array(problems.length);
  if (mode === 'sequential') {
    for (let i = 0; i < problems.length; i++) {
      results[i] = await solve(problems[i], o);
      o.onResult?.(results[i], i);
    }
    return { results, wallMs: performance.now() - started };
  }
  const lockstep = mode === 'lockstep' ? new Lockstep(o.models) : null;
  const limit = Math.max(1, Math.min(o.concurrency ?? problems.length, problems.length));
  let next = 0;
  const worker = async () => {
    while (next < problems.length) {
      const i = next++;
      if (lockstep) {
        const lane = lockstep.join();
        try {
          results[i] = await solve(problems[i], { ...o, models: lane.models, caller: o.caller ?? `problem:${problems[i].id}` });
        } finally {
          lane.leave();
        }
      } else {
        results[i] = await solve(problems[i], { ...o, seeded: false, caller: o.caller ?? `problem:${problems[i].id}` });
      }
      o.onResult?.(results[i], i);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  const out: SolveManyResult = { results, wallMs: performance.now() - started };
  if (lockstep) out.lockstep = lockstep.stats;
  return out;
}
