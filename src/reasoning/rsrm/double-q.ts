/**
 * RSRM's double Q-learning block (Xu et al., "Reinforcement Symbolic Regression Machine", ICLR 2024,
 * §3.2; double Q-learning of van Hasselt 2010). The expression is written token by token in prefix
 * order; a state is the context of the slot being filled (its parent token and which argument it
 * is), an action is the token placed there. Two tables Q_A, Q_B; after each completed expression
 * with reward r (only the last transition is rewarded), one table chosen at random is updated:
 *   Q_A(s,a) ← Q_A(s,a) + α [ r_t + γ Q_B(s', argmax_a' Q_A(s',a')) − Q_A(s,a) ]     (eq. of van Hasselt 2010)
 * which removes the max-operator's over-estimation. The policy that completes expressions
 * (rollouts, expansion order) is a softmax over (Q_A + Q_B)/2.
 */
import type { Rng } from '../../core/rng.js';

export interface Transition {
  state: string;
  action: string;
}

export class DoubleQ {
  private readonly a = new Map<string, number>();
  private readonly b = new Map<string, number>();

  constructor(
    private readonly alpha = 0.1,
    private readonly gamma = 1,
    private readonly temperature = 0.05,
  ) {}

  value(state: string, action: string): number {
    return ((this.a.get(`${state}|${action}`) ?? 0) + (this.b.get(`${state}|${action}`) ?? 0)) / 2;
  }

  /** exp((Q_A + Q_B) / 2τ) for each action, scaled so the largest is 1. */
  weights(state: string, actions: readonly string[]): number[] {
    const v = actions.map((x) => this.value(state, x) / this.temperature);
    const m = Math.max(...v);
    return v.map((x) => Math.exp(x - m));
  }

  /** Softmax-over-Q choice among `actions` (index). */
  choose(state: string, actions: readonly string[], rng: Rng): number {
    return rng.categorical(this.weights(state, actions));
  }

  /** One episode: transitions in order, `nextActions[t]` = the actions legal after transition t. */
  update(episode: readonly Transition[], nextActions: readonly (readonly string[])[], reward: number, rng: Rng): void {
    for (let t = 0; t < episode.length; t++) {
      const [upd, other] = rng.next() < 0.5 ? [this.a, this.b] : [this.b, this.a];
      const { state, action } = episode[t];
      const key = `${state}|${action}`;
      let target: number;
      if (t === episode.length - 1) target = reward;
      else {
        const s2 = episode[t + 1].state;
        let best = '';
        let bestV = -Infinity;
        for (const a2 of nextActions[t]) {
          const v = upd.get(`${s2}|${a2}`) ?? 0;
          if (v > bestV) {
            bestV = v;
            best = a2;
          }
        }
        target = this.gamma * (other.get(`${s2}|${best}`) ?? 0);
      }
      const q = upd.get(key) ?? 0;
      upd.set(key, q + this.alpha * (target - q));
    }
  }
}
