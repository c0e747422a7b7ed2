/**
 * An evaluation report from n samples per problem: pass@k, maj@k, score-weighted@k and best-of-k
 * (when samples carry reward-model scores) with 95% confidence intervals, token usage per problem,
 * a terminal table and a JSON document.
 */
import { Rng } from '../core/rng.js';
import { type ScoredSample, bestOfK, passAtK, votingAtK } from './passk.js';
import { type MeanCI, type PairedComparison, type Summary, meanWithCI, summarize } from './stats.js';

export interface EvalSample extends ScoredSample {
  promptTokens?: number;
  completionTokens?: number;
  wallMs?: number;
}

export interface ProblemRecord {
  problemId: string;
  samples: EvalSample[];
}

export type MetricName = 'pass' | 'maj' | 'weighted' | 'best-of';

export interface MetricRow extends MeanCI {
  metric: MetricName;
  k: number;
}

export interface EvalReport {
  task: string;
  strategy: string;
  model: string;
  split?: string;
  seed: number;
  problems: number;
  samplesPerProblem: number;
  ks: number[];
  metrics: MetricRow[];
  tokensPerProblem: { prompt: Summary; completion: Summary; total: Summary };
  wallMs?: number;
  /** Every sample's verdict: unparseable (no answer could be read) is counted apart from wrong. */
  verdicts: { correct: number; wrong: number; unparseable: number };
  perProblem: Array<{
    problemId: string;
    n: number;
    correct: number;
    unparseable: number;
    answers: Array<string | null>;
    promptTokens: number;
    completionTokens: number;
  }>;
  settings?: Record<string, unknown>;
  /** With a baseline report (`--baseline`): the paired per-problem accuracy difference. */
  comparison?: PairedComparison & { baselineModel: string };
  createdAt: string;
}

export interface ReportOptions {
  task: string;
  strategy: string;
  model: string;
  split?: string;
  ks: number[];
  seed?: number;
  same: (a: string, b: string) => boolean;
  settings?: Record<string, unknown>;
  wallMs?: number;
}

export function buildReport(records: readonly ProblemRecord[], o: ReportOptions): EvalReport {
  const seed = o.seed ?? 0;
  const n = Math.min(...records.map((r) => r.samples.length));
  if (records.length === 0 || !Number.isFinite(n) || n === 0) throw new RangeError('buildReport: no samples');
  const ks = [...new Set(o.ks)].filter((k) => k >= 1 && k <= n).sort((a, b) => a - b);
  const scored = records.every((r) => r.samples.every((s) => typeof s.score === 'number'));
  const metrics: MetricRow[] = [];
  const rng = new Rng(seed).fork('voting');
  const draw = () => rng.next();
  for (const k of ks) {
    const perProblem = (fn: (r: ProblemRecord) => number) => records.map(fn);
    metrics.push({
      metric: 'pass',
      k,
      ...meanWithCI(
        perProblem((r) => passAtK(r.samples.length, r.samples.filter((s) => s.correct).length, k)),
        { seed },
      ),
    });
    metrics.push({
      metric: 'maj',
      k,
      ...meanWithCI(
        perProblem((r) => votingAtK(r.samples, k, o.same, { rng: draw })),
        { seed },
      ),
    });
    if (scored) {
      metrics.push({
        metric: 'weighted',
        k,
        ...meanWithCI(
          perProblem((r) => votingAtK(r.samples, k, o.same, { rng: draw, weighted: true })),
          { seed },
        ),
      });
      metrics.push({
        metric: 'best-of',
        k,
        ...meanWithCI(
          perProblem((r) => bestOfK(r.samples, k)),
          { seed },
        ),
      });
    }
  }
  const promptPer = records.map((r) => r.samples.reduce((a, s) => a + (s.promptTokens ?? 0), 0));
  const completionPer = records.map((r) => r.samples.reduce((a, s) => a + (s.completionTokens ?? 0), 0));
  return {
    task: o.task,
    strategy: o.strategy,
    model: o.model,
    split: o.split,
    seed,
    problems: records.length,
    samplesPerProblem: n,
    ks,
    metrics,
    tokensPerProblem: {
      prompt: summarize(promptPer),
      completion: summarize(completionPer),
      total: summarize(promptPer.map((p, i) => p + completionPer[i])),
    },
    wallMs: o.wallMs,
    verdicts: {
      correct: records.reduce((a, r) => a + r.samples.filter((s) => s.correct).length, 0),
      wrong: records.reduce((a, r) => a + r.samples.filter((s) => !s.correct && sampleVerdict(s) === 'wrong').length, 0),
      unparseable: records.reduce((a, r) => a + r.samples.filter((s) => !s.correct && sampleVerdict(s) === 'unparseable').length, 0),
    },
    perProblem: records.map((r, i) => ({
      problemId: r.problemId,
      n: r.samples.length,
      correct: r.samples.filter((s) => s.correct).length,
      unparseable: r.samples.filter((s) => !s.correct && sampleVerdict(s) === 'unparseable').length,
      answers: r.samples.map((s) => s.answer),
      promptTokens: promptPer[i],
      completionTokens: completionPer[i],
    })),
    settings: o.settings,
    createdAt: new Date().toISOString(),
  };
}

