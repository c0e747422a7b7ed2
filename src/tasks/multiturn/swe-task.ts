/**
 * `swe-repair` / `swe-repair-sim`: SWE-RL-style repair of a generated bug in a short JavaScript
 * function (Wei et al. 2025, "SWE-RL"). The prompt is the buggy program with numbered lines; the
 * agent may run the tests (`run_tests`, in the QuickJS sandbox) or any JavaScript (`javascript`),
 * and ends with `answer: <line>: <new line>`, a one-line patch. Rewards:
 *   swe-repair      1 when every test passes on the patched program, else 0;
 *   swe-repair-sim  SWE-RL's reward: -1 for a patch that cannot be applied, else the
 *                   difflib similarity of the patched program to the reference program (./similarity.ts).
 * Bugs: a swapped operator or a constant off by one in one line of one of four templates.
 */
import type { Rng } from '../../core/rng.js';
import { runJavaScript } from '../sandbox/javascript.js';
import { javascriptTool } from '../tools/code.js';
import type { Tool } from '../tools/types.js';
import type { Problem } from '../types.js';
import { answerStepCheck, extractAnswerLine, generatedSplits, renderChatTranscript, renderPlainTranscript } from './base.js';
import { ToolEnv } from './env.js';
import { sequenceRatio } from './similarity.js';
import type { MultiTurnTask } from './types.js';

export interface SweProblem extends Problem {
  data: { buggy: string[]; fixed: string[]; line: number; tests: string[] };
}

type Template = (k: number[]) => { lines: string[]; tests: (f: string) => string[] };
const TEMPLATES: Template[] = [
  (k) => ({
    lines: ['function f(a, b) {', `  const s = a * ${k[0]};`, `  return s + b;`, '}'],
    tests: () =>
      [
        [2, 3],
        [5, 1],
        [0, 7],
      ].map(([a, b]) => `if (f(${a}, ${b}) !== ${a * k[0] + b}) throw new Error("f(${a}, ${b}) should be ${a * k[0] + b}")`),
  }),
  (k) => ({
    lines: ['function f(xs) {', '  let t = 0;', `  for (const x of xs) if (x > ${k[0]}) t += x;`, '  return t;', '}'],
    tests: () =>
      [[1, 5, 9], [k[0], k[0] + 1], [0]].map(
        (xs) =>
          `if (f([${xs}]) !== ${xs.filter((x) => x > k[0]).reduce((a, b) => a + b, 0)}) throw new Error("f([${xs}]) should be ${xs.filter((x) => x > k[0]).reduce((a, b) => a + b, 0)}")`,
      ),
  }),
  (k) => ({
    lines: ['function f(n) {', '  let p = 1;', `  for (let i = 1; i <= n; i++) p = p * ${k[0]} % 97;`, '  return p;', '}'],
    tests: () =>
      [1, 2, 5].map((n) => {
        let p = 1;
        for (let i = 1; i <= n; i++) p = (p * k[0]) % 97;
        return `if (f(${n}) !== ${p}) throw new Error("f(${n}) should be ${p}")`;
      }),
  }),
  (k) => ({
    lines: ['function f(a, b) {', `  if (a - b < ${k[0]}) return a;`, '  return b;', '}'],
    tests: () =>
      [
        [k[0] + 5, 3],
        [1, 2],
        [k[0], 0],
      ].map(
        ([a, b]) => `if (f(${a}, ${b}) !== ${a - b < k[0] ? a : b}) throw new Error("f(${a}, ${b}) should be ${a - b < k[0] ? a : b}")`,
      ),
  }),
];
const SWAPS: Record<string, string> = { '*': '+', '+': '-', '-': '+', '<': '<=', '>': '>=', '%': '*' };

function mutate(line: string, rng: Rng): string | null {
  const ops = [...line.matchAll(/ ([*+\-<>%]) /g)];
  const nums = [...line.matchAll(/\b(\d+)\b/g)];
  if (rng.next() < 0.5 && ops.length) {
    const m = ops[rng.int(0, ops.length - 1)];
    return line.slice(0, m.index! + 1) + SWAPS[m[1]] + line.slice(m.index! + 2);
  }
  if (nums.length) {
    const m = nums[rng.int(0, nums.length - 1)];
    const v = Number(m[1]) + (rng.next() < 0.5 ? 1 : -1);
    return line.slice(0, m.index!) + String(Math.max(0, v)) + line.slice(m.index! + m[1].length);
  }
  return null;
}

function make(rng: Rng, split: string, i: number): SweProblem | null {
  const tpl = TEMPLATES[rng.int(0, TEMPLATES.length - 1)];
  const { lines, tests } = tpl([rng.int(2, 60)]);
  const line = rng.int(1, lines.length - 2);
  const bad = mutate(lines[line], rng);
  if (!bad || bad === lines[line]) return null;
  const buggy = lines.map((l, j) => (j === line ? bad : l));
  return {
    id: `swe-repair/${split}/${i}`,
    question: buggy.map((l, j) => `${j + 1}| ${l}`).join('\n'),
    answer: `${line + 1}: ${lines[line].trim()}`,
    data: { buggy, fixed: lines, line: line + 1, tests: tests('f') },
  };
}

