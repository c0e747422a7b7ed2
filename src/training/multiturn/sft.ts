/**
 * Multi-turn SFT: next-token cross-entropy on the policy tokens of solver episodes only. Each
 * example is the task's solver actions run through the real environment (./rollout.ts
 * `solverTrajectory`), so the observations are the tools' real outputs, in the same token layout
 * as RL rollouts; tool outputs are context, never targets (mask 0). Batches are a pure function of
 * (seed, phase, step), so a resumed run trains on the batches an uninterrupted one does.
 */
import { Rng, inputError } from '../../core/index.js';
import { LlamaModel, Trainer, initEngine } from '../../engine/index.js';
import type { MultiTurnTask } from '../../tasks/multiturn/types.js';
import type { Problem } from '../../tasks/types.js';
import { adamwFrom, roundMetrics, scheduleFrom, StepTimer } from '../common.js';
import { sftLoss } from '../losses.js';
import type { LoadedModel } from '../models.js';
import type { SftSection } from '../recipe.js';
import type { TrainingRun } from '../run.js';
import { tokenRows, toTrainerRows, type Sequence } from '../sequences.js';
import { solverTrajectory } from './rollout.js';
import type { Trajectory } from './trajectory.js';

export interface MultiturnSftInput {
  run: TrainingRun;
  phase: string;
  task: MultiTurnTask;
  problems: readonly Problem[];
  start: LoadedModel;
  sft: SftSection;
  tools: boolean;
  /** Solver strategies and their weights (multiturn.solver_strategies, checked); null: the task's default. */
  strategies?: readonly { name: string; weight: number }[] | null;
  seed: number;
  checkpointEvery: number;
}

/** One strategy drawn by weight (weights checked positive in total by the pipeline). */
function drawStrategy(ws: readonly { name: string; weight: number }[], rng: Rng): string {
  const total = ws.reduce((a, w) => a + w.weight, 0);
  let u = rng.next() * total;
  for (const w of ws) if ((u -= w.weight) < 0) return w.name;
  return ws[ws.length - 1].name;
}

/**
 * Solver episodes, cached by problem id and strategy (environments may run code). With several
 * strategies, each example draws its own, so one problem may appear solved both ways.
 */
export class SolverEpisodes {
  private readonly cache = new Map<string, Promise<Trajectory | null>>();
  constructor(
    private readonly task: MultiTurnTask,
    private readonly input: { start: LoadedModel; tools: boolean; strategies?: readonly { name: string; weight: number }[] | null },
  ) {}
  get(p: Problem, rng: Rng): Promise<Trajectory | null> {
    const ws = this.input.strategies;
    const strategy = ws && ws.length > 0 ? drawStrategy(ws, rng) : undefined;
    const key = strategy === undefined ? p.id : `${p.id}#${strategy}`;
    let t = this.cache.get(key);
    if (!t) {
      const actions = this.task.solveTurns?.(p, rng, { tools: this.input.tools, strategy }) ?? null;
      t = actions
        ? solverTrajectory(this.task, this.input.start.tokenizer, p, actions, { tools: this.input.tools }).then((x) =>
            x.correct ? x : null,
          )
        : Promise.resolve(null);
      this.cache.set(key, t);
    }
    return t;
  }
}

/** Sequences and per-row policy masks (response coordinates) of trajectories. */
export function trajectoryRows(ts: readonly Trajectory[]): { seqs: Sequence[]; cols: number; mask: Float32Array } {
  const seqs = ts.map((t) => ({ ids: t.ids, promptLen: t.promptLen }));
  const cols = Math.max(1, ...ts.map((t) => t.mask.length));
  const mask = new Float32Array(ts.length * cols);
  ts.forEach((t, i) => t.mask.forEach((m, k) => (mask[i * cols + k] = m)));
  return { seqs, cols, mask };
}

