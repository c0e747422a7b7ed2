/**
 * Supervised fine-tuning: next-token cross-entropy on the response (step) tokens only, the prompt
 * masked (or on every token with `loss_on: all`). Examples come from the task's solver (a random
 * training problem and a random correct solution per example, drawn fresh every step; with
 * `sft.augment`, varied by the task's `augment` hook: another number order, auxiliary puzzles), from a
 * JSONL file (src/data's `sft` records, or {prompt, response} text pairs), or from a list a
 * pipeline passes in (ReST's verified samples).
 *
 * The batch of step s is a pure function of (seed, phase, s), so a resumed run trains on exactly
 * the batches an uninterrupted one does.
 */
import { Rng, inputError, logger, readJsonl, usageError } from '../core/index.js';
import { BOS, EOS, LlamaModel, Trainer, type Tokenizer, initEngine } from '../engine/index.js';
import type { AugmentOptions, Problem, Task } from '../tasks/types.js';
import { adamwFrom, roundMetrics, scheduleFrom, StepTimer } from './common.js';
import { sftLoss } from './losses.js';
import type { LoadedModel } from './models.js';
import type { SftSection } from './recipe.js';
import type { TrainingRun } from './run.js';
import { type Sequence, promptIds, responseMaskRows, solutionIds, tokenRows } from './sequences.js';

/** One supervised example: a problem and its steps, or raw prompt/response text. */
export type SftExample = { problem: Problem; steps: string[] } | { prompt: string; response: string };

export interface SftPhaseInput {
  run: TrainingRun;
  phase: string;
  task: Task<Problem>;
  /** Training problems (the solver source draws from these). */
  problems: readonly Problem[];
  start: LoadedModel;
  sft: SftSection;
  seed: number;
  checkpointEvery: number;
  logEvery: number;
  /** Fixed examples (overrides sft.data). */
  examples?: readonly SftExample[];
}

export interface SftResult {
  checkpoint: string;
  steps: number;
  loss: number;
  tokensPerSecond: number;
}

export function encodeExample(tok: Tokenizer, task: Task<Problem>, ex: SftExample): Sequence {
  if ('problem' in ex) {
    const p = promptIds(tok, task, ex.problem);
    return { ids: [...p, ...solutionIds(tok, ex.steps)], promptLen: p.length };
  }
  const p = [BOS, ...tok.encode(ex.prompt)];
  return { ids: [...p, ...tok.encode(ex.response), EOS], promptLen: p.length };
}

/** Reads src/data `sft` records ({problem, steps}) or {prompt, response|completion} pairs. */
export function readSftJsonl(file: string): SftExample[] {
  const rows = readJsonl<Record<string, unknown>>(file);
  const out = rows.map((r, i): SftExample => {
    if (r.problem && typeof r.problem === 'object' && Array.isArray(r.steps))
      return { problem: r.problem as Problem, steps: r.steps as string[] };
    const response = typeof r.response === 'string' ? r.response : typeof r.completion === 'string' ? r.completion : undefined;
    if (typeof r.prompt === 'string' && response !== undefined) return { prompt: r.prompt, response };
    throw inputError(
      `${file}:${i + 1}: expected {"problem": ..., "steps": [...]} (rlmkit data export --format sft) or {"prompt", "response"}`,
      'export SFT data with `rlmkit data export --format sft`',
    );
  });
  if (out.length === 0) throw inputError(`${file} holds no examples`, 'export SFT data with `rlmkit data export --format sft`');
  return out;
}

/** Example source: indices of a fixed list, or fresh solver samples. */
interface ExampleSource {
  batch(step: number, size: number): SftExample[];
}

function listSource(examples: readonly SftExample[], seed: number, phase: string): ExampleSource {
  const root = new Rng(seed).fork(`sft.data.${phase}`);
  const n = examples.length;
  return {
    batch(step, size) {
      // epochs of seeded permutations, back to back: position p of the stream is example perm_e[p mod n]
      const out: SftExample[] = [];
      for (let pos = step * size; out.length < size; pos++) {
        const perm = root.fork(`epoch.${Math.floor(pos / n)}`).shuffle(Array.from({ length: n }, (_, i) => i));
        out.push(examples[perm[pos % n]]);
      }
      return out;
    },
  };
}

/** `sft.augment` as Task.augment options; null when it changes nothing. */
function augmentOptions(a: SftSection['augment']): AugmentOptions | null {
  if (a.shuffle === 0 && a.auxiliary === 0) return null;
  return { shuffle: a.shuffle, auxiliary: a.auxiliary, numberRange: a.number_range, ownTarget: a.own_target, targetRange: a.target_range };
}

