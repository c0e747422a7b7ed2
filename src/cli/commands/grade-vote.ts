/**
 * `rlmkit grade --vote <file>`: majority and weighted votes over samples a user already has, with
 * the task's equivalence (the math grader by default, so `0.5`, `\frac12` and `1/2` are one
 * answer), and maj@k / weighted@k when a reference is given (self-consistency, Wang et al. 2023;
 * weighted majority, Li et al. 2023). One JSON line per input line, a summary on stderr.
 *
 * Input lines: {"id"?, "gold"|"answer"?, "samples": [text | {"text"|"completion"|"pred"|"answer": ..., "score"|"weight"?: number}]}
 */
import { inputError, usageError } from '../../core/errors.js';
import { readText } from '../../core/fs.js';
import { Rng } from '../../core/rng.js';
import { type ScoredSample, votingAtK } from '../../eval/passk.js';
import { type MathGrader, extractAnswer } from '../../tasks/grader/index.js';
import { getTask } from '../../tasks/registry.js';
import type { AnswerVerdict, Problem, Task } from '../../tasks/types.js';
import { verdictOf } from '../../tasks/verdict.js';

interface VoteSample {
  text: string;
  weight?: number;
}

interface VoteLine {
  line: number;
  id?: unknown;
  gold?: string;
  samples: VoteSample[];
}

export interface VoteOptions {
  task?: string;
  ks: number[];
  choices?: boolean;
}

function parseSample(s: unknown, where: string): VoteSample {
  if (typeof s === 'string' || typeof s === 'number') return { text: String(s) };
  if (s && typeof s === 'object') {
    const o = s as Record<string, unknown>;
    const text = o.text ?? o.completion ?? o.pred ?? o.answer;
    const w = o.weight ?? o.score;
    if ((typeof text === 'string' || typeof text === 'number') && (w === undefined || typeof w === 'number'))
      return { text: String(text), ...(typeof w === 'number' ? { weight: w } : {}) };
  }
  throw inputError(
    `${where}: each sample must be a string or {"text": ..., "score": number}`,
    'see `rlmkit grade --help` for the --vote line format',
  );
}

/** Reads the vote file; a bad line is an error naming it (nothing is graded until all lines read). */
export function readVoteFile(file: string): VoteLine[] {
  const out: VoteLine[] = [];
  readText(file)
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.trim();
      if (!line) return;
      const where = `${file}:${i + 1}`;
      let rec: any;
      try {
        rec = JSON.parse(line);
      } catch (e) {
        throw inputError(`${where}: not valid JSON: ${(e as Error).message}`, 'each line must be one JSON object');
      }
      if (!rec || typeof rec !== 'object' || !Array.isArray(rec.samples) || rec.samples.length === 0)
        throw inputError(`${where}: needs a non-empty "samples" array`, '{"id": 1, "gold": "42", "samples": ["... \\\\boxed{42}", "..."]}');
      const gold = rec.gold ?? rec.answer;
      if (gold !== undefined && typeof gold !== 'string' && typeof gold !== 'number')
        throw inputError(`${where}: "gold" must be a string or number`);
      out.push({
        line: i + 1,
        id: rec.id,
        gold: gold === undefined ? undefined : String(gold),
        samples: rec.samples.map((s: unknown, j: number) => parseSample(s, `${where} sample ${j + 1}`)),
      });
    });
  return out;
}

interface Cluster {
  answer: string;
  votes: number;
  weight: number;
}

/** The top cluster by votes (or weight); ties go to the answer seen first. */
function top(clusters: Cluster[], by: 'votes' | 'weight'): (Cluster & { tie: boolean }) | null {
  if (clusters.length === 0) return null;
  const best = Math.max(...clusters.map((c) => c[by]));
  const tops = clusters.filter((c) => c[by] === best);
  return { ...tops[0], tie: tops.length > 1 };
}

