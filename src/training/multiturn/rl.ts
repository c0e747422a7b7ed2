/**
 * RL over multi-turn episodes: GRPO / Dr.GRPO / RLOO / REINFORCE++ (pipeline multiturn-grpo),
 * ArCHer (pipeline archer: ./archer.ts) and MARFT (pipeline marft: several agents).
 *
 * One step:
 *   1. rollout   prompts_per_step problems x group_size episodes (./rollout.ts), token-exact
 *   2. credit    per agent: the sum of that agent's turn rewards is its episode score; group
 *                estimators normalise scores within a problem's group and broadcast the advantage to
 *                that agent's policy tokens (MARFT's per-agent credit; one agent: plain GRPO).
 *                ArCHer instead gives each turn A_t = Q(s_t, a_t) - V(s_t) from its critic.
 *   3. update    PPO-clip on policy tokens only (environment/tool tokens have mask 0, so they carry
 *                no loss, no KL and no entropy term), ppo_epochs x mini_batches per model.
 * Logged per step: reward, success, turns, tool calls, policy and environment tokens, the total of
 * environment steps so far (actions taken: the x axis of sample-efficiency curves), KL, loss; greedy
 * held-out success every eval_every steps.
 *
 * Randomness derives from (seed, phase, step), and everything a step needs from the past (weights,
 * optimiser, ArCHer's replay buffer, step counters) is in the checkpoint, so a run killed and
 * resumed logs what an uninterrupted one logs.
 */
import { Rng, inputError } from '../../core/index.js';
import { LlamaModel, type ModelConfig, Trainer, initEngine } from '../../engine/index.js';
import type { MultiTurnTask } from '../../tasks/multiturn/types.js';
import type { Problem } from '../../tasks/types.js';
import { type Matrix, computeAdvantages, dynamicSampling, matrix } from '../algos/index.js';
import { MismatchCorrection } from '../async/mismatch.js';
import { adamwFrom, mean, roundMetrics, StepTimer } from '../common.js';
import { valueRegressionLoss } from '../losses.js';
import { type LoadedModel, withValueHead } from '../models.js';
import type { RlSection } from '../recipe.js';
import { policyTrainer } from '../rl.js';
import type { TrainedModel, TrainingRun } from '../run.js';
import { makeSampler } from '../rollout-sampler.js';
import { responseMatrix, sampleStepProblems, update } from '../rl/steps.js';
import { type ReplayEpisode, archerAdvantages, archerTargets, criticRows, toReplay } from './archer.js';
import { evaluateEpisodes } from './eval.js';
import { rolloutEpisodes } from './rollout.js';
import type { MultiturnSection } from './section.js';
import { trajectoryRows } from './sft.js';
import type { Trajectory } from './trajectory.js';

export interface MultiturnRlInput {
  run: TrainingRun;
  phase: string;
  task: MultiTurnTask;
  problems: readonly Problem[];
  evalProblems: readonly Problem[];
  /** One starting model per agent (MARFT with separate weights) or one shared. */
  starts: readonly LoadedModel[];
  rl: RlSection;
  mt: MultiturnSection;
  mode: 'group' | 'archer';
  seed: number;
  checkpointEvery: number;
}

export interface MultiturnRlResult {
  checkpoints: string[];
  steps: number;
  evalStart: number | null;
  evalEnd: number | null;
  envSteps: number;
}

/** The problems of a step: the curriculum stage's levels (problem.data.level), then the shared step sampler. */
function pick(problems: readonly Problem[], n: number, rng: Rng, maxLevel: number | null): Problem[] {
  const pool = maxLevel === null ? problems : problems.filter((p) => ((p.data as { level?: number } | undefined)?.level ?? 1) <= maxLevel);
  if (pool.length === 0) throw inputError(`no training problems at curriculum level <= ${maxLevel}`, 'check multiturn.curriculum');
  return sampleStepProblems(pool, n, rng);
}

export function curriculumLevel(mt: MultiturnSection, step: number): number | null {
  let until = 0;
  for (const s of mt.curriculum) {
    until += s.steps;
    if (step <= until) return s.max_level;
  }
  return null; // past the last stage (or no curriculum): every level
}

