/**
 * Value / Q models and process reward models: the policy's trunk with a tanh value head, regressed
 * to targets in [-1, 1] at the last token of each state (the prompt plus the steps so far, as the
 * policy sees it; the same place src/models' EmbeddedValueModel reads).
 *
 * Targets come from
 *  - MCTS traces (src/data step labels): a node's backed-up q (`target: q`, x1's Q model: MSE to
 *    backed-up q), or +1/-1 by whether its subtree reaches a correct answer (`target: outcome`, the
 *    blueprint's outcome-driven PRM labels);
 *  - rollouts of the policy (x1 phase 1): every prefix of a sampled solution is labelled +1 when
 *    the solution ends correct and -1 otherwise (a Monte Carlo estimate of Q).
 * A tenth of the states (by problem) is held out to report validation MSE and sign accuracy.
 */
import { Rng, inputError, logger } from '../core/index.js';
import { EOS, LlamaModel, PAD, type Tokenizer, Trainer, initEngine } from '../engine/index.js';
import { loadTraces, toStepLabels } from '../data/index.js';
import type { Problem, Task } from '../tasks/types.js';
import { adamwFrom, roundMetrics, scheduleFrom, StepTimer } from './common.js';
import { valueRegressionLoss } from './losses.js';
import type { LoadedModel } from './models.js';
import type { ValueSection } from './recipe.js';
import type { RewardFn } from './rewards.js';
import type { TrainingRun } from './run.js';
import { makeSampler } from './rollout-sampler.js';
import { promptIds } from './sequences.js';

export interface ValueExample {
  problem: Problem;
  steps: string[];
  /** Target in [-1, 1]. */
  target: number;
}

export interface ValuePhaseInput {
  run: TrainingRun;
  phase: string;
  task: Task<Problem>;
  examples: readonly ValueExample[];
  /** A model with a value head. */
  start: LoadedModel;
  value: ValueSection;
  kind: 'value' | 'prm';
  seed: number;
  checkpointEvery: number;
}

export interface ValueResult {
  checkpoint: string;
  steps: number;
  examples: number;
  valMse: number | null;
  valSignAccuracy: number | null;
}

/** Step labels of MCTS traces as value targets: backed-up q, or +1/-1 outcome labels. */
export function valueExamplesFromTraces(dir: string, target: 'q' | 'outcome', minVisits: number): ValueExample[] {
  const labels = toStepLabels(loadTraces(dir), { minVisits });
  const out: ValueExample[] = [];
  for (const l of labels) {
    const t = target === 'q' ? l.q : l.label ? 1 : -1;
    if (t === null) continue;
    out.push({ problem: l.problem as Problem, steps: l.steps, target: Math.max(-1, Math.min(1, t)) });
  }
  if (out.length === 0)
    throw inputError(
      `${dir}: the traces give no ${target === 'q' ? 'backed-up q values' : 'step labels'} to learn from`,
      target === 'q' ? 'use MCTS traces, or value.target: outcome' : 'use traces whose terminal nodes were checked',
    );
  return out;
}

/**
 * Monte Carlo Q labels from the policy's own rollouts: `perProblem` sampled solutions per problem,
 * each prefix state labelled +1 when the solution is correct and -1 otherwise; duplicates of a
 * (problem, prefix) state are averaged.
 */
export async function valueExamplesFromRollouts(
  policy: LoadedModel,
  task: Task<Problem>,
  problems: readonly Problem[],
  perProblem: number,
  reward: RewardFn,
  seed: number,
  maxNewTokens: number,
  backend: 'onnx' | 'jax' = 'onnx',
): Promise<ValueExample[]> {
  const tok = policy.tokenizer;
  const rows: number[][] = [];
  const owners: Problem[] = [];
  for (const p of problems)
    for (let j = 0; j < perProblem; j++) {
      rows.push(promptIds(tok, task, p));
      owners.push(p);
    }
  const longest = Math.max(...rows.map((r) => r.length));
  const maxNew = Math.max(1, Math.min(maxNewTokens, policy.config.maxSeqLen - longest));
  const sampler = await makeSampler(policy.weights, policy.config, backend);
  let res;
  try {
    res = await sampler.sample(rows, { maxNewTokens: maxNew, temperature: 1, seed: new Rng(seed).fork('value.rollouts').nextU32() });
  } finally {
    sampler.dispose();
  }
  const texts = res.map((r) => tok.decode(r.tokens.filter((t) => t !== EOS)));
  const scores = await reward(texts.map((c, i) => ({ problem: owners[i], completion: c, tokens: res[i].tokens.length })));
  const sums = new Map<string, ValueExample & { n: number }>();
  texts.forEach((text, i) => {
    const steps = text
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    const label = scores[i].correct ? 1 : -1;
    for (let k = 1; k <= steps.length; k++) {
      const key = `${owners[i].id}\u0000${steps.slice(0, k).join('\n')}`;
      const e = sums.get(key) ?? { problem: owners[i], steps: steps.slice(0, k), target: 0, n: 0 };
      e.target += label;
      e.n++;
      sums.set(key, e);
    }
  });
  return [...sums.values()].map((e) => ({ problem: e.problem, steps: e.steps, target: e.target / e.n }));
}

/** State tokens plus a trailing pad, so the trainer feeds the state's last token (value read there). */
function stateSequence(tok: Tokenizer, task: Task<Problem>, ex: ValueExample): number[] {
  return [...promptIds(tok, task, ex.problem, ex.steps), PAD];
}

