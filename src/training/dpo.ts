/**
 * DPO (Rafailov et al. 2023, "Direct Preference Optimization") from preference pairs: src/data's
 * `pairs` records (e.g. mined from search traces: a correct vs a wrong solution, or a step whose
 * subtree succeeds vs a sibling whose subtree fails) or TRL-style {prompt, chosen, rejected} text.
 * The reference policy is the starting policy, frozen; its log-probs are computed once.
 */
import { Rng, inputError, readJsonl } from '../core/index.js';
import { BOS, EOS, LlamaModel, type Tokenizer, Trainer, initEngine } from '../engine/index.js';
import type { Problem, Task } from '../tasks/types.js';
import { adamwFrom, roundMetrics, scheduleFrom, StepTimer } from './common.js';
import { dpoLoss } from './losses.js';
import type { LoadedModel } from './models.js';
import type { z } from 'zod';
import type { DpoSectionSchema } from './recipe.js';
import type { TrainingRun } from './run.js';
import { makeSampler } from './rollout-sampler.js';
import { type Sequence, promptIds, solutionIds, tokenRows } from './sequences.js';

export type DpoSection = z.output<typeof DpoSectionSchema>;

export interface PreferencePair {
  chosen: Sequence;
  rejected: Sequence;
}

/** Reads pairs: src/data `pair` records (rendered with the task) or {prompt, chosen, rejected} text. */
export function readPairs(file: string, tok: Tokenizer, task: Task<Problem>): PreferencePair[] {
  const rows = readJsonl<Record<string, unknown>>(file);
  const out: PreferencePair[] = [];
  rows.forEach((r, i) => {
    const where = `${file}:${i + 1}`;
    try {
      if (r.problem && Array.isArray(r.chosen) && Array.isArray(r.rejected)) {
        const problem = r.problem as Problem;
        const prefix = (r.prefix as string[] | undefined) ?? [];
        const p = promptIds(tok, task, problem, prefix);
        // A step-level side ends with <eos> only if it finishes the solution (task rules decide).
        const side = (steps: string[]) => {
          const final = r.level === 'solution' || (task.checkStep?.(problem, [...prefix, ...steps]).terminal ?? false);
          return { ids: [...p, ...solutionIds(tok, steps, final)], promptLen: p.length };
        };
        out.push({ chosen: side(r.chosen as string[]), rejected: side(r.rejected as string[]) });
      } else if (typeof r.prompt === 'string' && typeof r.chosen === 'string' && typeof r.rejected === 'string') {
        const p = [BOS, ...tok.encode(r.prompt)];
        out.push({
          chosen: { ids: [...p, ...tok.encode(r.chosen), EOS], promptLen: p.length },
          rejected: { ids: [...p, ...tok.encode(r.rejected), EOS], promptLen: p.length },
        });
      } else
        throw inputError(
          `${where}: expected a pair record (rlmkit data export --format pairs) or {"prompt", "chosen", "rejected"}`,
          'export pairs with `rlmkit data export --format pairs`',
        );
    } catch (e) {
      if ((e as { kind?: string }).kind === 'input' && !(e as Error).message.startsWith(where))
        throw inputError(`${where}: ${(e as Error).message}`, (e as { hint?: string }).hint);
      throw e;
    }
  });
  if (out.length === 0) throw inputError(`${file} holds no pairs`, 'export pairs with `rlmkit data export --format pairs`');
  return out;
}

export interface DpoResult {
  checkpoint: string;
  steps: number;
  pairs: number;
  accuracy: number;
}