/** A sample's verdict: its own, else unparseable when it has no answer, else by correctness. */
function sampleVerdict(s: EvalSample): 'correct' | 'wrong' | 'unparseable' {
  if (s.verdict) return s.verdict;
  if (s.correct) return 'correct';
  return s.answer === null || s.answer === undefined || s.answer.trim() === '' ? 'unparseable' : 'wrong';
}

/** A plain text table with aligned columns (numbers right-aligned). */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(3);
}

const METRIC_LABEL: Record<MetricName, string> = { pass: 'pass@k', maj: 'maj@k', weighted: 'weighted@k', 'best-of': 'best-of-k (RM)' };

/** The report as a terminal table plus a usage line. */
export function renderReport(r: EvalReport): string {
  const rows = r.metrics.map((m) => [
    METRIC_LABEL[m.metric],
    m.k,
    100 * m.mean,
    `[${(100 * m.lo).toFixed(1)}, ${(100 * m.hi).toFixed(1)}]`,
    m.method,
  ]);
  const head = `${r.task}${r.split ? `/${r.split}` : ''} · strategy ${r.strategy} · model ${r.model} · ${r.problems} problems × ${r.samplesPerProblem} samples`;
  const t = r.tokensPerProblem;
  const usage = `tokens per problem (all samples): mean ${t.total.mean.toFixed(0)} (prompt ${t.prompt.mean.toFixed(0)}, completion ${t.completion.mean.toFixed(0)}), median ${t.total.median.toFixed(0)}${r.wallMs !== undefined ? ` · wall ${(r.wallMs / 1000).toFixed(1)} s` : ''}`;
  const c = r.comparison;
  const pct = (x: number) => (100 * x).toFixed(1);
  const vs = c
    ? `\nagainst ${c.baselineModel} on the same ${c.problems} problems (accuracy per problem, paired): ${pct(c.baseline)}% -> ${pct(c.current)}%, difference ${c.difference.mean >= 0 ? '+' : ''}${pct(c.difference.mean)} points, 95% CI [${pct(c.difference.lo)}, ${pct(c.difference.hi)}] (paired bootstrap); better on ${c.better}, worse on ${c.worse}, same on ${c.same}\n`
    : '';
  const v = r.verdicts;
  const all = v.correct + v.wrong + v.unparseable;
  const verdictLine =
    all > 0
      ? `answers: ${v.correct} correct, ${v.wrong} wrong, ${v.unparseable} unparseable (no answer could be read; ${pct(v.unparseable / all)}% of ${all} samples)`
      : '';
  return `${head}\n\n${renderTable(['metric', 'k', 'score %', '95% CI', 'CI method'], rows)}\n\n${verdictLine}\n${usage}\n${vs}`;
}