export async function runValuePhase(input: ValuePhaseInput): Promise<ValueResult> {
  const { run, phase, task, value } = input;
  return run.phase(phase, async (ck) => {
    await initEngine();
    if (!input.start.config.valueHead)
      throw inputError(`${phase}: the model has no value head`, 'this is a bug in rlmkit: value models are built with a value head');
    const latest = ck.latest();
    const saved = latest?.models[input.kind];
    const config = saved ? saved.config : input.start.config;
    const tok = input.start.tokenizer;
    const model = LlamaModel.fromHostWeights(saved ? saved.weights : input.start.weights, config);

    // Split by problem: every state of a held-out problem is held out.
    const rng = new Rng(input.seed).fork(`${phase}.split`);
    const ids = [...new Set(input.examples.map((e) => e.problem.id))].sort();
    const heldOut = new Set(rng.shuffle(ids).slice(0, ids.length >= 10 ? Math.floor(ids.length / 10) : 0));
    // States the tokenizer cannot write (e.g. steps of another model in the traces) or that exceed
    // the context are skipped and counted.
    const encoded = input.examples.map((e) => {
      try {
        return { ex: e, seq: stateSequence(tok, task, e) };
      } catch {
        return null;
      }
    });
    const all = encoded.filter((e): e is { ex: ValueExample; seq: number[] } => e !== null && e.seq.length - 1 <= config.maxSeqLen);
    if (all.length < input.examples.length)
      logger.warn(
        `${phase}: skipped ${input.examples.length - all.length} of ${input.examples.length} states (characters outside the vocabulary or longer than the context)`,
      );
    const train = all.filter((e) => !heldOut.has(e.ex.problem.id));
    const val = all.filter((e) => heldOut.has(e.ex.problem.id));
    if (train.length === 0)
      throw inputError(
        `${phase}: no training states (${input.examples.length} examples, ${all.length} fit the context)`,
        'give more traces or problems',
      );
    const seqLen = Math.max(...all.map((e) => e.seq.length - 1));
    const trainer = new Trainer(model, {
      miniBatchRows: value.batch_size,
      seqLen,
      microBatchRows: value.micro_batch_size,
      workers: value.workers,
      lossFn: valueRegressionLoss,
      optimizer: adamwFrom(value.optim),
      schedule: scheduleFrom(value.optim, value.steps),
    });
    if (saved) trainer.loadOptimizerState(saved.optimizer!);
    const batchOf = (items: typeof all) => ({
      tokens: items.map((e) => e.seq.slice(0, -1)),
      targets: items.map((e) => e.seq.slice(1)),
      floats: {
        mask: items.map((e) => {
          const r = new Array<number>(seqLen).fill(0);
          r[e.seq.length - 2] = 1;
          return r;
        }),
        target: items.map((e) => {
          const r = new Array<number>(seqLen).fill(0);
          r[e.seq.length - 2] = e.ex.target;
          return r;
        }),
      },
    });
    const root = new Rng(input.seed).fork(`${phase}.data`);
    const validate = async () => {
      if (val.length === 0) return { mse: null, sign: null };
      // V at the last token of each held-out state, from the onnxruntime graph of the current weights
      const sampler = await makeSampler(model.hostWeights(), config, 'onnx');
      let v: number[];
      try {
        v = await sampler.values!(val.map((e) => e.seq.slice(0, -1)));
      } finally {
        sampler.dispose();
      }
      let se = 0;
      let signOk = 0;
      val.forEach((e, i) => {
        se += (v[i] - e.ex.target) ** 2;
        if (Math.sign(v[i]) === Math.sign(e.ex.target) || (e.ex.target === 0 && Math.abs(v[i]) < 0.5)) signOk++;
      });
      return { mse: se / val.length, sign: signOk / val.length };
    };
    const progress = run.progress(phase, value.steps);
    progress.update(trainer.step);
    let last: { mse: number | null; sign: number | null } = { mse: null, sign: null };
    try {
      while (trainer.step < value.steps) {
        const step = trainer.step;
        const timer = new StepTimer();
        const n = train.length;
        const items: typeof all = [];
        for (let pos = step * value.batch_size; items.length < value.batch_size; pos++) {
          const perm = root.fork(`epoch.${Math.floor(pos / n)}`).shuffle(Array.from({ length: n }, (_, i) => i));
          items.push(train[perm[pos % n]]);
        }
        const r = await timer.time('training', () => trainer.trainStep([batchOf(items)]));
        const isLast = r.step === value.steps;
        if (isLast || r.step % input.checkpointEvery === 0) last = await timer.time('eval', validate);
        if (r.step % run.recipe.log_every === 0 || isLast) {
          run.log(phase, r.step, {
            ...roundMetrics({
              loss: r.loss,
              abs_err: r.metrics.abs_err,
              value_mean: r.metrics.value_mean,
              lr: r.lr,
              grad_norm: r.gradNorm,
              val_mse: isLast || r.step % input.checkpointEvery === 0 ? last.mse : undefined,
              val_sign_accuracy: isLast || r.step % input.checkpointEvery === 0 ? last.sign : undefined,
            }),
            ...timer.record(),
          });
        }
        progress.update(r.step, { loss: +r.loss.toFixed(4) });
        if (r.step % input.checkpointEvery === 0 || isLast)
          ck.save(
            r.step,
            { [input.kind]: { kind: input.kind, model, trainer, tokenizer: tok, extra: { target: value.target } } },
            { val: last },
          );
      }
    } finally {
      progress.stop();
    }
    if (latest && trainer.step >= value.steps && last.mse === null) last = (latest.state.val as typeof last) ?? last;
    const result: ValueResult = {
      checkpoint: ck.latestFile(input.kind)!,
      steps: value.steps,
      examples: input.examples.length,
      valMse: last.mse,
      valSignAccuracy: last.sign,
    };
    trainer.dispose();
    model.dispose();
    return result;
  });
}
