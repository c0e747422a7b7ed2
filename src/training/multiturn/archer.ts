/**
 * ArCHer's utterance-level critic (Zhou, Zanette, Pan, Levine & Kumar 2024, "ArCHer: Training
 * Language Model Agents via Hierarchical Multi-Turn RL", sec. 4): a high-level off-policy critic
 * over turns whose advantages drive a token-level policy gradient.
 *
 * One value-head model (the policy's trunk, a fresh tanh head) reads
 *   V(s_t)      at the last token of the state before turn t (prompt / previous observation), and
 *   Q(s_t, a_t) at the last token of the action a_t.
 * Trained by TD over utterances on a replay buffer of recent episodes (off-policy):
 *   Q loss  (Q(s_t, a_t) - [r_t + gamma * Vbar(s_{t+1})])^2      (eq. 2; Vbar(terminal) = 0)
 *   V loss  (V(s_t) - Qbar(s_t, a_t))^2                          (eq. 3, with the buffer's action
 *           instead of a fresh sample from the current policy: one forward pass less per turn)
 * The target network (Qbar, Vbar) is a hard copy of the critic taken at the start of every RL step
 * (DQN-style periodic update, Mnih et al. 2015) instead of ArCHer's Polyak average, so a run
 * resumed from a checkpoint recomputes it exactly.
 * The actor's advantage for every token of turn t is A_t = Q(s_t, a_t) - V(s_t) (sec. 4.2).
 */
import { PAD, type HostWeights, type ModelConfig } from '../../engine/index.js';
import { valuesAtAllPositions } from '../rollout-sampler.js';
import type { Trajectory } from './trajectory.js';

/** What the replay buffer keeps of an episode. */
export interface ReplayEpisode {
  ids: number[];
  spans: Array<{ stateEnd: number; actionEnd: number }>;
  rewards: number[];
}

export function toReplay(t: Trajectory): ReplayEpisode {
  return { ids: t.ids, spans: t.turnSpans.map((s) => ({ stateEnd: s.stateEnd, actionEnd: s.actionEnd })), rewards: t.turnRewards };
}

/** TD targets of every turn of `eps` under the target critic's values. */
export async function archerTargets(
  target: HostWeights,
  config: ModelConfig,
  eps: readonly ReplayEpisode[],
  gamma: number,
): Promise<Array<{ positions: number[]; targets: number[] }>> {
  if (eps.length === 0) return [];
  const v = await valuesAtAllPositions(
    target,
    config,
    eps.map((e) => e.ids),
  );
  return eps.map((e, i) => {
    const positions: number[] = [];
    const targets: number[] = [];
    e.spans.forEach((s, k) => {
      const next = e.spans[k + 1];
      const vNext = next ? v[i][next.stateEnd] : 0; // Vbar(s_{t+1}); terminal: 0
      positions.push(s.actionEnd);
      targets.push(Math.max(-1, Math.min(1, e.rewards[k] + gamma * vNext)));
      positions.push(s.stateEnd);
      targets.push(v[i][s.actionEnd]); // Qbar(s_t, a_t)
    });
    return { positions, targets };
  });
}

/** Critic training rows: the episode plus a pad (so its last token is fed), targets at their positions. */
export function criticRows(
  eps: readonly ReplayEpisode[],
  targets: ReadonlyArray<{ positions: number[]; targets: number[] }>,
  seqLen: number,
) {
  const tokens = eps.map((e) => [...e.ids, PAD].slice(0, -1));
  return {
    tokens: tokens.map((t) => t.slice(0, seqLen)),
    targets: eps.map((e) => [...e.ids.slice(1), PAD].slice(0, seqLen)),
    floats: {
      mask: targets.map((t) => {
        const r = new Array<number>(seqLen).fill(0);
        t.positions.forEach((p) => {
          if (p < seqLen) r[p] = 1;
        });
        return r;
      }),
      target: targets.map((t) => {
        const r = new Array<number>(seqLen).fill(0);
        t.positions.forEach((p, j) => {
          if (p < seqLen) r[p] = t.targets[j];
        });
        return r;
      }),
    },
  };
}

/** Turn advantages by GAE over turns from V at each state (terminal value 0); see section.ts `actor_advantage`. */
export function turnGae(values: readonly number[], rewards: readonly number[], gamma: number, lambda: number): number[] {
  const out = new Array<number>(values.length).fill(0);
  let next = 0;
  for (let k = values.length - 1; k >= 0; k--) {
    const vNext = k + 1 < values.length ? values[k + 1] : 0;
    const delta = rewards[k] + gamma * vNext - values[k];
    next = delta + gamma * lambda * next;
    out[k] = next;
  }
  return out;
}

/**
 * Per-token advantages on each policy turn (response coordinates): A_t = Q(s_t, a_t) - V(s_t)
 * (ArCHer), or with `gae` GAE over turns from the critic's V(s_t) and the observed turn rewards.
 */
export async function archerAdvantages(
  critic: HostWeights,
  config: ModelConfig,
  ts: readonly Trajectory[],
  cols: number,
  gae?: { gamma: number; lambda: number },
): Promise<{ adv: Float32Array; meanQ: number; meanV: number }> {
  const v = await valuesAtAllPositions(
    critic,
    config,
    ts.map((t) => t.ids),
  );
  const adv = new Float32Array(ts.length * cols);
  let q = 0;
  let vs = 0;
  let n = 0;
  ts.forEach((t, i) => {
    const a = gae
      ? turnGae(
          t.turnSpans.map((s) => v[i][s.stateEnd]),
          t.turnRewards,
          gae.gamma,
          gae.lambda,
        )
      : t.turnSpans.map((s) => v[i][s.actionEnd] - v[i][s.stateEnd]);
    t.turnSpans.forEach((s) => {
      q += v[i][s.actionEnd];
      vs += v[i][s.stateEnd];
      n++;
    });
    t.turn.forEach((k, j) => {
      if (k >= 0 && j < cols) adv[i * cols + j] = a[k];
    });
  });
  return { adv, meanQ: n ? q / n : 0, meanV: n ? vs / n : 0 };
}
