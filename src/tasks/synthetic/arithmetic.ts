/**
 * Multi-digit arithmetic solved in steps. A step is one exact equation `X op Y=Z`; the operands must
 * be the problem's numbers, their place-value parts (347 -> 300, 40, 7) or results of earlier steps,
 * and Z must be the exact value. The final step restates the question: `347*589=204383`.
 *
 * Canonical solutions: addition and subtraction take the second number's place parts one at a time
 * (347+500=847, 847+80=927, 927+9=936); multiplication forms partial products by place part, then
 * adds them up. Splits train/test are independent seeded streams; test items are removed from train.
 */
import { Rng } from '../../core/rng.js';
import { checkSplit } from '../splits.js';
import type { LoadOptions, Problem, StepCheck, Task, VerifyResult } from '../types.js';

export type ArithOp = '+' | '-' | '*';
export interface ArithmeticData {
  a: string;
  b: string;
  op: ArithOp;
}
export type ArithmeticProblem = Problem & { data: ArithmeticData };

export interface ArithmeticOptions {
  name: string;
  minDigits: number;
  maxDigits: number;
  ops: readonly ArithOp[];
}

const compute = (a: bigint, op: ArithOp, b: bigint): bigint => (op === '+' ? a + b : op === '-' ? a - b : a * b);

/** Non-zero place-value parts, highest first: 3047 -> [3000, 40, 7]. */
export function placeParts(x: bigint): bigint[] {
  const s = (x < 0n ? -x : x).toString();
  const parts: bigint[] = [];
  for (let i = 0; i < s.length; i++) if (s[i] !== '0') parts.push(BigInt(s[i]) * 10n ** BigInt(s.length - 1 - i));
  return parts;
}

const STEP = /^\s*(-?\d+)\s*([-+*×x])\s*(-?\d+)\s*=\s*(-?\d+)\s*$/;

function parseStep(text: string): { x: bigint; op: ArithOp; y: bigint; z: bigint } | null {
  const m = STEP.exec(text);
  if (!m) return null;
  const op = (m[2] === '×' || m[2] === 'x' ? '*' : m[2]) as ArithOp;
  return { x: BigInt(m[1]), op, y: BigInt(m[3]), z: BigInt(m[4]) };
}

export function arithmeticSolution(d: ArithmeticData): string[] {
  const a = BigInt(d.a);
  const b = BigInt(d.b);
  const steps: string[] = [];
  if (d.op === '+' || d.op === '-') {
    let acc = a;
    const parts = placeParts(b);
    if (parts.length > 1) {
      for (const p of parts) {
        const next = compute(acc, d.op, p);
        steps.push(`${acc}${d.op}${p}=${next}`);
        acc = next;
      }
    }
  } else {
    const parts = placeParts(b).reverse();
    if (parts.length > 1) {
      const products = parts.map((p) => {
        steps.push(`${a}*${p}=${a * p}`);
        return a * p;
      });
      let acc = products[0];
      for (const p of products.slice(1)) {
        steps.push(`${acc}+${p}=${acc + p}`);
        acc += p;
      }
    }
  }
  steps.push(`${d.a}${d.op}${d.b}=${compute(a, d.op, b)}`);
  return steps;
}

function checkSteps(d: ArithmeticData, steps: readonly string[]): StepCheck {
  const a = BigInt(d.a);
  const b = BigInt(d.b);
  const known = new Set<string>([a, b, ...placeParts(a), ...placeParts(b)].map(String));
  for (let i = 0; i < steps.length; i++) {
    const where = i === steps.length - 1 ? '' : `step ${i + 1} is already invalid: `;
    const s = parseStep(steps[i]);
    if (!s) return { valid: false, terminal: false, reason: `${where}cannot read "${steps[i]}" (expected e.g. "347+500=847")` };
    const isFinal = s.x === a && s.y === b && s.op === d.op;
    if (!isFinal && (!known.has(String(s.x)) || !known.has(String(s.y)))) {
      return {
        valid: false,
        terminal: false,
        reason: `${where}operands must be the problem's numbers, their place parts or earlier results`,
      };
    }
    const truth = compute(s.x, s.op, s.y);
    if (truth !== s.z) return { valid: false, terminal: false, reason: `${where}${s.x}${s.op}${s.y} is ${truth}, not ${s.z}` };
    if (isFinal) {
      if (i !== steps.length - 1) return { valid: false, terminal: false, reason: 'steps after the final answer' };
      return { valid: true, terminal: true, answer: String(s.z) };
    }
    known.add(String(s.z));
  }
  return { valid: true, terminal: false };
}

