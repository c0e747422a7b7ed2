/**
 * `rlmkit grade --gold <answer> --pred <solution>`: grades one prediction and prints one JSON object
 * (verdict correct / wrong / unparseable, the extracted and normalised forms of both, the rule that
 * decided). `rlmkit grade --jsonl <file>` grades every {gold, pred} line of a file in one process
 * (worker threads with a time limit per comparison), prints one JSON result per line in input
 * order and a summary with the unparseable count on stderr. `rlmkit grade --vote <file>`: majority
 * and weighted votes over given samples (grade-vote.ts).
 */
import type { Command } from 'commander';
import { usageError } from '../../core/errors.js';
import { readText } from '../../core/fs.js';
import { MathGrader, type GradeResult } from '../../tasks/grader/index.js';
import { countVerdicts } from '../../tasks/verdict.js';
import { floatOption, intOption } from '../options.js';
import { voteFile } from './grade-vote.js';
import type { CommandModule } from '../registry.js';

interface GradeFlags {
  gold?: string;
  pred?: string;
  jsonl?: string;
  vote?: string;
  task?: string;
  k?: string;
  rtol?: number;
  timeout: number;
  workers: number;
  choices?: boolean;
}

function output(r: GradeResult): Record<string, unknown> {
  return {
    correct: r.correct,
    verdict: r.verdict,
    reason: r.reason,
    gold: { extracted: r.gold.extracted, normalized: r.gold.normalized, method: r.gold.method },
    pred: { extracted: r.pred.extracted, normalized: r.pred.normalized, method: r.pred.method },
    ...(r.timedOut ? { timedOut: true } : {}),
    ms: Math.round((r.ms ?? 0) * 10) / 10,
  };
}

async function gradeFile(file: string, grader: MathGrader, f: GradeFlags): Promise<number> {
  const lines = readText(file).split('\n');
  const jobs: Array<Promise<string>> = [];
  const verdicts: GradeResult['verdict'][] = [];
  let bad = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const where = `${file}:${i + 1}`;
    let rec: any;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      bad++;
      jobs.push(Promise.resolve(JSON.stringify({ line: i + 1, error: `not valid JSON: ${(e as Error).message}` })));
      continue;
    }
    const gold = rec?.gold ?? rec?.answer;
    const pred = rec?.pred ?? rec?.prediction;
    if ((typeof gold !== 'string' && typeof gold !== 'number') || (typeof pred !== 'string' && typeof pred !== 'number')) {
      bad++;
      jobs.push(Promise.resolve(JSON.stringify({ line: i + 1, error: `${where}: needs string fields "gold" and "pred"` })));
      continue;
    }
    jobs.push(
      grader.grade(String(gold), String(pred), { choices: f.choices }).then((r) => {
        verdicts.push(r.verdict);
        return JSON.stringify({ line: i + 1, ...(rec.id !== undefined ? { id: rec.id } : {}), ...output(r) });
      }),
    );
  }
  // Print in input order as results arrive.
  for (const job of jobs) process.stdout.write((await job) + '\n');
  const c = countVerdicts(verdicts);
  process.stderr.write(
    `graded ${verdicts.length} pairs: ${c.correct} correct, ${c.wrong} wrong, ${c.unparseable} unparseable${bad ? `, ${bad} bad lines` : ''}\n`,
  );
  return bad;
}

export const gradeCommand: CommandModule = {
  name: 'grade',
  summary: 'grade math answers (verdict correct / wrong / unparseable, one pair or a JSONL file) and vote over samples (--vote)',
  register(program: Command) {
    program
      .command('grade')
      .description('grade a predicted math answer against a reference; prints JSON (see src/tasks/README.md, "Math grader")')
      .option('--gold <answer>', 'reference answer (a bare answer, or a solution with \\boxed{} / ####)')
      .option('--pred <text>', 'predicted solution or answer')
      .option(
        '--jsonl <file>',
        'grade every {"gold": ..., "pred": ...} line of this file; one JSON result per line, a verdict summary on stderr',
      )
      .option(
        '--vote <file>',
        'vote over samples: lines {"id"?, "gold"?, "samples": [text | {"text": ..., "score": n}]}; majority and weighted answers, maj@k with --k',
      )
      .option('--task <name>', "with --vote: use this task's answer extraction and equivalence instead of the math grader")
      .option('--k <list>', 'with --vote and "gold": maj@k (and weighted@k) for these k, e.g. 1,4,8')
      .option('--rtol <x>', 'relative tolerance for non-integer numbers', floatOption(0, 1))
      .option('--timeout <ms>', 'time limit per comparison', intOption(10, 600_000), 5000)
      .option('--workers <n>', 'grader worker threads for --jsonl', intOption(1, 64), 1)
      .option('--choices', 'accept a lone letter A-E as the predicted answer (multiple choice)')
      .action(async (f: GradeFlags) => {
        const modes = [f.jsonl !== undefined, f.vote !== undefined, f.gold !== undefined || f.pred !== undefined].filter(Boolean).length;
        if (modes > 1)
          throw usageError(
            'give one of --gold/--pred, --jsonl or --vote',
            'rlmkit grade --gold 1/2 --pred "\\boxed{0.5}"  or  rlmkit grade --jsonl pairs.jsonl  or  rlmkit grade --vote samples.jsonl',
          );
        if (!f.jsonl && !f.vote && (f.gold === undefined || f.pred === undefined))
          throw usageError(
            'rlmkit grade needs --gold and --pred (or --jsonl <file>, or --vote <file>)',
            'rlmkit grade --gold 1/2 --pred "\\boxed{0.5}"',
          );
        if ((f.task !== undefined || f.k !== undefined) && !f.vote)
          throw usageError('--task and --k go with --vote', 'rlmkit grade --vote samples.jsonl --k 1,4,8');
        const ks = (f.k ?? '')
          .split(',')
          .filter((x) => x.trim() !== '')
          .map((x) => Number(x.trim()));
        if (ks.some((k) => !Number.isInteger(k) || k < 1))
          throw usageError(`--k must be positive integers separated by commas, got "${f.k}"`, '--k 1,4,8');
        const grader = new MathGrader({
          timeoutMs: f.timeout,
          workers: f.jsonl || f.vote ? f.workers : 1,
          ...(f.rtol !== undefined ? { relTol: f.rtol } : {}),
        });
        try {
          if (f.vote) {
            const summary = await voteFile(f.vote, grader, { task: f.task, ks, choices: f.choices }, (line) =>
              process.stdout.write(line + '\n'),
            );
            process.stderr.write(summary + '\n');
            return;
          }
          if (f.jsonl) {
            const bad = await gradeFile(f.jsonl, grader, f);
            if (bad > 0) {
              process.stderr.write(`rlmkit: ${bad} line(s) of ${f.jsonl} could not be graded (see their "error" field)\n`);
              process.exitCode = 2;
            }
            return;
          }
          const r = await grader.grade(f.gold!, f.pred!, { choices: f.choices });
          process.stdout.write(JSON.stringify(output(r)) + '\n');
        } finally {
          await grader.close();
        }
      });
  },
};
