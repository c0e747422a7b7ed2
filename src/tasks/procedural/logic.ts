/**
 * Logic puzzles with exact verifiers.
 * - `zebra`: Einstein/zebra puzzles. A random solution (one permutation per attribute category over
 *   the houses), then true clues (position, same house, directly left of, next to, not in house)
 *   drawn until exactly one solution remains (brute force over all permutations), then redundant
 *   clues pruned. The question asks one attribute of the owner of another; the trace fills the
 *   houses in order; a step is valid while no clue is violated by the houses filled so far.
 * - `prontoqa`: PrOntoQA-style deductive chains (Saparov & He 2023): "Every wumpus is a yumpus."
 *   rules over fictional concepts, a fact, distractor rules, and "True or false: Alex is a X."; the
 *   trace applies one rule per step ("Alex is a yumpus."); a step is valid when it follows from the
 *   fact and earlier steps by one rule.
 */
import type { Rng } from '../../core/rng.js';
import type { CheckResult, Level, ProceduralSpec } from './make.js';

// ---------------------------------------------------------------- zebra

const CATEGORIES: Array<{ name: string; values: string[] }> = [
  { name: 'color', values: ['red', 'green', 'blue', 'white'] },
  { name: 'pet', values: ['dog', 'cat', 'bird', 'fish'] },
  { name: 'drink', values: ['tea', 'milk', 'coffee', 'water'] },
];

type Clue =
  | { t: 'at'; v: string; h: number }
  | { t: 'notat'; v: string; h: number }
  | { t: 'same'; a: string; b: string }
  | { t: 'left'; a: string; b: string }
  | { t: 'next'; a: string; b: string };

export interface ZebraData {
  houses: number;
  /** Category names in use and their values (same order). */
  cats: Array<{ name: string; values: string[] }>;
  clues: Clue[];
  /** ask: the `cat` of the owner of `of`. */
  ask: { of: string; cat: number };
  /** solution[c][h]: the value of category c in house h (0-based). */
  solution: string[][];
}

const ZEBRA_SIZE: Record<Level, { houses: number; cats: number }> = {
  easy: { houses: 3, cats: 2 },
  medium: { houses: 3, cats: 3 },
  hard: { houses: 4, cats: 3 },
};

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

/** House of value v in a (partial) assignment: grid[c][h]; -1 when not placed. */
function houseOf(grid: ReadonlyArray<ReadonlyArray<string | undefined>>, v: string): number {
  for (const row of grid) {
    const h = row.indexOf(v);
    if (h >= 0) return h;
  }
  return -1;
}

/** false when the clue is violated by the placed values; true when satisfied or undecided. */
function clueHolds(c: Clue, grid: ReadonlyArray<ReadonlyArray<string | undefined>>): boolean {
  if (c.t === 'at' || c.t === 'notat') {
    const h = houseOf(grid, c.v);
    return h < 0 || (c.t === 'at' ? h === c.h : h !== c.h);
  }
  const [ha, hb] = [houseOf(grid, c.a), houseOf(grid, c.b)];
  if (ha < 0 || hb < 0) return true;
  if (c.t === 'same') return ha === hb;
  if (c.t === 'left') return ha + 1 === hb;
  return Math.abs(ha - hb) === 1;
}

function countSolutions(d: Pick<ZebraData, 'houses' | 'cats' | 'clues'>, limit = 2): number {
  const perms = d.cats.map((c) => permutations(c.values));
  let count = 0;
  const grid: string[][] = [];
  const rec = (c: number): void => {
    if (count >= limit) return;
    if (c === d.cats.length) {
      count++;
      return;
    }
    for (const p of perms[c]) {
      grid[c] = p;
      if (d.clues.every((cl) => clueHolds(cl, grid))) rec(c + 1);
      grid.length = c;
    }
  };
  rec(0);
  return count;
}

const clueText = (c: Clue): string => {
  switch (c.t) {
    case 'at':
      return `The ${c.v} is in house ${c.h + 1}.`;
    case 'notat':
      return `The ${c.v} is not in house ${c.h + 1}.`;
    case 'same':
      return `The ${c.a} is in the same house as the ${c.b}.`;
    case 'left':
      return `The ${c.a} is directly left of the ${c.b}.`;
    case 'next':
      return `The ${c.a} is next to the ${c.b}.`;
  }
};
const clueCode = (c: Clue): string =>
  c.t === 'at' || c.t === 'notat'
    ? `${c.t === 'at' ? '=' : '!'}${c.v}${c.h + 1}`
    : `${c.a}${{ same: '&', left: '<', next: '~' }[c.t]}${c.b}`;

