/**
 * The RL loop's per-run options (issue 21) behind one object, so ../rl.ts stays one screen: which
 * problems a step draws (curriculum, multi-task mixture), the step's length stage, NLPO's masking
 * policy, critical-token entropy at checkpoints and the checkpoint the run ends with. Everything
 * a later step needs from the past is in `state()`, which goes into each checkpoint.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Rng } from '../../core/index.js';
import {
  type HostWeights,
  type ModelConfig,
  type SampleResult,
  type Tokenizer,
  loadCheckpoint,
  saveCheckpoint,
} from '../../engine/index.js';
import type { Problem, Task } from '../../tasks/types.js';
import type { RlSection } from '../recipe.js';
import { promptIds } from '../sequences.js';
import { betterEntropy, measureCriticalEntropy } from './critical-entropy.js';
import { ProblemSampler } from './curriculum.js';
import { type Mixture, mixtureCounts } from './mixture.js';
import type { PhaseCheckpoints, TrainedModel } from '../run.js';
import { maskSyncStep, sampleMasked } from './nlpo.js';
import { type Rollout, type StepBatch, rollout } from './steps.js';

/** Rollout limits of a step under rl.length_stages (after the last stage: the run's own). */
export function lengthStage(rl: RlSection, step: number, maxNew: number): { maxNewTokens: number; groupSize: number; stage: number } {
  let until = 0;
  for (const [k, s] of rl.length_stages.entries()) {
    until += s.steps;
    if (step <= until) return { maxNewTokens: Math.min(maxNew, s.max_new_tokens), groupSize: s.group_size ?? rl.group_size, stage: k };
  }
  return { maxNewTokens: maxNew, groupSize: rl.group_size, stage: rl.length_stages.length };
}

interface SavedState {
  curriculum?: unknown;
  nlpoMaskStep?: number;
  entropyBest?: { step: number; value: number; file: string } | null;
}

export class RlLoopOptions {
  readonly sampler: ProblemSampler;
  /** NLPO: the masking policy's weights and the step they were copied at. */
  private mask: { weights: HostWeights; step: number } | null = null;
  private best: { step: number; value: number; file: string } | null = null;

  readonly problems: readonly Problem[];
  readonly mixture: Mixture | null;
  constructor(
    readonly rl: RlSection,
    readonly run: { task: Task<Problem>; problems: readonly Problem[]; evalProblems: readonly Problem[]; mixture?: Mixture },
    /** The policy's shape and the run's response limit. */
    readonly policy: { config: ModelConfig; tok: Tokenizer; maxNew: number },
  ) {
    this.problems = run.problems;
    this.mixture = run.mixture ?? null;
    this.sampler = new ProblemSampler(this.problems, rl.curriculum);
  }

  /**
   * 1. rollout under the options: the step's length stage, and NLPO's masked sampling when set
   * (else the plain sampler of ./steps.ts).
   */
  async rollout(
    step: number,
    weights: () => HostWeights,
    batch: StepBatch,
    seed: number,
  ): Promise<{ samples: SampleResult[]; metrics: Record<string, number> }> {
    const { rl } = this;
    const { config } = this.policy;
    const o = {
      maxNewTokens: lengthStage(rl, step, this.policy.maxNew).maxNewTokens,
      temperature: rl.rollout.behaviour_temperature ?? rl.rollout.temperature,
      seed,
    };
    if (!rl.nlpo)
      return {
        samples: await rollout(weights(), config, batch, { ...o, backend: rl.rollout.backend, topP: rl.rollout.top_p }),
        metrics: {},
      };
    const mask = this.maskWeights(step, weights);
    const r = await sampleMasked({ weights: weights(), config }, { weights: mask, config }, batch.rows, { ...o, topP: rl.nlpo.top_p });
    return { samples: r.samples, metrics: { nlpo_off_mask_mass: r.offMaskMass } };
  }

  /** Saves a checkpoint with the options' state (and NLPO's masking policy beside it). */
  save(ck: PhaseCheckpoints, step: number, models: Record<string, TrainedModel>, state: Record<string, unknown>): void {
    this.beforeSave(ck.dir);
    ck.save(step, models, { ...state, ...this.state() });
    this.afterSave(ck.dir);
  }

  /** Restores what the checkpoint in `dir` saved (pass rates, NLPO's masking policy, the selected checkpoint). */
  load(state: Record<string, unknown>, dir: string): void {
    const s = state as SavedState;
    this.sampler.load(s.curriculum);
    if (this.rl.nlpo && typeof s.nlpoMaskStep === 'number')
      this.mask = { weights: loadCheckpoint(path.join(dir, maskFile(s.nlpoMaskStep))).weights, step: s.nlpoMaskStep };
    this.best = s.entropyBest ?? null;
  }

  /** Before a checkpoint: the masking policy's weights beside it (its file is named by its sync step). */
  private beforeSave(dir: string): void {
    const { config, tok } = this.policy;
    if (!this.mask) return;
    const file = path.join(dir, maskFile(this.mask.step));
    if (!fs.existsSync(file))
      saveCheckpoint(
        file,
        { kind: 'policy', config, tokenizer: tok.spec(), step: this.mask.step, extra: { bos: true, nlpo_mask: true } },
        this.mask.weights,
      );
  }

