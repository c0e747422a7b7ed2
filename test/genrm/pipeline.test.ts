/**
 * pipeline: genrm at toy size (recipes/game24-genrm.yaml, shrunk): candidates from the shipped
 * policy, stage 1 (critique distillation), stage 2 (GRPO on verdict = label), the ORM baseline;
 * then the trained judge as a RewardModel, as the `genrm` reward term, as a best-of-N search scorer,
 * and `runGenrmBench` on a few held-out puzzles.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOverrides, readJsonl, readYamlFile } from '../../src/core/index.js';
import { loadCheckpoint, tokenizerFromSpec } from '../../src/engine/index.js';
import { loadPolicy } from '../../src/models/spec.js';
import { solve } from '../../src/reasoning/solve.js';
import { GenerativeJudge, buildReward, openGenrmJudge, parseJudgement, teacherCritique } from '../../src/rewards/index.js';
import { game24Task } from '../../src/tasks/games/game24.js';
import type { Problem } from '../../src/tasks/types.js';
import { RecipeSchema, runRecipe } from '../../src/training/index.js';
import { runGenrmBench } from '../../src/training/genrm/bench.js';
import { judgeSplit } from '../../src/training/genrm/data.js';
import { repoRoot } from '../helpers/cli.js';

const shipped = path.join(repoRoot, 'checkpoints/game24-sft/policy.safetensors');
let root: string;
let result: Awaited<ReturnType<typeof runRecipe>>;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-genrm-'));
  const raw = applyOverrides(readYamlFile(path.join(repoRoot, 'recipes/game24-genrm.yaml')), [
    `run.root=${root}`,
    'run.name=toy',
    `model.init=${shipped}`,
    'log_every=1',
    'genrm.puzzles=24',
    'genrm.samples=4',
    'genrm.validation=8',
    'sft.steps=80',
    'sft.batch_size=32',
    'sft.optim.lr=0.002',
    'sft.optim.warmup_steps=5',
    'rl.steps=2',
    'rl.prompts_per_step=4',
    'rl.group_size=4',
    'rl.eval_problems=8',
    'rl.eval_every=2',
    'value.steps=4',
    'value.batch_size=8',
  ]);
  result = await runRecipe(RecipeSchema.parse(raw), { progress: 'silent' });
}, 900_000);

afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('pipeline genrm (toy size)', () => {
  it('writes the stage-1 judge, the stage-2 judge and the ORM', () => {
    expect(result.pipeline).toBe('genrm');
    for (const k of ['judge', 'judge_sft', 'orm']) expect(fs.existsSync(result.checkpoints[k]), k).toBe(true);
    expect(result.checkpoints.judge).toMatch(/checkpoints[/\\]rl[/\\]/);
    expect(result.checkpoints.judge_sft).toMatch(/checkpoints[/\\]distill[/\\]/);
    const ck = loadCheckpoint(result.checkpoints.judge);
    const tok = tokenizerFromSpec(ck.tokenizer);
    expect(ck.config.maxSeqLen).toBe(160);
    expect(() => tok.encode('12 (4 6 12) ok;? no#Y#N>')).not.toThrow();
    // the policy's ids are unchanged in the judge's vocabulary
    const policyTok = tokenizerFromSpec(loadCheckpoint(shipped).tokenizer);
    expect(tok.encode('4 4 6 8|4+8=12 (4 6 12)')).toEqual(policyTok.encode('4 4 6 8|4+8=12 (4 6 12)'));
    expect(loadCheckpoint(result.checkpoints.orm).config.valueHead).toBe(true);
  });

  it('trains on balanced candidates of non-held-out puzzles, each with the teacher critique of its steps', async () => {
    const rows = readJsonl<{ problem: Problem; steps: string[]; label: string; critique: string; part: string }>(
      path.join(root, 'toy', 'genrm-candidates.jsonl'),
    );
    expect(rows.length).toBeGreaterThan(4);
    expect(rows.filter((r) => r.label === 'correct').length).toBe(rows.filter((r) => r.label === 'wrong').length);
    const held = new Set((await judgeSplit(game24Task, 6)).heldOut.map((p) => p.id));
    for (const r of rows) {
      expect(held.has(r.problem.id)).toBe(false);
      const data = r.problem.data as { numbers: number[] };
      expect(r.critique).toBe(teacherCritique(data.numbers, r.steps, { useAll: true, integerOnly: false, target: { n: 24n, d: 1n } }).text);
      const v = await game24Task.verify(game24Task.extractAnswer(r.steps.join('\n'), r.problem as never), r.problem as never);
      expect(v.correct ? 'correct' : 'wrong').toBe(r.label);
    }
    expect(rows.some((r) => r.part === 'validation')).toBe(true);
  });

  it('stage 1 lowers the distillation loss and stage 2 logs its verdict-match reward', () => {
    const metrics = readJsonl<Record<string, number | string>>(path.join(root, 'toy', 'metrics.jsonl'));
    const distill = metrics.filter((m) => m.phase === 'distill' && typeof m.loss === 'number');
    expect(distill.length).toBeGreaterThan(10);
    expect(distill[distill.length - 1].loss as number).toBeLessThan((distill[0].loss as number) / 2);
    const rl = metrics.filter((m) => m.phase === 'rl' && typeof m.reward === 'number');
    expect(rl.length).toBeGreaterThan(0);
    for (const m of rl) expect(m.reward as number).toBeGreaterThanOrEqual(0);
  });

  it('the judge writes critiques and verdicts; the score is P(Y) exactly when a verdict is readable', async () => {
    const judge = await openGenrmJudge(`embedded:${result.checkpoints.judge}`);
    try {
      const [p] = await game24Task.problems({ split: 'test', limit: 1 });
      const steps = game24Task.solve!(p)!;
      const sols = [
        { prompt: game24Task.renderPlain(p), steps },
        { prompt: game24Task.renderPlain(p), steps: [...steps.slice(0, -1), steps[steps.length - 1].replace(/=\d+/, '=25')] },
      ];
      const js = await judge.judge(sols);
      expect(js).toHaveLength(2);
      for (const j of js) {
        expect(parseJudgement(j.reply).verdict).toBe(j.verdict);
        if (j.verdict === null) expect(j.score).toBeNaN();
        else {
          expect(j.score).toBeGreaterThanOrEqual(0);
          expect(j.score).toBeLessThanOrEqual(1);
        }
      }
      const readable = js.filter((j) => j.verdict !== null);
      expect(readable.length).toBeGreaterThan(0);
      // the outcome contract returns the same scores as judge()
      const scores = await judge.outcome(sols);
      scores.forEach((s, i) => (Number.isNaN(js[i].score) ? expect(s).toBeNaN() : expect(s).toBeCloseTo(js[i].score, 6)));
    } finally {
      await judge.close();
    }
  });

  it('the genrm reward term pays the verdict, and onUnparseable for an unreadable one', async () => {
    const [p] = await game24Task.problems({ split: 'test', limit: 1 });
    const steps = game24Task.solve!(p)!;
    const reward = buildReward(
      { terms: [{ type: 'genrm', judge: `embedded:${result.checkpoints.judge}`, onUnparseable: -0.5 }] },
      { task: game24Task },
    );
    const got = await reward.evaluate({ problem: p, completion: steps.join('\n') });
    const judge = await openGenrmJudge(`embedded:${result.checkpoints.judge}`);
    try {
      const [j] = await judge.judge([{ prompt: game24Task.renderPlain(p), steps }]);
      expect(got.total).toBe(j.verdict === null ? -0.5 : j.verdict === 'correct' ? 1 : 0);
    } finally {
      await judge.close();
    }
  });

  it('scores best-of-N candidates as the outcome reward model of a search', async () => {
    const policy = await loadPolicy(`embedded:${shipped}`);
    const judge = new GenerativeJudge(await loadPolicy(`embedded:${result.checkpoints.judge}`));
    try {
      const [p] = await game24Task.problems({ split: 'train', limit: 1 });
      const r = await solve(p, {
        task: game24Task,
        strategy: 'best-of-n',
        settings: { n: 8, scorer: 'orm' },
        models: { policy, reward: judge },
      });
      const scored = r.graph.nodes.filter((n) => n.scores.orm !== undefined);
      expect(scored.length).toBeGreaterThan(0);
      for (const n of scored) expect(Number.isNaN(n.scores.orm!) || (n.scores.orm! >= 0 && n.scores.orm! <= 1)).toBe(true);
    } finally {
      await policy.close?.();
      await judge.close();
    }
  });

  it('bench genrm measures both stages and best-of-N against the ORM on held-out puzzles', async () => {
    const r = await runGenrmBench({
      run: path.join(root, 'toy'),
      judge: null,
      judgeSft: null,
      orm: null,
      policy: shipped,
      task: 'game24',
      puzzles: 3,
      ns: [2, 4],
      heldOutEvery: 6,
      seed: 0,
    });
    expect(r.puzzles).toBe(3);
    expect(Object.keys(r.judges).sort()).toEqual(['stage1', 'stage2']);
    for (const j of Object.values(r.judges)) {
      expect(j.candidates).toBe(12);
      expect(j.agreement.mean).toBeGreaterThanOrEqual(0);
      expect(j.agreement.mean).toBeLessThanOrEqual(1);
      expect(j.agreement.lo).toBeLessThanOrEqual(j.agreement.mean);
    }
    expect(r.best_of_n.map((b) => b.n)).toEqual([2, 4]);
    for (const b of r.best_of_n) {
      // selection can never beat the oracle
      expect(b.genrm.mean).toBeLessThanOrEqual(b.pass_at_n + 1e-9);
      expect(b.orm!.mean).toBeLessThanOrEqual(b.pass_at_n + 1e-9);
      expect(b.genrm_minus_orm!.problems).toBe(3);
    }
    expect(r.stage2_minus_stage1!.problems).toBe(3);
  });
});
