/**
 * HumanEval (Chen et al. 2021) as a code task: the model completes a Python function; the verifier
 * runs prompt + completion + the benchmark's `check(candidate)` in the Python sandbox. Score is the
 * fraction of assert statements passed; correct when all pass. The data file is the original gzip
 * JSONL (data/humaneval/HumanEval.jsonl.gz, shipped with rlmkit, by default).
 */
import type { ChatMessage } from '../../models/types.js';
import { dataFile, field, readJsonlRecords } from '../data.js';
import { type PythonSandboxOptions, runPython } from '../sandbox/python.js';
import type { ExecutionResult } from '../sandbox/limits.js';
import { checkSplit, selectProblems } from '../splits.js';
import type { LoadOptions, Problem, Task, VerifyResult } from '../types.js';

export interface CodeData {
  prompt: string;
  test: string;
  entryPoint: string;
  canonicalSolution: string;
}
export type CodeProblem = Problem & { data: CodeData };

/**
 * The code in a completion: the last fenced block when there is one (```python ... ```), else the
 * text itself. A block that redefines the whole function is kept whole; a body-only completion is
 * appended to the prompt by `programFor`.
 */
export function extractCode(text: string): string | null {
  const blocks = [...text.matchAll(/```(?:python|py)?[ \t]*\n([\s\S]*?)```/g)].map((m) => m[1]);
  const code = blocks.length ? blocks[blocks.length - 1] : text;
  return code.trim().length > 0 ? code : null;
}

/** The program to run: the completion alone when it defines the entry point, else prompt + completion. */
export function programFor(problem: CodeProblem, completion: string): string {
  const definesEntry = new RegExp(`^\\s*def\\s+${problem.data.entryPoint}\\s*\\(`, 'm').test(completion);
  return definesEntry ? completion : problem.data.prompt + completion;
}

export async function runHumanEval(problem: CodeProblem, completion: string, options: PythonSandboxOptions = {}): Promise<ExecutionResult> {
  return runPython(
    { program: programFor(problem, completion), check: { source: problem.data.test, entry: problem.data.entryPoint } },
    { limits: { timeoutMs: 10_000, cpuSeconds: 5, ...options.limits }, python: options.python },
  );
}

export const humanevalTask: Task<CodeProblem> = {
  name: 'humaneval',
  description: 'HumanEval Python function completion (164 problems), run in the bubblewrap sandbox',
  splits: ['test'],
  verifierNeedsAnswer: true,
  chatStepStop: [],
  async problems(options: LoadOptions) {
    checkSplit('humaneval', ['test'], options.split);
    const file = dataFile('humaneval/HumanEval.jsonl.gz', options.path);
    const records = readJsonlRecords(file);
    const problems = records.map((rec, i): CodeProblem => ({
      id: field(rec, 'task_id', file, i),
      question: field(rec, 'prompt', file, i),
      answer: field(rec, 'canonical_solution', file, i),
      data: {
        prompt: field(rec, 'prompt', file, i),
        test: field(rec, 'test', file, i),
        entryPoint: field(rec, 'entry_point', file, i),
        canonicalSolution: field(rec, 'canonical_solution', file, i),
      },
    }));
    return selectProblems(problems, options);
  },
  // Completion style: the model continues the function.
  renderPlain: (p, steps = []) => p.data.prompt + steps.join(''),
  renderChat(p, steps = []): ChatMessage[] {
    const msgs: ChatMessage[] = [
      { role: 'system', content: 'You are an expert Python programmer. Reply with the complete function in one ```python code block.' },
      { role: 'user', content: `Complete this Python function:\n\n\`\`\`python\n${p.data.prompt}\`\`\`` },
    ];
    if (steps.length) msgs.push({ role: 'assistant', content: steps.join('') });
    return msgs;
  },
  extractAnswer: (text) => extractCode(text),
  async verify(answer, problem): Promise<VerifyResult> {
    if (answer === null) return { correct: false, score: 0, extracted: null, details: 'no code' };
    const r = await runHumanEval(problem, answer);
    const passed = r.tests.filter((t) => t.passed).length;
    const score = r.tests.length ? passed / r.tests.length : 0;
    const firstFail = r.tests.find((t) => !t.passed);
    const details = r.passed
      ? `${passed}/${r.tests.length} tests passed`
      : `${r.status}: ${passed}/${r.tests.length} tests passed${firstFail ? `; first failure: ${firstFail.name} (${firstFail.error ?? ''})` : r.error ? `; ${r.error}` : ''}`;
    return { correct: r.passed, score: r.passed ? 1 : r.status === 'ok' ? score : 0, extracted: answer, details };
  },
  sameAnswer: (a, b) => a.replace(/\s+/g, ' ').trim() === b.replace(/\s+/g, ' ').trim(),
  solve: (p) => [p.data.canonicalSolution],
};
