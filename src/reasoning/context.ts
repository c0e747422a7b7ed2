/**
 * Everything a strategy may touch during one solve: the environment (task + problem), the
 * structure it builds, the models behind a budget meter, a seeded random stream and the operator
 * log (trace-based supervision records every operator, select and backtrack included).
 *
 * Model calls go through `generate`, `values`, `outcome` and `process` here, never to the
 * models directly: this is where budgets are enforced, usage is counted exactly, requests are
 * split into backend-sized batches that run concurrently, and n > 1 is expanded for backends
 * without native n.
 */
import { usageError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { Completion, GenerateOptions, GenerateRequest, Policy, RewardModel, ScoredSolution, ValueModel } from '../models/types.js';
import type { Problem } from '../tasks/types.js';
import { BudgetExhausted, type Meter } from './budget.js';
import type { Environment } from './environment.js';
import { ReasoningGraph, type StructureKind } from './structure.js';
import type { OperatorName, TraceOperator } from './trace.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  return Object.assign(new Error('the request was cancelled'), { name: 'AbortError' });
}

export interface SearchModels {
  policy: Policy;
  /** V(s) / Q(s,a) in [-1, 1]. */
  value?: ValueModel;
  /** Outcome reward model (one score per solution). */
  reward?: RewardModel;
  /** Process reward model (one score per step). */
  prm?: RewardModel;
}

export interface ContextOptions {
  /** Whether the search may consult the reference answer (training data generation only). */
  allowGroundTruth: boolean;
  /** Send `seed` with sampled requests (reproducible; a scheduler then batches per call only). */
  seeded: boolean;
  caller?: string;
  signal?: AbortSignal;
  /** Called after every model call (progress reporting). */
  onModelCall?: () => void;
}

export class SearchContext<P extends Problem = Problem> {
  readonly operators: TraceOperator[] = [];
  readonly checksUsed = new Set<string>();
  graph: ReasoningGraph;
  /** Extra facts a strategy reports in the trace (e.g. the vote table). */
  readonly notes: Record<string, unknown> = {};

  constructor(
    readonly env: Environment<P>,
    /** Swappable: a strategy may route its calls through a batcher for a while (GoT levels). */
    public models: SearchModels,
    readonly meter: Meter,
    readonly rng: Rng,
    readonly options: ContextOptions,
  ) {
    this.graph = new ReasoningGraph('tree');
    if (env.options.ruleCheck && env.task.checkStep) this.checksUsed.add('rule-check');
  }

  /** Starts the structure a strategy builds (the root holds no step). */
  structure(kind: StructureKind): ReasoningGraph {
    this.graph = new ReasoningGraph(kind);
    return this.graph;
  }

  get allowGroundTruth(): boolean {
    return this.options.allowGroundTruth;
  }

  /** Appends one operator application to the trace-based record. */
  record(op: OperatorName, nodes: readonly { id: string }[], produced?: readonly { id: string }[], detail?: Record<string, unknown>): void {
    const entry: TraceOperator = { op, nodes: nodes.map((n) => n.id), t: Math.max(0, this.meter.elapsedMs()) };
    if (produced && produced.length > 0) entry.produced = produced.map((n) => n.id);
    if (detail) entry.detail = detail;
    this.operators.push(entry);
  }

  private promptTokens(r: GenerateRequest): number {
    const count = (t: string) => (this.models.policy.countTokens ? this.models.policy.countTokens(t) : t.length);
    if (typeof r.prompt === 'string') return count(r.prompt);
    // Chat templates add a few tokens per message.
    return (r.messages ?? []).reduce((s, m) => s + count(m.content) + 4, 0);
  }

  /**
   * The signal of one model call: the solve's own (a client that went away) and the time budget.
   * Throws the abort at once when the solve was already cancelled, so a search stops at its next
   * model call even when that call would have been answered from a cache or a model-free policy.
   */
  private signal(): AbortSignal | undefined {
    const own = this.options.signal;
    if (own?.aborted) throw abortReason(own);
    const ms = this.meter.remainingMs();
    const signals: AbortSignal[] = [];
    if (own) signals.push(own);
    // Node's timers hold at most 2^31-1 ms (24.8 days); a longer budget needs no timer.
    if (Number.isFinite(ms) && ms < MAX_TIMER_MS) signals.push(AbortSignal.timeout(Math.max(1, Math.ceil(ms))));
    if (signals.length === 0) return undefined;
    return signals.length === 1 ? signals[0] : AbortSignal.any(signals);
  }

