/**
 * Turns what a Python trainer sends about one sample (a task name or verl `data_source`, and a label
 * or verl `ground_truth`) into an rlmkit task and the Problem its verifier checks.
 *
 * Labels, per verifier:
 * - math (`math`, `gsm8k`, `math500`, `aime24`, `amc23`, and verl's math data sources such as
 *   `openai/gsm8k`, `lighteval/MATH`, `HuggingFaceH4/MATH-500`): the reference answer, a string or
 *   number (`"\\frac{1}{2}"`, `18`), or `{"answer": ...}`.
 * - `game24`: the puzzle: `"4 4 6 8"`, `[4, 4, 6, 8]` or `{"numbers": [4, 4, 6, 8]}`.
 * - `countdown`, `countdown-classic`: `{"numbers": [...], "target": n}` (TinyZero's ground_truth) or
 *   `"25 3 7 19 =83"` (rlmkit's plain prompt).
 * - `code` / `humaneval`: `{"test": "def check(candidate): ...", "entry_point": "f", "prompt": "..."}`
 *   (HumanEval's fields; `prompt` is prepended when the completion is only the function body).
 *
 * - `svg` / `svg-render` / `image-to-svg`: the target picture, `{"target": "..##/.##./....", "reference_length": 90}`
 *   or a bare bitmap string ("#" ink, "." paper, rows joined by "/"), or `{"target": "data:image/png;base64,..."}`;
 *   the response's `<svg>` is rendered (resvg) and compared: score = pixel IoU (src/tasks/svg).
 *
 * A label string that is a JSON object with a `"task"` key picks its own verifier, so one OpenRLHF
 * batch may mix tasks: `{"task": "game24", "numbers": [4, 4, 6, 8]}`.
 *
 * Every malformed label is a LabelError naming what is wrong; the app answers it with 400.
 */
import { getTask } from '../../tasks/registry.js';
import type { Problem, Task } from '../../tasks/types.js';
import { targetImage } from '../../tasks/svg/task.js';

export class LabelError extends Error {}

/** The verifiers this server offers, by the name a request uses. */
export const VERIFIER_NAMES = [
  'math',
  'gsm8k',
  'math500',
  'aime24',
  'amc23',
  'game24',
  'countdown',
  'countdown-classic',
  'code',
  'humaneval',
  'svg',
  'svg-render',
  'image-to-svg',
] as const;

type Kind = 'math' | 'game24' | 'countdown' | 'countdown-classic' | 'code' | 'svg';

/** verl data sources (its `default_compute_score` names) mapped to our verifiers. */
const VERL_SOURCES: Record<string, Kind> = {
  'openai/gsm8k': 'math',
  'lighteval/math': 'math',
  'digitallearninggmbh/math-lighteval': 'math',
  'huggingfaceh4/math-500': 'math',
  math_dapo: 'math',
  aime: 'math',
  countdown: 'countdown',
  humaneval: 'code',
  'openai/openai_humaneval': 'code',
};

/** The verifier kind for a task name or a verl data source; undefined when unknown. */
export function verifierKind(name: string): Kind | undefined {
  const n = name.trim().toLowerCase();
  if (n === 'math' || n === 'gsm8k' || n === 'math500' || n === 'aime24' || n === 'amc23') return 'math';
  if (n === 'game24' || n === 'countdown' || n === 'countdown-classic') return n;
  if (n === 'code' || n === 'humaneval') return 'code';
  if (n === 'svg' || n === 'svg-render' || n === 'image-to-svg') return 'svg';
  if (VERL_SOURCES[n]) return VERL_SOURCES[n];
  if (/gsm8k|math|aime|amc|numina|deepscaler|olympiad/.test(n)) return 'math';
  return undefined;
}

export interface ResolvedSample {
  kind: Kind;
  task: Task<any>;
  problem: Problem;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A label given as a JSON-object string is read as that object; anything else stays as it is. */
export function parseLabel(label: unknown): unknown {
  if (typeof label !== 'string') return label;
  const t = label.trim();
  if (!t.startsWith('{')) return label;
  try {
    const v: unknown = JSON.parse(t);
    return isObject(v) ? v : label;
  } catch {
    return label; // e.g. a set answer "{1, 2}": a plain reference answer
  }
}

function numbersFrom(v: unknown, what: string): number[] {
  const list =
    typeof v === 'string'
      ? v
          .trim()
          .split(/[\s,]+/)
          .map(Number)
      : Array.isArray(v)
        ? v.map((x) => (typeof x === 'string' ? Number(x) : x))
        : null;
  if (!list || list.length === 0 || list.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 1e6)) {
    throw new LabelError(`${what} must be whole numbers between 0 and 1000000, as a list or a space-separated string`);
  }
  return list as number[];
}

