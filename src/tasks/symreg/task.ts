/**
 * `symreg-nguyen`: symbolic regression as a task. A problem gives 20 (x, y) samples of one of the
 * Nguyen-1…12 formulas (nguyen.ts); the answer is a formula (infix, e.g. `x*x + sin(y)`, on the
 * last line as `answer: ...` or in <answer>…</answer>); `verify` is exact recovery (verify.ts).
 * The RSRM search (src/reasoning/rsrm) solves it without a model; `rlmkit bench rsrm` measures it.
 */
import type { ChatMessage } from '../../models/types.js';
import type { Problem, Task, VerifyResult } from '../types.js';
import { usageError } from '../../core/errors.js';
import { NGUYEN, nguyenProblem, type SymRegProblemData } from './nguyen.js';
import { checkRecovery, nguyenSpec, sameFunction } from './verify.js';
import { parseInfix } from './expr.js';

export type SymRegProblem = Problem & { data: SymRegProblemData };

function describe(d: SymRegProblemData): string {
  const rows = d.y.map((v, i) => `${d.X.map((c) => c[i].toPrecision(8)).join(', ')} -> ${v.toPrecision(12)}`);
  return `Find a formula f(${d.variables.join(', ')}) using + - * / sin cos exp log and the constant 1 that fits these samples (${d.variables.join(', ')} -> f):\n${rows.join('\n')}`;
}

export const symregNguyenTask: Task<SymRegProblem> = {
  name: 'symreg-nguyen',
  description: 'symbolic regression on Nguyen-1…12 (20 samples each); answer = a formula, checked by exact recovery',
  splits: ['test'],
  verifierNeedsAnswer: true,
  chatStepStop: ['\n'],
  meta: { source: { kind: 'generated' }, verifier: 'exact-recovery', splitSizes: { test: 12 } },
  async problems(o) {
    if (o.split !== 'test') throw usageError(`symreg-nguyen has only the "test" split, not "${o.split}"`);
    const seed = o.seed ?? 0;
    const list = NGUYEN.map((s): SymRegProblem => {
      const data = nguyenProblem(s, seed);
      return { id: `symreg-nguyen/test/${s.name}`, question: describe(data), answer: s.formula, data };
    });
    return o.limit !== undefined ? list.slice(0, o.limit) : list;
  },
  renderPlain(p, steps = []) {
    return `${p.question}\n${steps.map((s) => `${s}\n`).join('')}`;
  },
  renderChat(p, steps = []): ChatMessage[] {
    const msgs: ChatMessage[] = [{ role: 'user', content: `${p.question}\nEnd with the formula as <answer>f</answer>.` }];
    if (steps.length) msgs.push({ role: 'assistant', content: steps.join('\n') });
    return msgs;
  },
  extractAnswer(text) {
    const tag = /<answer>([\s\S]*?)<\/answer>/i.exec(text);
    if (tag) return tag[1].trim() || null;
    const line = /answer:\s*(.+)\s*$/im.exec(text);
    return line ? line[1].trim() || null : null;
  },
  async verify(answer, p): Promise<VerifyResult> {
    if (answer === null) return { correct: false, verdict: 'unparseable', score: 0, extracted: null };
    const spec = nguyenSpec(p.data.name);
    if (!spec) throw usageError(`unknown Nguyen formula ${p.data.name}`);
    try {
      parseInfix(answer, spec.variables);
    } catch (e) {
      return { correct: false, verdict: 'unparseable', score: 0, extracted: answer, details: (e as Error).message };
    }
    const r = checkRecovery(answer, spec);
    return {
      correct: r.recovered,
      verdict: r.recovered ? 'correct' : 'wrong',
      score: r.recovered ? 1 : 0,
      extracted: answer,
      details: `max relative error ${r.maxRelError.toExponential(2)} on ${r.points} held-out points`,
    };
  },
  sameAnswer(a, b, p) {
    const spec = p ? nguyenSpec(p.data.name) : undefined;
    return spec ? sameFunction(a, b, spec) : a.replace(/\s+/g, '') === b.replace(/\s+/g, '');
  },
};
