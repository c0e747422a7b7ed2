/**
 * A task of your own: problems, prompts, answer extraction, a verifier and a rule check, registered
 * under a name so every strategy, `solveMany`, evaluation and training recipe can use it.
 *
 * "Doubling ladder": start at 1 and reach the target with steps that either add 1 or double, one
 * step per line written as `3*2=6` or `6+1=7`. The rule check recomputes each step from the state
 * (it never trusts the model's arithmetic), so search may use it without an answer key, as with
 * Game of 24. With no trained model for this task, the example searches with the model-free
 * `LegalUniformPolicy`, which samples uniformly among the task's legal steps.
 */
import { getTask, registerTask, solveMany, type Problem, type Task } from 'rlmkit';
import { LegalUniformPolicy } from 'rlmkit/reasoning';

const toy = process.env.RLMKIT_EXAMPLE_SIZE === 'toy';

type LadderProblem = Problem & { data: { target: number } };

/** The number a list of steps has reached, or null when a step breaks the rules. */
function replay(steps: readonly string[]): number | null {
  let x = 1;
  for (const s of steps) {
    const m = /^(\d+)([+*])(\d+)=(\d+)$/.exec(s.trim());
    if (!m || Number(m[1]) !== x) return null;
    const next = m[2] === '+' ? (m[3] === '1' ? x + 1 : NaN) : m[3] === '2' ? x * 2 : NaN;
    if (next !== Number(m[4])) return null;
    x = next;
  }
  return x;
}

const ladder: Task<LadderProblem> = {
  name: 'doubling-ladder',
  description: 'reach the target from 1 with +1 and *2 steps',
  splits: ['train', 'test'],
  verifierNeedsAnswer: false,
  chatStepStop: ['\n'],
  meta: { kind: 'single-turn', source: { kind: 'generated' }, verifier: 'rule-check' },

  async problems({ split, limit }) {
    // Deterministic problems per split; a real task would read a file or use a seeded generator.
    const base = split === 'train' ? 10 : 100;
    const n = limit ?? 50;
    return Array.from({ length: n }, (_, i) => {
      const target = base + 7 * i;
      return { id: `doubling-ladder/${split}/${i}`, question: `Reach ${target} from 1.`, answer: String(target), data: { target } };
    });
  },
  renderPlain: (p, steps = []) => `${p.data.target}|` + steps.map((s) => s + '\n').join(''),
  renderChat: (p, steps = []) => [
    { role: 'user', content: `Start at 1. Each line either adds 1 (x+1=y) or doubles (x*2=y). Reach ${p.data.target}.` },
    ...(steps.length ? [{ role: 'assistant' as const, content: steps.join('\n') + '\n' }] : []),
  ],
  extractAnswer(text) {
    const m = /=(\d+)\s*$/.exec(text.trim());
    return m ? m[1] : null;
  },
  async verify(answer, p) {
    const correct = answer !== null && Number(answer) === p.data.target;
    return { correct, score: correct ? 1 : 0, extracted: answer };
  },
  sameAnswer: (a, b) => Number(a) === Number(b),
  checkStep(p, steps) {
    const x = replay(steps);
    if (x === null) return { valid: false, terminal: false, reason: 'the last step does not follow the rules' };
    if (x > p.data.target) return { valid: false, terminal: false, reason: `overshot the target (${x})` };
    return { valid: true, terminal: x === p.data.target, answer: x === p.data.target ? String(x) : null };
  },
  legalSteps(p, steps) {
    const x = replay(steps);
    if (x === null) return [];
    return [`${x}+1=${x + 1}`, `${x}*2=${x * 2}`].filter((s) => Number(s.split('=')[1]) <= p.data.target);
  },
};

registerTask(ladder);
const task = getTask<LadderProblem>('doubling-ladder');
const problems = await task.problems({ split: 'test', limit: toy ? 3 : 20 });

for (const strategy of ['cot', 'tot-dfs'] as const) {
  const policy = new LegalUniformPolicy(0);
  const { results } = await solveMany(problems, {
    task,
    strategy,
    settings: strategy === 'tot-dfs' ? { k: 2, scorer: 'none', max_depth: 40 } : { decoding: 'sample', max_depth: 40 },
    models: { policy },
    budget: { expansions: 200 },
    seed: 1,
  });
  const solved = results.filter((r) => r.correct).length;
  console.log(
    `${strategy.padEnd(8)} solved ${solved}/${problems.length}, ${results.reduce((s, r) => s + r.usage.expansions, 0)} expansions`,
  );
}
