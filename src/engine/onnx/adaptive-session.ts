/**
 * Picks onnxruntime's thread count by measurement. On an idle 2-core machine a second intra-op
 * thread speeds up the MatMuls; on a busy one (training beside sampling, other jobs) it is 2-4x
 * slower than one thread, because the threads wait on each other. Results are bitwise identical
 * either way (MLAS splits work by output block, so no sum changes order), so this only decides speed:
 * it keeps one session per thread count, times every run per row-token, uses the faster one, and
 * now and then retries the other so it follows the machine's load (an epsilon-greedy bandit).
 */
import type * as ort from 'onnxruntime-node';

interface Arm {
  session: ort.InferenceSession;
  threads: number;
  /** Exponential moving average of milliseconds per row-token. */
  msPerUnit: number;
  samples: number;
}

/** Retry the slower arm every EXPLORE calls, or RARE calls when it was far slower. */
const EXPLORE = 16;
const RARE = 64;
const ALPHA = 0.2;

export class AdaptiveSession {
  private readonly arms: Arm[];
  private calls = 0;

  /** `now` is the clock (milliseconds); tests pass a fake one. */
  constructor(sessions: { session: ort.InferenceSession; threads: number }[], private readonly now: () => number = () => performance.now()) {
    this.arms = sessions.map((s) => ({ ...s, msPerUnit: 0, samples: 0 }));
  }

  /** Thread count of the arm currently preferred. */
  get threads(): number {
    return this.best().threads;
  }

  private best(): Arm {
    return this.arms.reduce((a, b) => (b.samples > 1 && (a.samples <= 1 || b.msPerUnit < a.msPerUnit) ? b : a));
  }

  private pick(): Arm {
    this.calls++;
    const untried = this.arms.find((a) => a.samples < 3);
    if (untried) return untried;
    const best = this.best();
    if (this.arms.length === 1) return best;
    const other = this.arms.find((a) => a !== best)!;
    const every = other.msPerUnit > 1.5 * best.msPerUnit ? RARE : EXPLORE;
    return this.calls % every === 0 ? other : best;
  }

  /** Runs the chosen session; `fetches` limits the outputs copied back (default: all). */
  async run(feeds: Record<string, ort.Tensor>, units: number, fetches?: string[]): Promise<ort.InferenceSession.ReturnType> {
    const arm = this.pick();
    const t0 = this.now();
    const out = fetches ? await arm.session.run(feeds, fetches) : await arm.session.run(feeds);
    const ms = (this.now() - t0) / Math.max(1, units);
    // The first run of a session plans its memory: too slow to count.
    if (arm.samples === 1) arm.msPerUnit = ms;
    else if (arm.samples > 1) arm.msPerUnit = (1 - ALPHA) * arm.msPerUnit + ALPHA * ms;
    arm.samples++;
    return out;
  }

  async release(): Promise<void> {
    await Promise.all(this.arms.map((a) => a.session.release()));
  }
}