/** Applies "N: text" to the program (the line keeps its indentation); null when it does not parse. */
export function applyPatch(lines: readonly string[], patch: string): string[] | null {
  const m = /^\s*(\d+)\s*:\s?(.*)$/.exec(patch);
  if (!m) return null;
  const n = Number(m[1]);
  if (n < 1 || n > lines.length) return null;
  const indent = /^\s*/.exec(lines[n - 1])![0];
  return lines.map((l, j) => (j === n - 1 ? indent + m[2].trim() : l));
}

async function testsPassed(program: string[], tests: string[]): Promise<{ passed: number; total: number; first?: string }> {
  const r = await runJavaScript({ program: program.join('\n'), tests }, { limits: { timeoutMs: 2000 } });
  const failed = r.tests.filter((t) => !t.passed);
  return {
    passed: r.status === 'ok' ? r.tests.length - failed.length : 0,
    total: tests.length,
    first: failed[0]?.error ?? (r.status === 'ok' ? undefined : (r.error ?? r.status)),
  };
}

function runTestsTool(p: SweProblem): Tool {
  return {
    spec: {
      type: 'function',
      function: {
        name: 'run_tests',
        description: 'Runs the tests on the program as given in the prompt and reports which fail.',
        parameters: { type: 'object', properties: {}, additionalProperties: false },
      },
    },
    timeoutMs: 10_000,
    async run() {
      const r = await testsPassed(p.data.buggy, p.data.tests);
      return `${r.passed}/${r.total} tests pass${r.first ? `; ${r.first}` : ''}`;
    },
  };
}

function sweTask(name: string, similarity: boolean): MultiTurnTask<SweProblem> {
  const specs = [runTestsTool({ data: { buggy: [], fixed: [], line: 1, tests: [] } } as unknown as SweProblem).spec, javascriptTool().spec];
  return {
    kind: 'multi-turn',
    name,
    description: similarity
      ? 'SWE-RL-style one-line repair of a short JavaScript function; reward = similarity of the patched program to the reference (-1 if the patch does not apply)'
      : 'SWE-RL-style one-line repair of a short JavaScript function with test and code tools; reward = all tests pass',
    splits: ['train', 'test'],
    verifierNeedsAnswer: true,
    chatStepStop: ['\n'],
    tools: specs,
    maxTurns: 4,
    agents: ['agent'],
    meta: {
      kind: 'multi-turn',
      source: { kind: 'generated' },
      verifier: similarity ? 'sequence similarity (SWE-RL)' : 'execution (tests)',
      splitSizes: { train: 970, test: 100 },
    },
    problems: generatedSplits(name, { train: 1500, test: 100 }, make, (p) => p.question),
    renderPlain: (p, steps = []) => renderPlainTranscript(p.question, steps),
    renderChat: (p, steps = []) =>
      renderChatTranscript('Fix the bug with a one-line patch: "answer: <line number>: <new line>".', p.question, specs, steps),
    extractAnswer: (text) => extractAnswerLine(text),
    async verify(answer, p) {
      const patched = answer === null ? null : applyPatch(p.data.buggy, answer);
      if (!patched) return { correct: false, score: 0, extracted: answer, details: 'patch does not apply' };
      const r = await testsPassed(patched, p.data.tests);
      return { correct: r.passed === r.total, score: r.passed / r.total, extracted: answer };
    },
    sameAnswer: (a, b) => a.replace(/\s+/g, '') === b.replace(/\s+/g, ''),
    checkStep: (_p, steps) => answerStepCheck(steps),
    createEnv(p, o = {}) {
      return new ToolEnv({
        prompt: p.question,
        tools: o.tools === false ? [] : [runTestsTool(p), javascriptTool()],
        maxTurns: 4,
        score: async (a) => {
          const patched = applyPatch(p.data.buggy, a);
          const fixed = patched !== null && (await testsPassed(patched, p.data.tests)).passed === p.data.tests.length;
          if (!similarity) return { reward: fixed ? 1 : 0, correct: fixed };
          return { reward: patched ? sequenceRatio(patched.join('\n'), p.data.fixed.join('\n')) : -1, correct: fixed };
        },
      });
    },
    solveTurns: (p, _rng, o = {}) => (o.tools === false ? [`answer: ${p.answer}`] : ['run_tests {}', `answer: ${p.answer}`]),
  };
}

export const sweRepairTask = sweTask('swe-repair', false);
export const sweRepairSimTask = sweTask('swe-repair-sim', true);
