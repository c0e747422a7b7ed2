/**
 * RM-R1's stage 2 as an ordinary RL task: each problem is one candidate solution (the judge
 * prompt), the "answer" the judge gives is its verdict, and the verifiable reward is whether that
 * verdict matches the rule verifier's label (Chen et al. 2025, eq. 6: R = 1 when the predicted
 * preference equals the ground truth, else 0; an unreadable verdict earns nothing). The GRPO loop
 * of src/training/rl.ts runs it unchanged.
 */
import type { Problem, Task, VerifyResult } from '../../tasks/types.js';
import { type Verdict, parseJudgement } from '../../rewards/genrm/index.js';
import type { JudgeCandidate } from './data.js';

export type JudgeProblem = Problem & { data: { prompt: string; label: Verdict } };

export function judgeProblems(cands: readonly JudgeCandidate[], prefix: string): JudgeProblem[] {
  return cands.map((c, i) => ({
    id: `${prefix}/${i}`,
    question: c.prompt,
    answer: c.label,
    data: { prompt: c.prompt, label: c.label },
  }));
}

export function judgeTask(problems: readonly JudgeProblem[], baseTask: string): Task<JudgeProblem> {
  return {
    name: `genrm:${baseTask}`,
    description: `generative judge of ${baseTask} solutions: critique, then verdict Y/N (RM-R1)`,
    splits: ['train'],
    verifierNeedsAnswer: true,
    chatStepStop: [],
    problems: async (o) => (o.limit ? problems.slice(0, o.limit) : [...problems]),
    renderPlain: (p) => p.data.prompt,
    renderChat: (p) => [{ role: 'user', content: p.data.prompt }],
    extractAnswer: (text) => parseJudgement(text).verdict,
    async verify(answer, p): Promise<VerifyResult> {
      if (answer === null) return { correct: false, score: 0, extracted: null, verdict: 'unparseable', details: 'no verdict' };
      const correct = answer === p.data.label;
      return { correct, score: correct ? 1 : 0, extracted: answer, details: `verdict ${answer}, label ${p.data.label}` };
    },
    sameAnswer: (a, b) => a === b,
  };
}
