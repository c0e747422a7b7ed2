/**
 * Policy improvement from a replay buffer of search trees (x1 phase 2). Every expanded node of an
 * MCTS tree whose children carry backed-up q values is a group: the same state, different next
 * steps, each scored by its q (or +1/-1 by whether its subtree reaches a correct answer). GRPO-style
 * group-relative advantages over these siblings drive a PPO-clip update of the step tokens; the
 * importance ratio is taken against the policy that ran the search (the phase's starting weights),
 * which is also the KL reference.
 */
import { Rng, inputError, logger } from '../core/index.js';
import { LlamaModel, initEngine } from '../engine/index.js';
import { type LoadedTrace, TraceTree } from '../data/index.js';
import type { Problem, Task } from '../tasks/types.js';
import { aggregationWeights, computeAdvantages, matrix, type Matrix } from './algos/index.js';
import { chunk, mean, roundMetrics, StepTimer } from './common.js';
import { policyTrainer } from './rl.js';
import type { LoadedModel } from './models.js';
import type { RlSection } from './recipe.js';
import type { TrainingRun } from './run.js';
import { makeSampler } from './rollout-sampler.js';
import { type Sequence, promptIds, stepIds, toTrainerRows, tokenRows } from './sequences.js';

export interface StepGroup {
  problem: Problem;
  prefix: string[];
  children: { step: string; terminal: boolean; score: number }[];
}

/** Sibling groups of the replay buffer's trees (children with a known q or outcome, at least two). */
export function stepGroupsFromTraces(traces: readonly LoadedTrace[]): StepGroup[] {
  const out: StepGroup[] = [];
  for (const { trace } of traces) {
    const tree = new TraceTree(trace);
    for (const node of trace.nodes) {
      const kids = (tree.children.get(node.id) ?? []).filter((k) => k.valid !== false && k.step.trim() !== '');
      const scored = kids
        .map((k) => {
          const outcome = tree.reachesCorrect(k.id);
          const score = k.q ?? (outcome === null ? null : outcome ? 1 : -1);
          return score === null ? null : { step: k.step, terminal: k.terminal, score };
        })
        .filter((c): c is StepGroup['children'][number] => c !== null);
      if (scored.length >= 2) out.push({ problem: trace.problem as Problem, prefix: tree.steps(node.id), children: scored });
    }
  }
  return out;
}

export interface ReplayPolicyResult {
  checkpoint: string;
  steps: number;
  groups: number;
}

