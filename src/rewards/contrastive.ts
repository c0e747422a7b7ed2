/**
 * Contrastive goal rewards over any embedding backend (src/models/embeddings.ts). With s the
 * embedding of what is scored (a completion, a state description; for a VLM embedding server, what
 * it embeds), g of a goal description and b of a baseline description, all L2-normalised:
 *
 * - `clg` (VLM-RL's contrasting language goal, Huang et al. 2024): r = cos(s, g) − cos(s, b);
 * - `projected` (VLM-RM's goal-baseline regularisation, Rocamonde et al. 2023, eq. 2):
 *   r = 1 − ½‖α·proj_L(s) + (1 − α)·s − g‖², proj_L(s) = b + d dᵀ(s − b) the projection on the
 *   line L through b and g (d = (g − b)/‖g − b‖), α ∈ [0, 1]; α = 0 is the plain cosine reward
 *   1 − ½‖s − g‖² = cos(s, g), α = 1 keeps only where s falls along the baseline-to-goal direction.
 */
import type { EmbeddingModel } from '../models/embeddings.js';

export type ContrastiveMode = 'clg' | 'projected';

export function normalize(v: readonly number[]): number[] {
  const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  if (!(n > 0)) throw new Error('cannot normalise a zero embedding');
  return v.map((x) => x / n);
}

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

/** The reward of one state embedding given goal and baseline embeddings (any scale; normalised here). */
export function contrastiveReward(
  state: readonly number[],
  goal: readonly number[],
  baseline: readonly number[],
  o: { mode?: ContrastiveMode; alpha?: number } = {},
): number {
  if (state.length !== goal.length || goal.length !== baseline.length)
    throw new Error(`embedding sizes differ: state ${state.length}, goal ${goal.length}, baseline ${baseline.length}`);
  const s = normalize(state);
  const g = normalize(goal);
  const b = normalize(baseline);
  if ((o.mode ?? 'projected') === 'clg') return dot(s, g) - dot(s, b);
  const alpha = o.alpha ?? 0.5;
  const diff = g.map((x, i) => x - b[i]);
  const dn = Math.sqrt(dot(diff, diff));
  const d = dn > 0 ? diff.map((x) => x / dn) : diff.map(() => 0);
  // proj_L s = b + d dᵀ (s − b): the point of the line through b and g closest to s.
  const along = dot(s, d) - dot(b, d);
  let sq = 0;
  for (let i = 0; i < s.length; i++) {
    const r = alpha * (b[i] + along * d[i]) + (1 - alpha) * s[i] - g[i];
    sq += r * r;
  }
  return 1 - 0.5 * sq;
}

/** Scores texts against a goal and a baseline description; the two descriptions are embedded once. */
export class ContrastiveGoalReward {
  private anchors: Promise<[number[], number[]]> | null = null;

  constructor(
    private readonly embeddings: EmbeddingModel,
    readonly goal: string,
    readonly baseline: string,
    readonly options: { mode?: ContrastiveMode; alpha?: number } = {},
  ) {}

  async score(texts: string[]): Promise<number[]> {
    this.anchors ??= this.embeddings.embed([this.goal, this.baseline]).then((v) => [v[0], v[1]] as [number[], number[]]);
    const [g, b] = await this.anchors;
    const states = await this.embeddings.embed(texts);
    return states.map((s) => contrastiveReward(s, g, b, this.options));
  }
}