function sample(rng: Rng, o: ArithmeticOptions): ArithmeticData {
  const num = () => {
    const digits = rng.int(o.minDigits, o.maxDigits);
    let s = String(rng.int(1, 9));
    for (let i = 1; i < digits; i++) s += String(rng.int(0, 9));
    return s;
  };
  const op = rng.pick(o.ops);
  let a = num();
  let b = num();
  if (op === '-' && BigInt(a) < BigInt(b)) [a, b] = [b, a];
  return { a, b, op };
}

const keyOf = (d: ArithmeticData) => `${d.a}${d.op}${d.b}`;

export function makeArithmeticTask(o: ArithmeticOptions): Task<ArithmeticProblem> {
  const splits = ['train', 'test'] as const;
  const generate = (stream: string, count: number, seed: number, exclude: Set<string>): ArithmeticData[] => {
    const rng = new Rng(seed).fork(`${o.name}/${stream}`);
    const out: ArithmeticData[] = [];
    const seen = new Set<string>();
    for (let tries = 0; out.length < count && tries < count * 50; tries++) {
      const d = sample(rng, o);
      if (seen.has(keyOf(d)) || exclude.has(keyOf(d))) continue;
      seen.add(keyOf(d));
      out.push(d);
    }
    return out;
  };
  return {
    name: o.name,
    description: `multi-digit arithmetic (${o.ops.join(' ')}; ${o.minDigits}-${o.maxDigits} digits) solved in exact steps`,
    splits,
    verifierNeedsAnswer: true,
    chatStepStop: ['\n'],
    async problems(options: LoadOptions) {
      checkSplit(o.name, splits, options.split);
      const seed = options.seed ?? 0;
      const testCount = options.split === 'test' ? (options.limit ?? 500) : 500;
      const test = generate('test', testCount, seed, new Set());
      const data = options.split === 'test' ? test : generate('train', options.limit ?? 10000, seed, new Set(test.map(keyOf)));
      return data.map((d, i) => ({
        id: `${o.name}/${options.split}/${seed}/${i}`,
        question: `What is ${d.a} ${d.op === '*' ? '×' : d.op} ${d.b}?`,
        answer: compute(BigInt(d.a), d.op, BigInt(d.b)).toString(),
        data: d,
      }));
    },
    renderPlain: (p, steps = []) => `${keyOf(p.data)}|${steps.map((s) => `${s}\n`).join('')}`,
    renderChat: (p, steps = []) => {
      const msgs = [
        { role: 'system' as const, content: 'You do arithmetic in small exact steps, one equation per line.' },
        {
          role: 'user' as const,
          content: `Compute ${keyOf(p.data)}. Write one equation per line, such as 347+500=847, using only the numbers given, their place values (300, 40, 7) and your earlier results. End with the full equation, e.g. 347+589=936.`,
        },
      ];
      return steps.length ? [...msgs, { role: 'assistant' as const, content: steps.map((s) => `${s}\n`).join('') }] : msgs;
    },
    extractAnswer(text, problem) {
      const lines = text
        .slice(text.lastIndexOf('|') + 1)
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      if (problem) {
        for (let i = lines.length - 1; i >= 0; i--) {
          const s = parseStep(lines[i]);
          if (s && s.x === BigInt(problem.data.a) && s.y === BigInt(problem.data.b) && s.op === problem.data.op) return String(s.z);
        }
      }
      const nums = text.replace(/,(?=\d{3}\b)/g, '').match(/-?\d+/g);
      return nums ? nums[nums.length - 1] : null;
    },
    async verify(answer, problem): Promise<VerifyResult> {
      const truth = compute(BigInt(problem.data.a), problem.data.op, BigInt(problem.data.b)).toString();
      const got = answer?.trim().replace(/,/g, '') ?? null;
      if (!got || !/^-?\d+$/.test(got)) return { correct: false, score: 0, extracted: got, details: 'no integer answer' };
      const ok = BigInt(got) === BigInt(truth);
      return { correct: ok, score: ok ? 1 : 0, extracted: got, details: ok ? 'exact' : `expected ${truth}` };
    },
    sameAnswer: (x, y) => x.trim().replace(/,/g, '') === y.trim().replace(/,/g, ''),
    checkStep: (p, steps) => checkSteps(p.data, steps),
    solve: (p) => arithmeticSolution(p.data),
  };
}

export const arithmeticTask = makeArithmeticTask({ name: 'arithmetic', minDigits: 2, maxDigits: 5, ops: ['+', '-', '*'] });