export async function runReplayPolicyPhase(input: {
  run: TrainingRun;
  phase: string;
  task: Task<Problem>;
  groups: readonly StepGroup[];
  start: LoadedModel;
  rl: RlSection;
  seed: number;
  checkpointEvery: number;
}): Promise<ReplayPolicyResult> {
  const { run, phase, rl, task } = input;
  return run.phase(phase, async (ck) => {
    await initEngine();
    const tok = input.start.tokenizer;
    const config = input.start.config;
    // Encode every group once; drop children that do not fit the context.
    const encoded = input.groups
      .map((g) => {
        const p = promptIds(tok, task, g.problem, g.prefix);
        const kids = g.children
          .slice(0, rl.group_size)
          .map((c) => ({ seq: { ids: [...p, ...stepIds(tok, c.step, c.terminal)], promptLen: p.length } as Sequence, score: c.score }));
        return kids.filter((k) => k.seq.ids.length - 1 <= config.maxSeqLen);
      })
      .filter((g) => g.length >= 2 && new Set(g.map((k) => k.score)).size > 1); // zero-variance groups carry no signal
    if (encoded.length === 0) {
      // Nothing to learn from (e.g. every sibling set had equal values): keep the policy as it is.
      logger.warn(
        `${phase}: the replay buffer holds no group of sibling steps with different values; the policy is not updated this iteration`,
        { hint: 'run more MCTS simulations or problems per iteration' },
      );
      run.log(phase, 0, { groups: 0, skipped: 1 });
      if (!input.start.source.endsWith('.safetensors'))
        throw inputError(`${phase}: no replay groups and no starting checkpoint`, 'run more MCTS simulations or problems per iteration');
      return { checkpoint: input.start.source, steps: 0, groups: 0 };
    }
    // Behaviour (= reference) log-probs of every step, once, with the policy that ran the search.
    const flat = encoded.flat();
    const behaviour = await makeSampler(input.start.weights, config, 'onnx');
    let lp: number[][];
    try {
      lp = await behaviour.scoreLogprobs(
        flat.map((k) => k.seq.ids),
        flat.map((k) => k.seq.promptLen),
      );
    } finally {
      behaviour.dispose();
    }
    let at = 0;
    const groups = encoded.map((g) => g.map((k) => ({ ...k, logp: lp[at++] })));

    const latest = ck.latest();
    const saved = latest?.models.policy;
    const model = LlamaModel.fromHostWeights(saved ? saved.weights : input.start.weights, config);
    const maxRows = rl.prompts_per_step * rl.group_size;
    const miniBatchRows = Math.ceil(maxRows / rl.mini_batches);
    const seqLen = Math.max(...flat.map((k) => k.seq.ids.length - 1));
    const trainer = policyTrainer(model, rl, miniBatchRows, seqLen);
    if (saved) trainer.loadOptimizerState(saved.optimizer!);
    const startStep = latest ? latest.step : 0;
    const progress = run.progress(phase, rl.steps);
    progress.update(startStep);
    try {
      for (let step = startStep + 1; step <= rl.steps; step++) {
        const timer = new StepTimer();
        const rng = new Rng(input.seed).fork(`${phase}.step.${step}`);
        const picked = rng
          .shuffle(groups.map((_, i) => i))
          .slice(0, rl.prompts_per_step)
          .map((i) => groups[i]);
        const rows = picked.flatMap((g, gi) => g.map((k) => ({ ...k, group: gi })));
        const cols = Math.max(...rows.map((r) => r.seq.ids.length - r.seq.promptLen));
        const mask = matrix(rows.length, cols);
        const rewards = matrix(rows.length, cols);
        const old = matrix(rows.length, cols);
        rows.forEach((r, i) => {
          const n = r.seq.ids.length - r.seq.promptLen;
          mask.data.fill(1, i * cols, i * cols + n);
          rewards.data[i * cols + n - 1] = r.score;
          r.logp.forEach((x, k) => {
            old.data[i * cols + k] = x;
          });
        });
        const adv = computeAdvantages(rl.advantage, {
          tokenRewards: rewards,
          mask,
          groups: rows.map((r) => r.group),
          gamma: rl.gamma,
          lambda: rl.lambda,
        });
        const stats: Record<string, number[]> = {};
        const push = (k: string, v: number | undefined) => {
          if (v !== undefined && Number.isFinite(v)) (stats[k] ??= []).push(v);
        };
        let tokens = 0;
        await timer.time('training', async () => {
          for (let e = 0; e < rl.ppo_epochs; e++) {
            for (const part of chunk(
              rows.map((_, i) => i),
              rl.mini_batches,
            )) {
              const seqs = part.map((i) => rows[i].seq);
              const sub = (m: Matrix) => {
                const o = matrix(part.length, cols);
                part.forEach((r, i) => o.data.set(m.data.subarray(r * cols, (r + 1) * cols), i * cols));
                return o;
              };
              const subMask = sub(mask);
              const w = aggregationWeights(subMask, rl.loss_agg, { normLength: rl.loss_norm_length ?? cols });
              const toRows = (d: Float32Array) => toTrainerRows(seqs, d, cols, seqLen);
              const floats: Record<string, number[][]> = {
                mask: toRows(subMask.data),
                weight: toRows(w),
                adv: toRows(sub(adv.advantages).data),
                old_logp: toRows(sub(old).data),
              };
              if (rl.kl_loss) floats.ref_logp = floats.old_logp;
              const r = await trainer.trainStep([{ ...tokenRows(seqs), floats }]);
              tokens += seqs.reduce((n, s) => n + s.ids.length - 1, 0);
              push('loss', r.loss);
              push('grad_norm', r.gradNorm);
              for (const [k, v] of Object.entries(r.metrics)) push(k, v);
            }
          }
        });
        const wantOptSteps = step * rl.ppo_epochs * rl.mini_batches;
        if (trainer.step < wantOptSteps) trainer.loadOptimizerState({ ...trainer.optimizerState(), step: wantOptSteps });
        const avg = (k: string) => (stats[k] ? mean(stats[k]) : undefined);
        run.log(phase, step, {
          ...roundMetrics({
            groups: picked.length,
            samples: rows.length,
            score_mean: mean(rows.map((r) => r.score)),
            loss: avg('loss'),
            pg_loss: avg('pg_loss'),
            kl: avg('kl'),
            entropy: avg('entropy'),
            clip_frac: avg('clip_frac'),
            approx_kl: avg('approx_kl'),
            grad_norm: avg('grad_norm'),
            train_tokens: tokens,
            train_tokens_per_s: tokens / Math.max(1e-6, timer.get('training')),
          }),
          ...timer.record(),
        });
        progress.update(step);
        if (step % input.checkpointEvery === 0 || step === rl.steps)
          ck.save(step, { policy: { kind: 'policy', model, trainer, tokenizer: tok } });
      }
    } finally {
      progress.stop();
    }
    const result = { checkpoint: ck.latestFile('policy')!, steps: rl.steps, groups: groups.length };
    trainer.dispose();
    model.dispose();
    return result;
  });
}
