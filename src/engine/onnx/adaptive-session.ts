/**
 * Picks onnxruntime's thread count by measurement. On an idle 2-core machine a second intra-op
 * thread speeds up the MatMuls; on a busy one it can be slower (the threads wait on each other and
 * on the scheduler), or faster (two runnable threads get more CPU share), depending on who else
 * runs. Results are bitwise identical either way (MLAS splits work by output block, so no sum
 * changes order), so this only decides speed: it keeps one session per thread count, times every
 * run per row-token, uses the arm with the lowest median of its recent timings, and now and then
 * retries the other so it follows the machine's load (an epsilon-greedy bandit; medians because
 * wall-clock timings on a shared machine have heavy tails).
 *
 * The choice is made separately for runs of different sizes (rows x new tokens): a second thread
 * can only help a run with enough rows to split, while a single-row decode step is a chain of
 * tiny kernels that a second thread only slows down with synchronisation. Mixing the two in one
 * statistic would pick one thread count for both.
 */
import type * as ort from 'onnxruntime-node';

const WINDOW = 9;

interface Arm {
  session: ort.InferenceSession;
  threads: number;
  /** Recent milliseconds per row-token (ring buffer), and how many runs were timed in total. */
  recent: number[];
  /** Median of `recent`, kept up to date as timings arrive (picked from on every run). */
  median: number;
  runs: number;
}

/**
 * Size classes by units (rows x new tokens): upper bounds, the last class is open-ended. Powers of
 * two, because the time per unit falls steeply with the batch: a decode loop whose batch shrinks
 * as rows finish compares the arms on batches of about the same size.
 */
const CLASS_BOUNDS = [2, 4, 8, 16, 32, 64];

function sizeClass(units: number): number {
  let c = 0;
  while (c < CLASS_BOUNDS.length && units >= CLASS_BOUNDS[c]) c++;
  return c;
}

/**
 * Retry the slower arm every EXPLORE calls, RARE calls when it was 1.5x slower, VERY_RARE when 2x
 * (a one-row decode step on two threads of a busy machine is ~2.5x slower: each retry costs).
 */
const EXPLORE = 16;
const RARE = 64;
const VERY_RARE = 256;
/** Runs per arm before the choice is trusted (the first run of a session plans memory: not timed). */
const MIN_RUNS = 4;
/** In the largest size class (runs of milliseconds, whose timings vary little), fewer suffice. */
const MIN_RUNS_LARGE = 2;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

export class AdaptiveSession {
  private readonly sessions: { session: ort.InferenceSession; threads: number }[];
  /** Per size class: the arms' statistics, and the calls made. */
  private readonly classes: { arms: Arm[]; calls: number }[];
  private lastClass = 0;

  /** `now` is the clock (milliseconds); tests pass a fake one. */
  constructor(
    sessions: { session: ort.InferenceSession; threads: number }[],
    private readonly now: () => number = () => performance.now(),
  ) {
    this.sessions = sessions;
    this.classes = Array.from({ length: CLASS_BOUNDS.length + 1 }, () => ({
      arms: sessions.map((s) => ({ ...s, recent: [], median: Infinity, runs: 0 })),
      calls: 0,
    }));
  }

  /** Thread count of the arm currently preferred for runs the size of the last one. */
  get threads(): number {
    return this.best(this.classes[this.lastClass].arms).threads;
  }

  /** Thread count preferred for a run of `units` rows x new tokens. */
  threadsFor(units: number): number {
    return this.best(this.classes[sizeClass(units)].arms).threads;
  }

  private best(arms: Arm[]): Arm {
    const timed = arms.filter((a) => a.recent.length > 0);
    if (timed.length === 0) return arms[0];
    return timed.reduce((a, b) => (b.median < a.median ? b : a));
  }

  private pick(units: number): Arm {
    this.lastClass = sizeClass(units);
    const cls = this.classes[this.lastClass];
    cls.calls++;
    // Arms take turns until each has its first MIN_RUNS runs (one after another, a size that
    // occurs only a few times per search, like a big prefill, would never get to the second arm).
    const minRuns = this.lastClass === CLASS_BOUNDS.length ? MIN_RUNS_LARGE : MIN_RUNS;
    const untried = cls.arms.filter((a) => a.runs < minRuns);
    if (untried.length > 0) return untried.reduce((a, b) => (b.runs < a.runs ? b : a));
    const best = this.best(cls.arms);
    if (cls.arms.length === 1) return best;
    const other = cls.arms.find((a) => a !== best)!;
    const every = other.median > 2 * best.median ? VERY_RARE : other.median > 1.5 * best.median ? RARE : EXPLORE;
    return cls.calls % every === 0 ? other : best;
  }

  /** Runs the chosen session; `fetches` limits the outputs copied back (default: all). */
  async run(feeds: Record<string, ort.Tensor>, units: number, fetches?: string[]): Promise<ort.InferenceSession.ReturnType> {
    const arm = this.pick(units);
    const t0 = this.now();
    const out = fetches ? await arm.session.run(feeds, fetches) : await arm.session.run(feeds);
    if (arm.runs > 0) {
      arm.recent.push((this.now() - t0) / Math.max(1, units));
      if (arm.recent.length > WINDOW) arm.recent.shift();
      arm.median = median(arm.recent);
    }
    arm.runs++;
    return out;
  }

  async release(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.session.release()));
  }
}