/** Votes one line; `same` and `verify` carry the task's (or the math grader's) equivalence. */
async function voteLine(
  l: VoteLine,
  extract: (text: string) => string | null,
  same: (a: string, b: string) => Promise<boolean>,
  verify: ((gold: string, answer: string | null) => Promise<AnswerVerdict>) | null,
  o: VoteOptions,
): Promise<Record<string, unknown>> {
  const answers = l.samples.map((s) => extract(s.text));
  const reps: string[] = [];
  const clusterOf: number[] = [];
  for (const a of answers) {
    if (a === null) {
      clusterOf.push(-1);
      continue;
    }
    let found = -1;
    for (let j = 0; j < reps.length && found < 0; j++) if (reps[j] === a || (await same(reps[j], a))) found = j;
    if (found < 0) {
      reps.push(a);
      found = reps.length - 1;
    }
    clusterOf.push(found);
  }
  const clusters: Cluster[] = reps.map((answer) => ({ answer, votes: 0, weight: 0 }));
  clusterOf.forEach((c, i) => {
    if (c < 0) return;
    clusters[c].votes++;
    clusters[c].weight += l.samples[i].weight ?? 0;
  });
  const weighted = l.samples.some((s) => s.weight !== undefined);
  const maj = top(clusters, 'votes');
  const wtd = weighted ? top(clusters, 'weight') : null;
  const out: Record<string, unknown> = {
    line: l.line,
    ...(l.id !== undefined ? { id: l.id } : {}),
    samples: l.samples.length,
    unparseable: answers.filter((a) => a === null).length,
    majority: maj ? { answer: maj.answer, votes: maj.votes, share: maj.votes / l.samples.length, ...(maj.tie ? { tie: true } : {}) } : null,
    ...(weighted ? { weighted: wtd ? { answer: wtd.answer, weight: wtd.weight, ...(wtd.tie ? { tie: true } : {}) } : null } : {}),
    clusters: [...clusters].sort((a, b) => b.votes - a.votes),
  };
  if (verify && l.gold !== undefined) {
    const clusterVerdict = await Promise.all(clusters.map((c) => verify(l.gold!, c.answer)));
    const verdictOfTop = (t: Cluster | null): AnswerVerdict =>
      t ? clusterVerdict[clusters.findIndex((c) => c.answer === t.answer)] : 'unparseable';
    out.verdict = { majority: verdictOfTop(maj), ...(weighted ? { weighted: verdictOfTop(wtd) } : {}) };
    const scored: ScoredSample[] = answers.map((a, i) => ({
      answer: a,
      correct: clusterOf[i] >= 0 && clusterVerdict[clusterOf[i]] === 'correct',
      ...(l.samples[i].weight !== undefined ? { score: l.samples[i].weight } : {}),
    }));
    const sameIdx = (a: string, b: string) => clusterOf[answers.indexOf(a)] === clusterOf[answers.indexOf(b)];
    const rng = new Rng(0).fork(`vote/${l.line}`);
    const ks = o.ks.filter((k) => k <= l.samples.length);
    if (ks.length) {
      out.majAtK = Object.fromEntries(ks.map((k) => [k, votingAtK(scored, k, sameIdx, { rng: () => rng.next() })]));
      if (weighted)
        out.weightedAtK = Object.fromEntries(ks.map((k) => [k, votingAtK(scored, k, sameIdx, { rng: () => rng.next(), weighted: true })]));
    }
  }
  return out;
}

/** Runs the votes of a file; returns the summary line written to stderr. */
export async function voteFile(file: string, grader: MathGrader, o: VoteOptions, write: (line: string) => void): Promise<string> {
  const lines = readVoteFile(file);
  let extract: (t: string) => string | null;
  let same: (a: string, b: string) => Promise<boolean>;
  let verify: (gold: string, answer: string | null) => Promise<AnswerVerdict>;
  if (o.task) {
    const task: Task<Problem> = getTask(o.task);
    extract = (t) => task.extractAnswer(t);
    same = async (a, b) => task.sameAnswer(a, b);
    verify = async (gold, answer) => {
      try {
        const v = await task.verify(answer, { id: 'vote', question: '', answer: gold });
        return verdictOf(v, answer);
      } catch (e) {
        throw usageError(
          `task ${task.name} cannot check an answer from a reference alone (${(e as Error).message}); vote without "gold" lines or use an answer-key task`,
        );
      }
    };
  } else {
    extract = (t) => extractAnswer(t, { choices: o.choices }).answer;
    same = async (a, b) => (await grader.grade(`\\boxed{${a}}`, `\\boxed{${b}}`)).correct;
    verify = async (gold, answer) =>
      answer === null ? 'unparseable' : (await grader.grade(gold, `\\boxed{${answer}}`, { choices: o.choices })).verdict;
  }
  const tally = { problems: 0, withGold: 0, weightedLines: 0, majorityCorrect: 0, weightedCorrect: 0, samples: 0, unparseable: 0 };
  for (const l of lines) {
    const r = await voteLine(l, extract, same, verify, o);
    write(JSON.stringify(r));
    tally.problems++;
    tally.samples += l.samples.length;
    tally.unparseable += r.unparseable as number;
    const v = r.verdict as { majority: AnswerVerdict; weighted?: AnswerVerdict } | undefined;
    if (v) {
      tally.withGold++;
      if (v.majority === 'correct') tally.majorityCorrect++;
      if (v.weighted !== undefined) tally.weightedLines++;
      if (v.weighted === 'correct') tally.weightedCorrect++;
    }
  }
  const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : 'n/a');
  return (
    `voted ${tally.problems} problems (${tally.samples} samples, ${tally.unparseable} unparseable)` +
    (tally.withGold
      ? `; majority correct on ${tally.majorityCorrect}/${tally.withGold} (${pct(tally.majorityCorrect, tally.withGold)})`
      : '') +
    (tally.weightedLines
      ? `, weighted on ${tally.weightedCorrect}/${tally.weightedLines} (${pct(tally.weightedCorrect, tally.weightedLines)})`
      : '')
  );
}