function solverSource(
  task: Task<Problem>,
  problems: readonly Problem[],
  seed: number,
  phase: string,
  augment: AugmentOptions | null,
): ExampleSource {
  if (!task.solve)
    throw inputError(
      `task ${task.name} has no solver, so sft.data: solver cannot make examples`,
      'use sft.data: jsonl with exported examples',
    );
  if (problems.length === 0) throw inputError(`task ${task.name} gave no training problems`, 'check task.split and task.limit');
  if (augment && !task.augment)
    throw usageError(
      `task ${task.name} has no augmentation, so sft.augment cannot vary its examples`,
      'remove sft.augment (or set shuffle and auxiliary to 0)',
    );
  const root = new Rng(seed).fork(`sft.solver.${phase}`);
  return {
    batch(step, size) {
      const rng = root.fork(step);
      const out: SftExample[] = [];
      for (let tries = 0; out.length < size; tries++) {
        if (tries > size * 50)
          throw inputError(`task ${task.name}: the solver found no solution for the sampled problems`, 'check the task data');
        const drawn = rng.pick(problems);
        const problem = augment ? task.augment!(drawn, rng, augment) : drawn;
        const steps = task.solve!(problem, rng);
        if (steps && steps.length) out.push({ problem, steps });
      }
      return out;
    },
  };
}

export async function runSftPhase(input: SftPhaseInput): Promise<SftResult> {
  const { run, phase, task, sft } = input;
  return run.phase(phase, async (ck) => {
    await initEngine();
    const latest = ck.latest();
    const start = latest ? latest.models.policy : undefined;
    const tokenizer = input.start.tokenizer;
    const config = start ? start.config : input.start.config;
    const model = LlamaModel.fromHostWeights(start ? start.weights : input.start.weights, config);
    const examples = input.examples ?? (sft.data === 'jsonl' ? readSftJsonl(sft.path!) : undefined);
    const source = examples
      ? listSource(examples, input.seed, phase)
      : solverSource(task, input.problems, input.seed, phase, augmentOptions(sft.augment));

    // A static training length (jit compiles once): the longest of a probe of examples, capped by the context.
    const probe = examples
      ? examples.map((e) => encodeExample(tokenizer, task, e))
      : source.batch(-1, 256).map((e) => encodeExample(tokenizer, task, e));
    const longest = Math.max(...probe.map((s) => s.ids.length - 1));
    if (examples && longest > config.maxSeqLen)
      throw inputError(
        `${phase}: an example is ${longest + 1} tokens long, more than the context ${config.maxSeqLen} + 1`,
        'shorten the data or raise model.max_seq_len',
      );
    const seqLen = Math.min(config.maxSeqLen, examples ? longest : longest + 8);

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
    const progress = run.progress(`${phase}`, sft.steps);
    progress.update(trainer.step);
    let loss = NaN;
    let tokens = 0;
    let seconds = 0;
    let warnedLong = false;
    try {
      while (trainer.step < sft.steps) {
        const step = trainer.step;
        const timer = new StepTimer();
        const seqs = await timer.time('data', () => {
          const batch = source.batch(step, sft.batch_size).map((e) => encodeExample(tokenizer, task, e));
          return batch.filter((s) => s.ids.length - 1 <= seqLen);
        });
        if (seqs.length < sft.batch_size && !warnedLong) {
          warnedLong = true;
          logger.warn(
            `${phase}: examples longer than the training length ${seqLen} are skipped (counted as skipped_long in metrics.jsonl)`,
            { hint: 'raise model.max_seq_len' },
          );
        }
        const r = await timer.time('training', () =>
          trainer.trainStep([{ ...tokenRows(seqs), floats: { mask: responseMaskRows(seqs, seqLen, sft.loss_on === 'all') } }]),
        );
        loss = r.loss;
        if (!Number.isFinite(loss))
          throw inputError(`${phase}: training diverged at step ${r.step} (loss ${loss})`, 'lower the learning rate or raise warmup_steps');
        const stepTokens = seqs.reduce((n, s) => n + s.ids.length - 1, 0);
        tokens += stepTokens;
        seconds += timer.get('training');
        if (r.step % run.recipe.log_every === 0 || r.step === sft.steps) {
          run.log(phase, r.step, {
            ...roundMetrics({
              loss: r.loss,
              lr: r.lr,
              grad_norm: r.gradNorm,
              entropy: r.metrics.entropy,
              examples: seqs.length,
              skipped_long: sft.batch_size - seqs.length,
              train_tokens: stepTokens,
              train_tokens_per_s: stepTokens / Math.max(1e-6, timer.get('training')),
            }),
            ...timer.record(),
          });
        }
        progress.update(r.step, { loss: +r.loss.toFixed(4) });
        if (r.step % input.checkpointEvery === 0 || r.step === sft.steps)
          ck.save(r.step, { policy: { kind: 'policy', model, trainer, tokenizer } });
      }
    } finally {
      progress.stop();
    }
    const checkpoint = ck.latestFile('policy')!;
    trainer.dispose();
    model.dispose();
    return { checkpoint, steps: sft.steps, loss, tokensPerSecond: seconds > 0 ? tokens / seconds : 0 };
  });
}