export const zebraSpec: ProceduralSpec<ZebraData> = {
  name: 'zebra',
  description: 'Einstein/zebra logic puzzles: houses in a row, attribute clues, one question',
  ruleCheck: true,
  sizes: { train: 5000, test: 300 },
  generate(rng: Rng, level: Level) {
    const { houses, cats: nc } = ZEBRA_SIZE[level];
    const cats = CATEGORIES.slice(0, nc).map((c) => ({ name: c.name, values: c.values.slice(0, houses) }));
    const solution = cats.map((c) => rng.shuffle([...c.values]));
    const all = solution.flat();
    const h = (v: string) => houseOf(solution, v);
    const randomClue = (): Clue => {
      const kind = rng.pick(['at', 'notat', 'same', 'left', 'next', 'same', 'next'] as const);
      const a = rng.pick(all);
      if (kind === 'at') return { t: 'at', v: a, h: h(a) };
      if (kind === 'notat') return { t: 'notat', v: a, h: rng.pick(Array.from({ length: houses }, (_, i) => i).filter((x) => x !== h(a))) };
      const others = all.filter(
        (b) =>
          b !== a &&
          (kind !== 'same' || h(b) === h(a)) &&
          (kind !== 'left' || h(b) === h(a) + 1) &&
          (kind !== 'next' || Math.abs(h(b) - h(a)) === 1),
      );
      const sameCat = (b: string) => cats.some((c) => c.values.includes(a) && c.values.includes(b));
      const pool = others.filter((b) => !(kind === 'same' && sameCat(b)));
      if (pool.length === 0) return { t: 'at', v: a, h: h(a) };
      return { t: kind, a, b: rng.pick(pool) } as Clue;
    };
    const clues: Clue[] = [];
    for (let i = 0; i < 40 && countSolutions({ houses, cats, clues }) > 1; i++) clues.push(randomClue());
    if (countSolutions({ houses, cats, clues }) !== 1) return null;
    for (let i = clues.length - 1; i >= 0; i--) {
      const without = clues.filter((_, j) => j !== i);
      if (countSolutions({ houses, cats, clues: without }) === 1) clues.splice(i, 1);
    }
    const ofCat = rng.int(0, nc - 1);
    let cat = rng.int(0, nc - 2);
    if (cat >= ofCat) cat++;
    return { houses, cats, clues: rng.shuffle(clues), ask: { of: rng.pick(cats[ofCat].values), cat }, solution };
  },
  key: (d) => `${d.clues.map(clueCode).sort().join(';')}?${d.ask.of}/${d.ask.cat}`,
  question: (d) =>
    `There are ${d.houses} houses in a row, numbered 1 to ${d.houses} from left to right. Each has a different ${d.cats.map((c) => c.name).join(', a different ')} (${d.cats.map((c) => c.values.join('/')).join('; ')}). ${d.clues.map(clueText).join(' ')} What ${d.cats[d.ask.cat].name} goes with the ${d.ask.of}?`,
  plain: (d) => `${d.clues.map(clueCode).join(' ')} ?${d.ask.of}:${d.cats[d.ask.cat].name}`,
  answerFormat: 'one word, e.g. cat',
  answer: (d) => d.solution[d.ask.cat][houseOf(d.solution, d.ask.of)],
  check(d, answer): CheckResult {
    const a = answer
      .trim()
      .toLowerCase()
      .replace(/^the\s+/, '')
      .replace(/\.$/, '');
    if (!d.cats[d.ask.cat].values.includes(a)) {
      const known = d.cats.some((c) => c.values.includes(a));
      return { parsed: known, correct: false, reason: `expected one of ${d.cats[d.ask.cat].values.join(', ')}` };
    }
    const want = d.solution[d.ask.cat][houseOf(d.solution, d.ask.of)];
    return a === want
      ? { parsed: true, correct: true, reason: 'matches the unique solution' }
      : { parsed: true, correct: false, reason: `the ${d.ask.of} goes with the ${want}` };
  },
  trace: (d) => Array.from({ length: d.houses }, (_, h) => `house ${h + 1}: ${d.cats.map((_, c) => d.solution[c][h]).join(' ')}`),
  stepsValid(d, steps) {
    const grid: Array<Array<string | undefined>> = d.cats.map(() => new Array(d.houses).fill(undefined));
    for (let i = 0; i < steps.length; i++) {
      const m = /^house (\d+): (.+)$/.exec(steps[i].trim());
      const vals = m ? m[2].trim().split(/\s+/) : [];
      if (!m || Number(m[1]) !== i + 1 || i >= d.houses || vals.length !== d.cats.length)
        return { valid: false, reason: `step ${i + 1}: expected "house ${i + 1}: ${d.cats.map((c) => `<${c.name}>`).join(' ')}"` };
      for (let c = 0; c < d.cats.length; c++) {
        if (!d.cats[c].values.includes(vals[c]) || grid[c].includes(vals[c]))
          return { valid: false, reason: `step ${i + 1}: "${vals[c]}" is not an unused ${d.cats[c].name}` };
        grid[c][i] = vals[c];
      }
      const broken = d.clues.find((cl) => !clueHolds(cl, grid));
      if (broken) return { valid: false, reason: `step ${i + 1}: breaks "${clueText(broken)}"` };
    }
    return { valid: true };
  },
};

// ---------------------------------------------------------------- PrOntoQA