/** Advantages of one agent's tokens by a group estimator over that agent's episode scores. */
export function agentAdvantages(
  ts: readonly Trajectory[],
  agent: number | null,
  rl: RlSection,
  cols: number,
): { adv: Matrix; mask: Matrix } {
  const mask = matrix(ts.length, cols);
  const tokenRewards = matrix(ts.length, cols);
  ts.forEach((t, i) => {
    let last = -1;
    t.mask.forEach((m, k) => {
      if (m && (agent === null || t.agent[k] === agent)) {
        mask.data[i * cols + k] = 1;
        last = k;
      }
    });
    const score = t.turnSpans.reduce((s, sp, k) => s + (agent === null || sp.agent === agent ? t.turnRewards[k] : 0), 0);
    if (last >= 0) tokenRewards.data[i * cols + last] = score;
  });
  const out = computeAdvantages(rl.advantage, { tokenRewards, mask, groups: ts.map((t) => t.group), gamma: rl.gamma, lambda: rl.lambda });
  return { adv: out.advantages, mask };
}

export async function runMultiturnRlPhase(input: MultiturnRlInput): Promise<MultiturnRlResult> {
  const { run, phase, task, rl, mt } = input;
  return run.phase(phase, async (ck) => {
    await initEngine();
    const latest = ck.latest();
    const nModels = input.starts.length;
    const tok = input.starts[0].tokenizer;
    const models = input.starts.map((s, a) => {
      const saved = latest?.models[`policy${a || ''}`];
      const config: ModelConfig = saved ? saved.config : s.config;
      return { config, model: LlamaModel.fromHostWeights(saved ? saved.weights : s.weights, config), saved };
    });
    const maxSeqLen = Math.min(...models.map((m) => m.config.maxSeqLen));
    const total = rl.prompts_per_step * rl.group_size;
    const rowsPerMini = Math.ceil(total / rl.mini_batches);
    const trainers = models.map((m) => {
      const t = policyTrainer(m.model, rl, rowsPerMini, maxSeqLen - 1, rl.rollout.temperature);
      if (m.saved) t.loadOptimizerState(m.saved.optimizer!);
      return t;
    });
    const corrections = models.map((m) => new MismatchCorrection(m.model, rl, rl.rollout.temperature));
    // the frozen reference policy of each model (KL in the loss)
    const refs = rl.kl_loss ? await Promise.all(input.starts.map((s) => makeSampler(s.weights, s.config, rl.rollout.backend))) : null;
    let critic: { model: LlamaModel; trainer: Trainer; config: ModelConfig } | null = null;
    let replay: ReplayEpisode[] = (latest?.state.replay as ReplayEpisode[] | undefined) ?? [];
    if (input.mode === 'archer') {
      const saved = latest?.models.critic;
      const start = withValueHead(input.starts[0], true, input.seed);
      const config = saved ? saved.config : start.config;
      const model = LlamaModel.fromHostWeights(saved ? saved.weights : start.weights, config);
      const trainer = new Trainer(model, {
        miniBatchRows: mt.archer.critic_batch,
        seqLen: config.maxSeqLen,
        microBatchRows: rl.micro_batch_size,
        workers: rl.workers,
        lossFn: valueRegressionLoss,
        optimizer: adamwFrom({ ...rl.optim, lr: mt.archer.critic_lr, warmup_steps: 0 }),
      });
      if (saved) trainer.loadOptimizerState(saved.optimizer!);
      critic = { model, trainer, config };
    }
    const rollout = {
      tok,
      temperature: rl.rollout.temperature,
      topP: rl.rollout.top_p,
      maxTurnTokens: mt.max_turn_tokens,
      maxSeqLen,
      tools: mt.tools,
    };
    const evalNow = async () =>
      (
        await evaluateEpisodes(
          task,
          input.evalProblems,
          models.map((m) => ({ weights: m.model.hostWeights(), config: m.config })),
          { ...rollout, temperature: 0, backend: rl.rollout.backend },
        )
      ).success; // greedy
    const startStep = latest ? latest.step : 0;
    let envSteps = latest ? Number(latest.state.envSteps ?? 0) : 0;
    let evalStart: number | null = latest ? ((latest.state.evalStart as number | null) ?? null) : null;
    if (startStep === 0 && input.evalProblems.length) {
      evalStart = await evalNow();
      run.log(phase, 0, { eval_success: evalStart, eval_problems: input.evalProblems.length, env_steps: 0 });
    }
    let evalEnd: number | null = latest ? ((latest.state.evalEnd as number | null) ?? null) : evalStart;
    const trainAgents = mt.marft.train_agents ? mt.marft.train_agents.map((n) => task.agents.indexOf(n)) : null;
    const saveAll = (): Record<string, TrainedModel> => {
      const out: Record<string, TrainedModel> = {};
      models.forEach(
        (m, a) =>
          (out[`policy${a || ''}`] = {
            kind: 'policy',
            model: m.model,
            trainer: trainers[a],
            tokenizer: tok,
            extra: nModels > 1 ? { agent: task.agents[a] } : {},
          }),
      );
      if (critic) out.critic = { kind: 'critic', model: critic.model, trainer: critic.trainer, tokenizer: tok };
      return out;
    };
    const progress = run.progress(phase, rl.steps);
    progress.update(startStep);
    try {
      for (let step = startStep + 1; step <= rl.steps; step++) {
        const timer = new StepTimer();
        const rng = new Rng(input.seed).fork(`${phase}.step.${step}`);
        const batch = pick(input.problems, rl.prompts_per_step, rng.fork('problems'), curriculumLevel(mt, step));
        const problems = batch.flatMap((p) => Array.from({ length: rl.group_size }, () => p));
        const groups = batch.flatMap((_, g) => Array.from({ length: rl.group_size }, () => g));
        const ts = await timer.time('rollout', async () => {
          const samplers = await Promise.all(models.map((m) => makeSampler(m.model.hostWeights(), m.config, rl.rollout.backend)));
          try {
            return await rolloutEpisodes(task, problems, groups, { ...rollout, samplers, seed: rng.fork('sample').nextU32() });
          } finally {
            samplers.forEach((s) => s.dispose());
          }
        });
        const actions = ts.reduce((n, t) => n + t.turnSpans.length, 0);
        envSteps += actions;
        const { seqs, cols } = trajectoryRows(ts);
        const oldLogp = responseMatrix(
          ts.map((t) => t.logprobs),
          cols,
        );
        const m: Record<string, number[]> = {};
        const push = (k: string, v: number | undefined) => {
          if (v !== undefined && Number.isFinite(v)) (m[k] ??= []).push(v);
        };

        // ---- 2. credit: per model, advantages on its tokens
        const perModel = await timer.time('credit', async () => {
          if (critic) {
            const snapshot = critic.model.hostWeights(); // the target network of this step
            replay = [...replay, ...ts.map(toReplay)].slice(-mt.archer.replay_episodes);
            for (let u = 0; u < mt.archer.critic_updates; u++) {
              const r = rng.fork(`critic.${u}`);
              const eps = Array.from(
                { length: Math.min(mt.archer.critic_batch, replay.length) },
                () => replay[r.int(0, replay.length - 1)],
              );
              const targets = await archerTargets(snapshot, critic.config, eps, mt.archer.gamma);
              const res = await critic.trainer.trainStep([criticRows(eps, targets, critic.config.maxSeqLen)]);
              push('critic_loss', res.loss);
              push('critic_abs_err', res.metrics.abs_err);
            }
            const mask = matrix(ts.length, cols);
            ts.forEach((t, i) => t.mask.forEach((x, k) => (mask.data[i * cols + k] = x)));
            const a = await archerAdvantages(
              critic.model.hostWeights(),
              critic.config,
              ts,
              cols,
              mt.archer.actor_advantage === 'gae' ? { gamma: mt.archer.gamma, lambda: mt.archer.lambda } : undefined,
            );
            push('q_mean', a.meanQ);
            push('v_mean', a.meanV);
            if (mt.archer.center_advantages) {
              let sum = 0;
              let n = 0;
              for (let k = 0; k < a.adv.length; k++)
                if (mask.data[k]) {
                  sum += a.adv[k];
                  n++;
                }
              for (let k = 0; k < a.adv.length; k++) if (mask.data[k]) a.adv[k] -= sum / Math.max(1, n);
            }
            const warm = step <= mt.archer.warmup_steps;
            return [{ adv: matrix(ts.length, cols, warm ? new Float32Array(ts.length * cols) : a.adv), mask }];
          }
          if (nModels === 1 && task.agents.length > 1) {
            // shared weights: each agent's tokens get that agent's credit, one model learns from all
            const parts = task.agents
              .map((_, a) => agentAdvantages(ts, a, rl, cols))
              .filter((_, a) => !trainAgents || trainAgents.includes(a));
            const adv = matrix(ts.length, cols);
            const mask = matrix(ts.length, cols);
            for (const p of parts)
              for (let k = 0; k < adv.data.length; k++) {
                adv.data[k] += p.adv.data[k];
                mask.data[k] = Math.max(mask.data[k], p.mask.data[k]);
              }
            return [{ adv, mask }];
          }
          return models.map((_, a) => {
            const r = agentAdvantages(ts, nModels === 1 ? null : a, rl, cols);
            // DAPO dynamic sampling (Yu et al. 2025, sec. 3.2): groups whose episodes all scored the
            // same carry no group-relative signal; with dynamic_sampling their rows leave the loss, so
            // token-mean aggregation is not diluted by them.
            const ds = dynamicSampling(
              ts.map((t) => t.reward),
              ts.map((t) => t.group),
            );
            push('zero_variance_share', ds.zeroVarianceShare);
            if (rl.dynamic_sampling) {
              const keep = new Set(ds.keepRows);
              ts.forEach((_, i) => {
                if (!keep.has(i)) r.mask.data.fill(0, i * cols, (i + 1) * cols);
              });
            }
            return r;
          });
        });

        // ---- 3. update each model on its own tokens
        let trainTokens = 0;
        await timer.time('training', async () => {
          for (let a = 0; a < nModels; a++) {
            if (trainAgents && nModels > 1 && !trainAgents.includes(a)) continue;
            const { adv, mask } = perModel[a];
            if (mask.data.every((x) => x === 0) || adv.data.every((x) => x === 0)) continue;
            const refLogp = refs
              ? responseMatrix(
                  await refs[a].scoreLogprobs(
                    ts.map((t) => t.ids),
                    ts.map((t) => t.promptLen),
                  ),
                  cols,
                )
              : null;
            // the single-turn loop's update step (src/training/rl/steps.ts): ppo_epochs x mini_batches,
            // mismatch correction, loss only where mask = 1 (policy tokens of this model's agent)
            const r = await update(
              { seqs, mask, advantages: adv, oldLogp, refLogp },
              { rl, trainer: trainers[a], correction: corrections[a], seqLen: maxSeqLen - 1, normLength: mt.max_turn_tokens },
            );
            trainTokens += r.trainTokens;
            for (const [k, vs] of Object.entries(r.metrics)) for (const v of vs) push(k, v);
          }
        });
        const want = step * rl.ppo_epochs * rl.mini_batches;
        trainers.forEach((t) => {
          if (t.step < want) t.loadOptimizerState({ ...t.optimizerState(), step: want });
        });

        let evalSuccess: number | undefined;
        if (input.evalProblems.length && (step % rl.eval_every === 0 || step === rl.steps)) {
          evalSuccess = await timer.time('eval', evalNow);
          evalEnd = evalSuccess;
        }
        const policyTokens = ts.reduce((n, t) => n + t.mask.reduce((x, y) => x + y, 0), 0);
        const avg = (k: string) => (m[k] ? mean(m[k]) : undefined);
        run.log(phase, step, {
          ...roundMetrics({
            reward: mean(ts.map((t) => t.reward)),
            success: mean(ts.map((t) => (t.correct ? 1 : 0))),
            eval_success: evalSuccess,
            turns: actions / ts.length,
            tool_calls: mean(ts.map((t) => t.toolCalls)),
            truncated_share: mean(ts.map((t) => (t.truncated ? 1 : 0))),
            policy_tokens: policyTokens,
            env_tokens: ts.reduce((n, t) => n + t.mask.length, 0) - policyTokens,
            env_steps: envSteps,
            curriculum_level: curriculumLevel(mt, step) ?? undefined,
            loss: avg('loss'),
            pg_loss: avg('pg_loss'),
            kl: avg('kl'),
            entropy: avg('entropy'),
            clip_frac: avg('clip_frac'),
            grad_norm: avg('grad_norm'),
            critic_loss: avg('critic_loss'),
            critic_abs_err: avg('critic_abs_err'),
            q_mean: avg('q_mean'),
            v_mean: avg('v_mean'),
            zero_variance_share: avg('zero_variance_share'),
            train_tokens: trainTokens,
          }),
          ...timer.record(),
        });
        progress.update(step, { success: +mean(ts.map((t) => (t.correct ? 1 : 0))).toFixed(3) });
        if (step % input.checkpointEvery === 0 || step === rl.steps)
          ck.save(step, saveAll(), { evalStart, evalEnd, envSteps, ...(critic ? { replay } : {}) });
      }
    } finally {
      progress.stop();
      corrections.forEach((c) => c.dispose());
      refs?.forEach((r) => r.dispose());
    }
    const result: MultiturnRlResult = {
      checkpoints: models.map((_, a) => ck.latestFile(`policy${a || ''}`)!),
      steps: rl.steps,
      evalStart,
      evalEnd,
      envSteps,
    };
    trainers.forEach((t) => t.dispose());
    models.forEach((x) => x.model.dispose());
    critic?.trainer.dispose();
    critic?.model.dispose();
    return result;
  });
}