  /**
   * One batched policy call. Returns completions for a prefix of `requests`: all of them when the
   * budget allows, fewer when only some fit (throws BudgetExhausted when none fits).
   */
  async generate(requests: GenerateRequest[], options: GenerateOptions & { maxTokens: number }): Promise<Completion[][]> {
    if (requests.length === 0) return [];
    const signal = this.signal();
    const n = options.n ?? 1;
    const promptTokens = requests.map((r) => this.promptTokens(r)); // tokenised once per request
    const fit = this.meter.fitGenerate(promptTokens, n * options.maxTokens);
    const batch = requests.slice(0, fit);
    const reservation = this.meter.reserve({
      calls: batch.length,
      tokens: promptTokens.slice(0, fit).reduce((s, t) => s + t + n * options.maxTokens, 0),
      completionTokens: batch.length * n * options.maxTokens,
    });
    const policy = this.models.policy;
    const temperature = options.temperature ?? 1;
    const base: GenerateOptions = { ...options, caller: this.options.caller ?? options.caller, signal };
    if (this.options.seeded && temperature > 0) base.seed = this.rng.nextU32() & 0x7fffffff;
    else delete base.seed;
    try {
      // Backends without native n get n copies of each request (distinct seeds keep them distinct).
      const native = n === 1 || policy.capabilities.n;
      const flat: { req: GenerateRequest; owner: number; seedOffset: number }[] = [];
      batch.forEach((req, i) => {
        if (native) flat.push({ req, owner: i, seedOffset: 0 });
        else for (let j = 0; j < n; j++) flat.push({ req, owner: i, seedOffset: j });
      });
      const maxBatch = Math.max(1, policy.capabilities.maxBatch || flat.length);
      const chunks: (typeof flat)[] = [];
      for (let i = 0; i < flat.length; i += maxBatch) chunks.push(flat.slice(i, i + maxBatch));
      const chunkResults = await this.meter.timed(() =>
        Promise.all(
          chunks.map((chunk) => {
            if (native)
              return policy.generate(
                chunk.map((c) => c.req),
                base,
              );
            // Copies of one request are sent with n = 1 and consecutive seeds.
            return Promise.all(
              chunk.map((c) =>
                policy
                  .generate([c.req], { ...base, n: 1, seed: base.seed === undefined ? undefined : base.seed + c.seedOffset })
                  .then((r) => r[0]),
              ),
            );
          }),
        ),
      );
      const out: Completion[][] = batch.map(() => []);
      chunks.forEach((chunk, ci) => chunk.forEach((c, k) => out[c.owner].push(...chunkResults[ci][k])));
      let prompt = 0;
      let completion = 0;
      out.forEach((cs) => {
        if (cs.length === 0) return;
        // The prompt is counted once per request; copies of a request (no native n) each paid it.
        prompt += native ? cs[0].usage.promptTokens : cs.reduce((s, c) => s + c.usage.promptTokens, 0);
        for (const c of cs) completion += c.usage.completionTokens;
      });
      this.meter.recordGenerate(prompt, completion, batch.length);
      this.options.onModelCall?.();
      return out;
    } catch (e) {
      if (this.meter.remainingMs() <= 0 && !(e instanceof BudgetExhausted)) {
        this.meter.exhausted ??= 'budget:time';
        throw new BudgetExhausted('budget:time');
      }
      throw e;
    } finally {
      this.meter.release(reservation);
    }
  }

  private requireModel<T>(model: T | undefined, what: string, flag: string): T {
    if (!model)
      throw usageError(
        `this strategy's settings need a ${what}, but none was given`,
        `pass ${flag} or choose another scorer in the strategy settings`,
      );
    return model;
  }

  /** V(s) for each state text, one value-model call. */
  async values(states: string[]): Promise<number[]> {
    if (states.length === 0) return [];
    const model = this.requireModel(this.models.value, 'value model', '--value <spec>');
    const signal = this.signal();
    this.meter.checkEval(1);
    const r = this.meter.reserve({ evalCalls: 1 });
    try {
      const out = await this.meter.timed(() => model.value(states, { caller: this.options.caller, signal }));
      this.meter.recordEval(1);
      this.options.onModelCall?.();
      return out;
    } finally {
      this.meter.release(r);
    }
  }

  async outcome(solutions: ScoredSolution[]): Promise<number[]> {
    if (solutions.length === 0) return [];
    const model = this.requireModel(this.models.reward, 'outcome reward model', '--reward <spec>');
    this.signal();
    this.meter.checkEval(1);
    const r = this.meter.reserve({ evalCalls: 1 });
    try {
      const out = await this.meter.timed(() => model.outcome(solutions, { caller: this.options.caller }));
      this.meter.recordEval(1);
      return out;
    } finally {
      this.meter.release(r);
    }
  }

  async process(solutions: ScoredSolution[]): Promise<number[][]> {
    if (solutions.length === 0) return [];
    const model = this.requireModel(this.models.prm, 'process reward model', '--prm <spec>');
    this.signal();
    this.meter.checkEval(1);
    const r = this.meter.reserve({ evalCalls: 1 });
    try {
      const out = model.process
        ? await this.meter.timed(() => model.process!(solutions, { caller: this.options.caller }))
        : (await this.meter.timed(() => model.outcome(solutions, { caller: this.options.caller }))).map((s, i) => [
            ...solutions[i].steps.slice(1).map(() => NaN),
            s,
          ]);
      this.meter.recordEval(1);
      return out;
    } finally {
      this.meter.release(r);
    }
  }
}