export async function runDpoPhase(input: {
  run: TrainingRun;
  phase: string;
  task: Task<Problem>;
  start: LoadedModel;
  dpo: DpoSection;
  seed: number;
  checkpointEvery: number;
}): Promise<DpoResult> {
  const { run, phase, dpo } = input;
  return run.phase(phase, async (ck) => {
    await initEngine();
    const tok = input.start.tokenizer;
    const latest = ck.latest();
    const saved = latest?.models.policy;
    const config = saved ? saved.config : input.start.config;
    const pairs = readPairs(dpo.pairs, tok, input.task).filter(
      (p) => Math.max(p.chosen.ids.length, p.rejected.ids.length) - 1 <= config.maxSeqLen,
    );
    if (pairs.length === 0)
      throw inputError(`${dpo.pairs}: no pair fits the context of ${config.maxSeqLen} tokens`, 'use a model with a longer context');
    // Reference log-probs, once, with the frozen starting policy.
    const refSampler = await makeSampler(input.start.weights, input.start.config, 'onnx');
    const sums = async (seqs: Sequence[]) =>
      (
        await refSampler.scoreLogprobs(
          seqs.map((s) => s.ids),
          seqs.map((s) => s.promptLen),
        )
      ).map((lp) => lp.reduce((a, b) => a + b, 0));
    let refChosen: number[];
    let refRejected: number[];
    try {
      refChosen = await sums(pairs.map((p) => p.chosen));
      refRejected = await sums(pairs.map((p) => p.rejected));
    } finally {
      refSampler.dispose();
    }
    const model = LlamaModel.fromHostWeights(saved ? saved.weights : input.start.weights, config);
    const seqLen = Math.max(...pairs.map((p) => Math.max(p.chosen.ids.length, p.rejected.ids.length) - 1));
    const trainer = new Trainer(model, {
      miniBatchRows: 2 * dpo.batch_size,
      seqLen,
      lossFn: dpoLoss(dpo.beta),
      optimizer: adamwFrom(dpo.optim),
      schedule: scheduleFrom(dpo.optim, dpo.steps),
    });
    if (saved) trainer.loadOptimizerState(saved.optimizer!);
    const root = new Rng(input.seed).fork(`${phase}.data`);
    const progress = run.progress(phase, dpo.steps);
    progress.update(trainer.step);
    let accuracy = NaN;
    try {
      while (trainer.step < dpo.steps) {
        const timer = new StepTimer();
        const idx: number[] = [];
        for (let pos = trainer.step * dpo.batch_size; idx.length < dpo.batch_size; pos++) {
          const perm = root.fork(`epoch.${Math.floor(pos / pairs.length)}`).shuffle(Array.from({ length: pairs.length }, (_, i) => i));
          idx.push(perm[pos % pairs.length]);
        }
        const seqs: Sequence[] = idx.flatMap((i) => [pairs[i].chosen, pairs[i].rejected]);
        const sign = seqs.map((s, r) => {
          const row = new Array<number>(seqLen).fill(0);
          for (let j = s.promptLen - 1; j < s.ids.length - 1; j++) row[j] = r % 2 === 0 ? 1 : -1;
          return row;
        });
        const refMargin = idx.flatMap((i) => [refChosen[i] - refRejected[i], 0]);
        const pairWeight = idx.flatMap(() => [1 / idx.length, 0]);
        const r = await timer.time('training', () =>
          trainer.trainStep([{ ...tokenRows(seqs), floats: { sign, ref_margin: refMargin, pair_weight: pairWeight } }]),
        );
        accuracy = r.metrics.accuracy;
        run.log(phase, r.step, {
          ...roundMetrics({
            loss: r.loss,
            reward_margin: r.metrics.reward_margin,
            preference_accuracy: r.metrics.accuracy,
            lr: r.lr,
            grad_norm: r.gradNorm,
          }),
          ...timer.record(),
        });
        progress.update(r.step, { loss: +r.loss.toFixed(4) });
        if (r.step % input.checkpointEvery === 0 || r.step === dpo.steps)
          ck.save(r.step, { policy: { kind: 'policy', model, trainer, tokenizer: tok, extra: { dpo: { beta: dpo.beta } } } });
      }
    } finally {
      progress.stop();
    }
    const result = { checkpoint: ck.latestFile('policy')!, steps: dpo.steps, pairs: pairs.length, accuracy };
    trainer.dispose();
    model.dispose();
    return result;
  });
}
