/** Small pieces every trainer shares: optimiser settings from a recipe section, timers, batching. */
import type { AdamWOptions, ScheduleOptions } from '../engine/index.js';
import type { OptimSection } from './recipe.js';

export function adamwFrom(o: OptimSection): Partial<AdamWOptions> {
  return { lr: o.lr, beta1: o.beta1, beta2: o.beta2, weightDecay: o.weight_decay, clipNorm: o.grad_clip ?? 0 };
}

export function scheduleFrom(o: OptimSection, totalSteps: number): Partial<ScheduleOptions> {
  // A constant schedule is a cosine whose floor is the peak.
  return { warmupSteps: o.warmup_steps, totalSteps, minLrRatio: o.schedule === 'constant' ? 1 : o.min_lr_ratio };
}

/** Wall-clock seconds spent in named parts of a step (rollout, scoring, training, ...). */
export class StepTimer {
  private readonly spans: Record<string, number> = {};
  async time<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.spans[name] = (this.spans[name] ?? 0) + (performance.now() - t0) / 1000;
    }
  }
  get(name: string): number {
    return this.spans[name] ?? 0;
  }
  total(): number {
    return Object.values(this.spans).reduce((a, b) => a + b, 0);
  }
  /** `time_<name>_s` for every span plus `time_step_s`, rounded to ms. */
  record(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.spans)) out[`time_${k}_s`] = +v.toFixed(3);
    out.time_step_s = +this.total().toFixed(3);
    return out;
  }
}

/** Splits `items` into `parts` contiguous chunks of near-equal size (none empty when possible). */
export function chunk<T>(items: readonly T[], parts: number): T[][] {
  const out: T[][] = [];
  const n = Math.max(1, Math.min(parts, items.length));
  for (let i = 0; i < n; i++) out.push(items.slice(Math.floor((i * items.length) / n), Math.floor(((i + 1) * items.length) / n)));
  return out;
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : 0;
}

/** Rounds metrics for metrics.jsonl (6 significant digits keep files small and diffs stable). */
export function roundMetrics(r: Record<string, number | null | undefined>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(r))
    out[k] = v === undefined || v === null || !Number.isFinite(v) ? null : Number.isInteger(v) ? v : +v.toPrecision(6);
  return out;
}
