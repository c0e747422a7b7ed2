/**
 * Generative reward model (RM-R1, Chen et al. 2025): the critique protocol and its teacher
 * (./critique.ts), the judge as an outcome RewardModel (./judge.ts), and the `genrm` reward term's
 * score. Training lives in src/training/genrm.
 */
import { loadPolicy } from '../../models/spec.js';
import { GenerativeJudge, type JudgeOptions } from './judge.js';

export * from './critique.js';
export { GenerativeJudge, verdictProbability, type JudgeOptions, type Judgement } from './judge.js';

/** Opens a judge from a model spec (embedded:<ckpt>, http://..., gguf:...). */
export async function openGenrmJudge(spec: string, o: JudgeOptions = {}): Promise<GenerativeJudge> {
  return new GenerativeJudge(await loadPolicy(spec), o);
}

/** The `genrm` term of one sample: the verdict (1/0) or P(Y); `onUnparseable` when no verdict is readable. */
export async function genrmScore(
  judge: GenerativeJudge,
  policyPrompt: string,
  steps: readonly string[],
  t: { score: 'verdict' | 'probability'; onUnparseable: number },
): Promise<number> {
  const [j] = await judge.judge([{ prompt: policyPrompt, steps: [...steps] }]);
  if (j.verdict === null) return t.onUnparseable;
  if (t.score === 'probability') return j.score;
  return j.verdict === 'correct' ? 1 : 0;
}