  /** After the checkpoint pointer moved: files no checkpoint names any more go. */
  private afterSave(dir: string): void {
    const keep = new Set([this.mask ? maskFile(this.mask.step) : '', this.best?.file ?? '']);
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : [])
      if (/^nlpo-mask-step-\d+\.safetensors$/.test(f) && !keep.has(f)) fs.rmSync(path.join(dir, f), { force: true });
    const sel = path.join(dir, 'selected');
    for (const f of fs.existsSync(sel) ? fs.readdirSync(sel) : []) if (!keep.has(f)) fs.rmSync(path.join(sel, f), { force: true });
  }

  private state(): Record<string, unknown> {
    return {
      ...(this.sampler.state() !== null ? { curriculum: this.sampler.state() } : {}),
      ...(this.mask ? { nlpoMaskStep: this.mask.step } : {}),
      ...(this.rl.select_checkpoint === 'entropy' ? { entropyBest: this.best } : {}),
    };
  }

  /** The step's problems: with a mixture, slot counts per task by weight, then the curriculum within each task. */
  pick(step: number, rng: Rng): Problem[] {
    const n = this.rl.prompts_per_step;
    if (!this.mixture)
      return this.sampler.pick(allIndices(this.problems.length), n, step, rng.fork('problems')).map((i) => this.problems[i]);
    const counts = mixtureCounts(this.mixture.weights, n, rng.fork('mixture'));
    const out: Problem[] = [];
    counts.forEach((c, t) => {
      const pool = this.mixture!.taskOf.flatMap((x, i) => (x === t ? [i] : []));
      out.push(...this.sampler.pick(pool, c, step, rng.fork(`problems.${t}`)).map((i) => this.problems[i]));
    });
    return out;
  }

  /** After scoring: each drawn problem's share of correct samples feeds the curriculum. */
  observe(batch: StepBatch, all: readonly Rollout[]): void {
    const index = new Map(this.problems.map((p, i) => [p, i]));
    const per = new Map<number, { correct: number; total: number }>();
    all.forEach((r) => {
      const i = index.get(batch.problems[r.group])!;
      const o = per.get(i) ?? { correct: 0, total: 0 };
      o.correct += r.correct ? 1 : 0;
      o.total++;
      per.set(i, o);
    });
    this.sampler.observe([...per].map(([problem, o]) => ({ problem, ...o })));
  }

  /** Per-step metrics of the options (curriculum state, length stage, mixture shares). */
  metrics(step: number, batch: StepBatch, maxNew: number): Record<string, number> {
    const out: Record<string, number> = this.rl.curriculum.name === 'uniform' ? {} : this.sampler.metrics(step);
    if (this.rl.length_stages.length) {
      const st = lengthStage(this.rl, step, maxNew);
      Object.assign(out, { length_stage: st.stage, max_new_tokens: st.maxNewTokens, group_size: st.groupSize });
    }
    if (this.mixture) {
      const index = new Map(this.problems.map((p, i) => [p, i]));
      this.mixture.names.forEach((name, t) => {
        out[`mixture_share_${name}`] =
          batch.problems.filter((p) => this.mixture!.taskOf[index.get(p)!] === t).length / batch.problems.length;
      });
    }
    return out;
  }

  /** NLPO: the masking policy for `step`, re-copied from the policy at every sync step. */
  private maskWeights(step: number, policy: () => HostWeights): HostWeights {
    const sync = maskSyncStep(step, this.rl.nlpo!.sync_every);
    if (!this.mask || this.mask.step !== sync) this.mask = { weights: policy(), step: sync };
    return this.mask.weights;
  }

  /** Whether checkpoints measure critical-token entropy. */
  get measuresEntropy(): boolean {
    return this.rl.critical_entropy !== null || this.rl.select_checkpoint === 'entropy';
  }

  /**
   * At a checkpoint: critical-token entropy on held-out prompts (Skywork-R1V3), and under
   * select_checkpoint: entropy a copy of the policy when it is the best so far.
   */
  async atCheckpoint(step: number, weights: HostWeights, dir: string): Promise<Record<string, number>> {
    const want = this.rl.critical_entropy ?? (this.rl.select_checkpoint === 'entropy' ? defaultsCritical : null);
    if (!want) return {};
    const { config, tok, maxNew } = this.policy;
    const on = this.run.evalProblems.length ? this.run.evalProblems : this.problems;
    const prompts = on.slice(0, want.problems).map((p) => promptIds(tok, this.run.task, p));
    const h = await measureCriticalEntropy(weights, config, tok, prompts, maxNew, want.tokens, want.fraction);
    if (this.rl.select_checkpoint === 'entropy' && betterEntropy(h, this.best?.value ?? null, want.prefer)) {
      const file = path.join(dir, 'selected', `policy-step-${step}.safetensors`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      saveCheckpoint(
        file,
        {
          kind: 'policy',
          config,
          tokenizer: tok.spec(),
          step,
          extra: { bos: true, selected_by: 'critical_entropy', critical_entropy: h },
        },
        weights,
      );
      this.best = { step, value: h, file: path.basename(file) };
    }
    return { critical_entropy: h, ...(this.best ? { selected_step: this.best.step } : {}) };
  }

  /** The selected checkpoint file (select_checkpoint: entropy), or null for the last one. */
  selected(dir: string): string | null {
    return this.rl.select_checkpoint === 'entropy' && this.best ? path.join(dir, 'selected', this.best.file) : null;
  }
}

function maskFile(step: number): string {
  return `nlpo-mask-step-${step}.safetensors`;
}

const defaultsCritical = { tokens: 'step_start', fraction: 0.2, problems: 32, prefer: 'high' } as const;

function allIndices(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
