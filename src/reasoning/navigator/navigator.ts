/**
 * The RL-of-Thoughts navigator (Hao et al. 2025, "RL of Thoughts: Navigating LLM Reasoning with
 * Inference-time Reinforcement Learning"): a tiny network that, at each reasoning step, reads a few
 * features of the problem and the partial solution and picks one logic block (blocks.ts). RLoT's
 * navigator has under 3K parameters; this one is a one-hidden-layer MLP,
 *
 *   h = tanh(W1 x + b1),  π(a | x) = softmax(W2 h + b2),
 *
 * with 12 features, 16 hidden units and 5 blocks: 12·16 + 16 + 16·5 + 5 = 293 parameters.
 *
 * Training (train.ts) is REINFORCE with a baseline (Williams 1992; Sutton & Barto 2018, §13.4):
 * after each episode with return G (1 when the problem was solved within the budget, else 0),
 * every decision (x_t, a_t) moves θ by lr·(G − b(x_t))·∇ log π(a_t | x_t) + lr·β·∇H(π(·|x_t)),
 * b a learned linear function of the state. RLoT trains its navigator with double-dueling DQN;
 * a policy gradient with a state baseline is the simpler choice for episodes this short and a
 * reward only at the end, and the paper's recipe (a small network, features of the state as rated
 * by an evaluator model, logic blocks, the task's outcome as reward) is otherwise kept.
 */
import { Rng } from '../../core/rng.js';

export interface NavigatorWeights {
  inputs: number;
  hidden: number;
  actions: number;
  /** W1 (hidden × inputs), b1, W2 (actions × hidden), b2, flattened in that order. */
  params: number[];
  /** Block names, in action order. */
  blocks: string[];
}

export class Navigator {
  readonly params: Float64Array;

  constructor(
    readonly inputs: number,
    readonly hidden: number,
    readonly blocks: readonly string[],
    params?: ArrayLike<number>,
    seed = 0,
  ) {
    const n = hidden * inputs + hidden + blocks.length * hidden + blocks.length;
    if (params && params.length !== n) throw new Error(`navigator weights have ${params.length} values; expected ${n}`);
    this.params = new Float64Array(n);
    if (params) this.params.set(params);
    else {
      const rng = new Rng(seed).fork('navigator-init');
      const s1 = 1 / Math.sqrt(inputs);
      const s2 = 1 / Math.sqrt(hidden);
      for (let i = 0; i < hidden * inputs; i++) this.params[i] = (rng.next() * 2 - 1) * s1;
      const w2 = hidden * inputs + hidden;
      for (let i = 0; i < blocks.length * hidden; i++) this.params[w2 + i] = (rng.next() * 2 - 1) * s2 * 0.1;
    }
  }

  get actions(): number {
    return this.blocks.length;
  }

  get size(): number {
    return this.params.length;
  }

  private forward(x: readonly number[]): { h: Float64Array; p: Float64Array } {
    const { inputs: I, hidden: H, actions: A, params: P } = this;
    const h = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      let s = P[H * I + j];
      for (let i = 0; i < I; i++) s += P[j * I + i] * x[i];
      h[j] = Math.tanh(s);
    }
    const w2 = H * I + H;
    const b2 = w2 + A * H;
    const z = new Float64Array(A);
    let max = -Infinity;
    for (let a = 0; a < A; a++) {
      let s = P[b2 + a];
      for (let j = 0; j < H; j++) s += P[w2 + a * H + j] * h[j];
      z[a] = s;
      max = Math.max(max, s);
    }
    let sum = 0;
    for (let a = 0; a < A; a++) sum += z[a] = Math.exp(z[a] - max);
    for (let a = 0; a < A; a++) z[a] /= sum;
    return { h, p: z };
  }

  /** π(· | x), masked to the allowed blocks (renormalised). */
  probs(x: readonly number[], allowed?: readonly boolean[]): number[] {
    const { p } = this.forward(x);
    const q = [...p].map((v, a) => (allowed && !allowed[a] ? 0 : v));
    const s = q.reduce((a, b) => a + b, 0);
    return s > 0 ? q.map((v) => v / s) : q.map((_, a) => (allowed?.[a] === false ? 0 : 1 / q.length));
  }

  /** Samples a block (training) or takes the most probable one (evaluation). */
  choose(x: readonly number[], o: { allowed?: readonly boolean[]; sample?: boolean; rng?: { next(): number } } = {}): number {
    const p = this.probs(x, o.allowed);
    if (!o.sample) return p.indexOf(Math.max(...p));
    let u = (o.rng ?? { next: Math.random }).next();
    for (let a = 0; a < p.length; a++) {
      u -= p[a];
      if (u <= 0) return a;
    }
    return p.findLastIndex((v) => v > 0);
  }

  /**
   * Adds to `grad` the gradient of coef·log π(a | x) + entCoef·H(π(·|x)), π masked to `allowed`, by hand:
   * d/dz log π(a) = onehot(a) − p;  d/dz H = −p ⊙ (log p + H).
   */
  accumulate(grad: Float64Array, x: readonly number[], a: number, coef: number, entCoef: number, allowed?: readonly boolean[]): void {
    const { inputs: I, hidden: H, actions: A, params: P } = this;
    const { h, p: raw } = this.forward(x);
    // The choice was made among the allowed blocks: differentiate the renormalised (masked) softmax.
    const p = Float64Array.from(raw, (v, k) => (allowed && !allowed[k] ? 0 : v));
    const mass = p.reduce((u, v) => u + v, 0) || 1;
    for (let k = 0; k < A; k++) p[k] /= mass;
    let ent = 0;
    for (let k = 0; k < A; k++) ent -= p[k] > 0 ? p[k] * Math.log(p[k]) : 0;
    const dz = new Float64Array(A);
    for (let k = 0; k < A; k++) {
      if (allowed && !allowed[k]) continue; // a masked logit does not move the masked distribution
      const lp = p[k] > 0 ? Math.log(p[k]) : 0;
      dz[k] = coef * ((k === a ? 1 : 0) - p[k]) + entCoef * -p[k] * (lp + ent);
    }
    const w2 = H * I + H;
    const b2 = w2 + A * H;
    const dh = new Float64Array(H);
    for (let k = 0; k < A; k++) {
      grad[b2 + k] += dz[k];
      for (let j = 0; j < H; j++) {
        grad[w2 + k * H + j] += dz[k] * h[j];
        dh[j] += dz[k] * P[w2 + k * H + j];
      }
    }
    for (let j = 0; j < H; j++) {
      const ds = dh[j] * (1 - h[j] * h[j]);
      grad[H * I + j] += ds;
      for (let i = 0; i < I; i++) grad[j * I + i] += ds * x[i];
    }
  }

  /** Gradient ascent step with the gradient clipped to norm `clip`. */
  ascend(grad: Float64Array, lr: number, clip = 5): void {
    let norm = 0;
    for (const g of grad) norm += g * g;
    norm = Math.sqrt(norm);
    const scale = norm > clip ? clip / norm : 1;
    for (let i = 0; i < grad.length; i++) this.params[i] += lr * scale * grad[i];
  }

  toJSON(): NavigatorWeights {
    return { inputs: this.inputs, hidden: this.hidden, actions: this.actions, params: [...this.params], blocks: [...this.blocks] };
  }

  static fromJSON(w: NavigatorWeights): Navigator {
    if (!w || !Array.isArray(w.params) || !Array.isArray(w.blocks)) throw new Error('not navigator weights (params, blocks expected)');
    return new Navigator(w.inputs, w.hidden, w.blocks, w.params);
  }
}