export async function runMultiturnSftPhase(input: MultiturnSftInput): Promise<{ checkpoint: string; steps: number; loss: number }> {
  const { run, phase, task, sft } = input;
  if (!task.solveTurns)
    throw inputError(`task ${task.name} has no solver, so multi-turn SFT has no examples`, 'use a task with solveTurns');
  return run.phase(phase, async (ck) => {
    await initEngine();
    const latest = ck.latest();
    const start = latest?.models.policy;
    const config = start ? start.config : input.start.config;
    const model = LlamaModel.fromHostWeights(start ? start.weights : input.start.weights, config);
    const episodes = new SolverEpisodes(task, input);
    const root = new Rng(input.seed).fork(`mt-sft.${phase}`);
    const batch = async (step: number, size: number): Promise<Trajectory[]> => {
      const rng = root.fork(step);
      const out: Trajectory[] = [];
      let longest = 0;
      for (let tries = 0; out.length < size; tries++) {
        if (tries > size * 20) {
          if (longest > config.maxSeqLen)
            throw inputError(
              `${phase}: the solver's episodes of task ${task.name} are up to ${longest} tokens long, more than the context of ${config.maxSeqLen}`,
              'raise model.max_seq_len',
            );
          throw inputError(`task ${task.name}: the solver's episodes fail for the sampled problems`, 'check the task data');
        }
        const t = await episodes.get(rng.pick(input.problems), rng);
        if (t) longest = Math.max(longest, t.ids.length);
        if (t && t.ids.length <= config.maxSeqLen) out.push(t);
      }
      return out;
    };
    const probe = await batch(-1, 64);
    const seqLen = Math.min(config.maxSeqLen, Math.max(...probe.map((t) => t.ids.length - 1)) + 8);
    const trainer = new Trainer(model, {
      miniBatchRows: sft.batch_size,
      seqLen,
      microBatchRows: sft.micro_batch_size,
      workers: sft.workers,
      lossFn: sftLoss,
      optimizer: adamwFrom(sft.optim),
      schedule: scheduleFrom(sft.optim, sft.steps),
    });
    if (latest) trainer.loadOptimizerState(start!.optimizer!);
    const progress = run.progress(phase, sft.steps);
    progress.update(trainer.step);
    let loss = NaN;
    try {
      while (trainer.step < sft.steps) {
        const timer = new StepTimer();
        const ts = (await timer.time('data', () => batch(trainer.step, sft.batch_size))).filter((t) => t.ids.length - 1 <= seqLen);
        const { seqs, cols, mask } = trajectoryRows(ts);
        const r = await timer.time('training', () =>
          trainer.trainStep([{ ...tokenRows(seqs), floats: { mask: toTrainerRows(seqs, mask, cols, seqLen) } }]),
        );
        loss = r.loss;
        if (!Number.isFinite(loss))
          throw inputError(`${phase}: training diverged at step ${r.step} (loss ${loss})`, 'lower the learning rate');
        const policyTokens = ts.reduce((n, t) => n + t.mask.reduce((a, b) => a + b, 0), 0);
        if (r.step % run.recipe.log_every === 0 || r.step === sft.steps) {
          run.log(phase, r.step, {
            ...roundMetrics({
              loss: r.loss,
              lr: r.lr,
              grad_norm: r.gradNorm,
              examples: ts.length,
              policy_tokens: policyTokens,
              env_tokens: ts.reduce((n, t) => n + t.mask.length, 0) - policyTokens,
            }),
            ...timer.record(),
          });
        }
        progress.update(r.step, { loss: +r.loss.toFixed(4) });
        if (r.step % input.checkpointEvery === 0 || r.step === sft.steps)
          ck.save(r.step, { policy: { kind: 'policy', model, trainer, tokenizer: input.start.tokenizer } });
      }
    } finally {
      progress.stop();
    }
    const checkpoint = ck.latestFile('policy')!;
    trainer.dispose();
    model.dispose();
    return { checkpoint, steps: sft.steps, loss };
  });
}