const CONCEPTS = [
  'wumpus',
  'yumpus',
  'zumpus',
  'dumpus',
  'rompus',
  'numpus',
  'tumpus',
  'vumpus',
  'impus',
  'jompus',
  'gorpus',
  'shumpus',
  'lempus',
  'sterpus',
  'grimpus',
  'lorpus',
  'brimpus',
];
const NAMES = ['Alex', 'Sally', 'Max', 'Fae', 'Rex', 'Sam', 'Wren', 'Polly', 'Stella'];
const PRONTO_SIZE: Record<Level, { hops: number; distractors: number }> = {
  easy: { hops: 2, distractors: 1 },
  medium: { hops: 3, distractors: 2 },
  hard: { hops: 5, distractors: 4 },
};

interface Rule {
  from: string;
  to: string;
  neg: boolean;
}
export interface ProntoData {
  name: string;
  start: string;
  rules: Rule[];
  query: string;
}

const ruleText = (r: Rule) => `Every ${r.from} is ${r.neg ? 'not ' : ''}a ${r.to}.`;

/** Facts derivable from the start concept (concept -> is a / is not a) and, for each, the concept it came from. */
function derive(d: ProntoData): { facts: Map<string, boolean>; parent: Map<string, string> } {
  const facts = new Map<string, boolean>([[d.start, true]]);
  const parent = new Map<string, string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const r of d.rules) {
      if (facts.get(r.from) === true && !facts.has(r.to)) {
        facts.set(r.to, !r.neg);
        parent.set(r.to, r.from);
        changed = true;
      }
    }
  }
  return { facts, parent };
}

const factText = (name: string, c: string, pos: boolean) => `${name} is ${pos ? '' : 'not '}a ${c}.`;

export const prontoqaSpec: ProceduralSpec<ProntoData> = {
  name: 'prontoqa',
  description: 'PrOntoQA-style deductive chains over fictional concepts: true or false',
  ruleCheck: true,
  generate(rng, level) {
    const { hops, distractors } = PRONTO_SIZE[level];
    const cs = rng.shuffle([...CONCEPTS]);
    const chain = cs.slice(0, hops + 1);
    const rules: Rule[] = chain.slice(0, -1).map((c, i) => ({ from: c, to: chain[i + 1], neg: false }));
    if (rng.bool()) rules[rules.length - 1].neg = true;
    const spare = cs.slice(hops + 1);
    for (let i = 0; i < distractors && spare.length >= 1; i++) {
      // A rule from an unrelated concept into the chain, or out of a chain concept to a new one.
      if (rng.bool()) rules.push({ from: spare.pop()!, to: rng.pick(chain), neg: rng.bool() });
      else rules.push({ from: rng.pick(chain.slice(0, -1)), to: spare.pop()!, neg: rng.bool() });
    }
    const d = { name: rng.pick(NAMES), start: chain[0], rules: rng.shuffle(rules), query: chain[chain.length - 1] };
    return derive(d).facts.has(d.query) ? d : null;
  },
  key: (d) => `${d.rules.map(ruleText).sort().join('')}|${d.start}|${d.query}`,
  question: (d) => `${d.rules.map(ruleText).join(' ')} ${d.name} is a ${d.start}. True or false: ${d.name} is a ${d.query}.`,
  plain: (d) => `${d.rules.map((r) => `${r.from}${r.neg ? '!' : '>'}${r.to}`).join(',')};${d.start}?${d.query}`,
  answerFormat: 'True or False',
  answer: (d) => (derive(d).facts.get(d.query) ? 'True' : 'False'),
  check(d, answer): CheckResult {
    const a = answer.trim().toLowerCase().replace(/\.$/, '');
    if (a !== 'true' && a !== 'false') return { parsed: false, correct: false, reason: 'expected True or False' };
    const truth = derive(d).facts.get(d.query) === true;
    return (a === 'true') === truth
      ? { parsed: true, correct: true, reason: 'follows from the rules' }
      : { parsed: true, correct: false, reason: `${d.name} is ${truth ? '' : 'not '}a ${d.query}` };
  },
  trace(d) {
    // The facts on the way from the start concept to the query, one rule each.
    const { facts, parent } = derive(d);
    const path: string[] = [];
    for (let c: string | undefined = d.query; c !== undefined && c !== d.start; c = parent.get(c)) path.unshift(c);
    return path.map((c) => factText(d.name, c, facts.get(c) === true));
  },
  stepsValid(d, steps) {
    const known = new Map<string, boolean>([[d.start, true]]);
    for (let i = 0; i < steps.length; i++) {
      const m = /^(\w+) is (not )?an? (\w+)\.?$/.exec(steps[i].trim());
      if (!m || m[1] !== d.name)
        return { valid: false, reason: `step ${i + 1}: expected "${d.name} is a <concept>." or "${d.name} is not a <concept>."` };
      const pos = !m[2];
      const ok = d.rules.some((r) => r.to === m[3] && !r.neg === pos && known.get(r.from) === true);
      if (!ok) return { valid: false, reason: `step ${i + 1}: does not follow by one rule from what is known` };
      known.set(m[3], pos);
    }
    return { valid: true };
  },
};