function mathProblem(label: unknown): Problem {
  const a = isObject(label) ? (label.answer ?? label.ground_truth) : label;
  if (typeof a === 'number' && Number.isFinite(a)) return { id: 'reward/math', question: '', answer: String(a), data: { meta: {} } };
  if (typeof a !== 'string' || a.trim() === '')
    throw new LabelError('a math label is the reference answer: a non-empty string or a number (or {"answer": ...})');
  if (a.length > 10_000) throw new LabelError('a math reference answer is limited to 10000 characters');
  return { id: 'reward/math', question: '', answer: a, data: { meta: {} } };
}

function game24Problem(label: unknown): Problem {
  const numbers = numbersFrom(isObject(label) ? label.numbers : label, 'a game24 label (the puzzle)');
  if (numbers.length !== 4) throw new LabelError(`a game24 puzzle has 4 numbers, got ${numbers.length}`);
  return { id: 'reward/game24', question: numbers.join(' '), data: { numbers, target: 24 } };
}

function countdownProblem(label: unknown): Problem {
  let numbers: number[];
  let target: unknown;
  if (isObject(label)) {
    numbers = numbersFrom(label.numbers ?? label.nums, 'countdown "numbers"');
    target = label.target;
  } else if (typeof label === 'string' && label.includes('=')) {
    const [left, right] = label.split('=');
    numbers = numbersFrom(left.replace(/\|.*$/, ''), 'countdown numbers');
    target = Number(right.replace(/\|.*$/, '').trim());
  } else {
    throw new LabelError('a countdown label is {"numbers": [...], "target": n} or "n1 n2 ... =target"');
  }
  if (typeof target !== 'number' || !Number.isInteger(target)) throw new LabelError('countdown "target" must be a whole number');
  if (numbers.length < 2 || numbers.length > 8) throw new LabelError(`a countdown puzzle has 2 to 8 numbers, got ${numbers.length}`);
  return { id: 'reward/countdown', question: `${numbers.join(' ')} =${target}`, data: { numbers, target } };
}

function codeProblem(label: unknown): Problem {
  if (!isObject(label))
    throw new LabelError(
      'a code label is {"test": "<python check(candidate)>", "entry_point": "<function name>", "prompt": "<optional header>"}',
    );
  const { test, prompt = '' } = label;
  const entry = label.entry_point ?? label.entryPoint;
  if (typeof test !== 'string' || !/def\s+check\s*\(/.test(test))
    throw new LabelError('code "test" must be Python source defining check(candidate)');
  if (typeof entry !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(entry))
    throw new LabelError('code "entry_point" must be a Python function name');
  if (typeof prompt !== 'string') throw new LabelError('code "prompt" must be a string');
  return { id: 'reward/code', question: prompt, answer: '', data: { prompt, test, entryPoint: entry, canonicalSolution: '' } };
}

function svgProblem(label: unknown): Problem {
  const target = isObject(label) ? label.target : label;
  if (typeof target !== 'string' || target.trim() === '')
    throw new LabelError('an svg label is the target picture: {"target": "<#/. bitmap rows joined by / or data:image/png;base64,...>"}');
  if (target.length > 8 * 1024 * 1024) throw new LabelError('an svg target is limited to 8 MiB');
  const ref = isObject(label) ? (label.reference_length ?? label.referenceLength) : undefined;
  if (ref !== undefined && !(typeof ref === 'number' && Number.isFinite(ref) && ref > 0))
    throw new LabelError('svg "reference_length" must be a positive number (characters of a reference SVG)');
  const data = { target, ...(ref !== undefined ? { referenceLength: ref } : {}) };
  try {
    targetImage(data);
  } catch (e) {
    throw new LabelError(`svg target: ${(e as Error).message}`);
  }
  return { id: 'reward/svg', question: '', data };
}

const TASK_OF: Record<Kind, string> = {
  math: 'gsm8k',
  game24: 'game24',
  countdown: 'countdown',
  'countdown-classic': 'countdown-classic',
  code: 'humaneval',
  svg: 'svg-render',
};

/**
 * The task and problem for one sample. `source` is the request's task name or verl data source
 * (or the server's default); a label object's own `"task"` wins over it.
 */
export function resolveSample(source: string, rawLabel: unknown): ResolvedSample {
  const label = parseLabel(rawLabel);
  const name = isObject(label) && typeof label.task === 'string' ? label.task : source;
  const kind = verifierKind(name);
  if (!kind)
    throw new LabelError(`unknown task or data source "${name}"; known: ${VERIFIER_NAMES.join(', ')} (and verl's math data sources)`);
  const problem =
    kind === 'math'
      ? mathProblem(label)
      : kind === 'game24'
        ? game24Problem(label)
        : kind === 'code'
          ? codeProblem(label)
          : kind === 'svg'
            ? svgProblem(label)
            : countdownProblem(label);
  return { kind, task: getTask(TASK_OF[kind]), problem };
}
