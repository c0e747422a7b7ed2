/**
 * Solver strategies (`multiturn.solver_strategies`): calc-tool's two ways of using the calculator
 * both solve held-out problems through the real environment; a mix draws each SFT example's
 * strategy by weight; unknown strategies, tasks with one solver and non-SFT pipelines are refused
 * with exit 2 naming the field, before a run folder is made.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { initHostWeights, presetConfig } from '../../src/engine/index.js';
import type { RlmkitError } from '../../src/core/errors.js';
import { calcToolTask, calcSolverTurns } from '../../src/tasks/multiturn/calculator-task.js';
import { masksearchTask } from '../../src/tasks/multiturn/masksearch-task.js';
import { multiturnTokenizer, solverStrategies } from '../../src/training/multiturn/pipeline.js';
import { RecipeSchema } from '../../src/training/recipe.js';
import { SolverEpisodes } from '../../src/training/multiturn/sft.js';
import { runCli } from '../helpers/cli.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-mt-strategies-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const tok = multiturnTokenizer();
const config = { ...presetConfig('tiny'), vocabSize: tok.vocabSize, maxSeqLen: 112 };
const start = { config, tokenizer: tok, weights: initHostWeights(config, 0), source: 'init' };

/** The policy lines of an episode (mask 1 runs), as text. */
function policyText(t: { ids: readonly number[]; promptLen: number; mask: readonly number[] }): string {
  return tok.decode(t.ids.slice(t.promptLen).filter((_, k) => t.mask[k] === 1));
}

describe('solver strategies', () => {
  it('calc-tool: stepwise and whole both end right through the environment; an unknown strategy is refused', async () => {
    expect(calcToolTask.solverStrategies).toEqual(['stepwise', 'whole']);
    for (const p of await calcToolTask.problems({ split: 'test', limit: 30 })) {
      for (const strategy of ['stepwise', 'whole']) {
        const actions = calcToolTask.solveTurns!(p, undefined, { strategy })!;
        expect(actions.length).toBe(strategy === 'whole' ? 2 : 3);
        const env = calcToolTask.createEnv(p);
        await env.reset();
        const outs = [];
        for (const a of actions) outs.push(await env.step(a));
        expect(outs.at(-1)!.info.correct, `${p.question} ${strategy}`).toBe(true);
        // every call but the answer returned the calculator's value, never an error
        expect(outs.slice(0, -1).every((o) => /^> -?\d+$/.test(o.observation.trim()))).toBe(true);
      }
    }
    const [p] = await calcToolTask.problems({ split: 'test', limit: 1 });
    expect(() => calcSolverTurns(p, true, 'guess')).toThrow(/no solver strategy "guess".*stepwise, whole/);
  });

  it('a mix draws each example by weight; without one every episode is the default strategy', async () => {
    const problems = await calcToolTask.problems({ split: 'train', limit: 40 });
    const count = async (strategies: { name: string; weight: number }[] | null, n: number) => {
      const eps = new SolverEpisodes(calcToolTask, { start, tools: true, strategies });
      const rng = new Rng(5);
      let whole = 0;
      for (let i = 0; i < n; i++) {
        const p = rng.pick(problems);
        const t = (await eps.get(p, rng))!;
        const lines = policyText(t).trim().split('\n');
        if (lines.length === 2 && lines[0] === `calculator: ${p.question}`) whole++;
        else expect(lines.length, policyText(t)).toBe(3);
        expect(t.correct).toBe(true);
      }
      return whole / n;
    };
    expect(await count(null, 60)).toBe(0);
    expect(await count([{ name: 'stepwise', weight: 1 }], 60)).toBe(0);
    expect(await count([{ name: 'whole', weight: 2 }], 60)).toBe(1);
    // 400 draws at weight 1:3 -> share 0.25 (binomial sd 0.022; bounds are ~4.5 sd)
    const share = await count(
      [
        { name: 'stepwise', weight: 3 },
        { name: 'whole', weight: 1 },
      ],
      400,
    );
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.35);
  });

  it('refuses unknown strategies, a task with one solver, zero weights and pipelines that do not read it', () => {
    const refusal = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as RlmkitError;
      }
      throw new Error('not refused');
    };
    const a = refusal(() => solverStrategies(calcToolTask, { stepwise: 1, guess: 1 }));
    expect(a.message).toMatch(/task calc-tool has no solver strategy "guess" \(it has stepwise, whole\)/);
    expect(a.exitCode).toBe(2);
    expect(refusal(() => solverStrategies(masksearchTask, { whole: 1 })).message).toMatch(
      /task masksearch has no solver strategy "whole" \(it has one solver\)/,
    );
    expect(refusal(() => solverStrategies(calcToolTask, { stepwise: 0, whole: 0 })).message).toMatch(/weights sum to 0/);
    expect(solverStrategies(calcToolTask, { whole: 1, stepwise: 3 })).toEqual([
      { name: 'whole', weight: 1 },
      { name: 'stepwise', weight: 3 },
    ]);
    expect(solverStrategies(calcToolTask, null)).toBeNull();
    const grpo = RecipeSchema.safeParse({
      kind: 'train',
      pipeline: 'multiturn-grpo',
      task: { name: 'calc-tool' },
      model: { init: 'checkpoints/calc-tool-sft/policy.safetensors' },
      multiturn: { solver_strategies: { whole: 1 } },
      rl: { steps: 1 },
    });
    expect(grpo.success).toBe(false);
    const issue = grpo.error!.issues.find((i) => i.path.join('.') === 'multiturn.solver_strategies');
    expect(issue?.message).toMatch(/conflict: solver_strategies shapes the SFT data .*pipeline "multiturn-grpo" does not read it/);
  });

  it('the CLI refuses a bad mix with exit 2 before it creates the run', () => {
    const f = path.join(root, 'bad.yaml');
    fs.writeFileSync(
      f,
      [
        'kind: train',
        'pipeline: multiturn-sft',
        `run: { name: s, root: ${root} }`,
        'task: { name: calc-tool, split: train }',
        'model: { preset: tiny, d_model: 32, n_layers: 1, n_heads: 2, d_ff: 64, max_seq_len: 112 }',
        'multiturn: { solver_strategies: { stepwise: 1, guess: 1 } }',
        'sft: { steps: 1, batch_size: 2 }',
      ].join('\n'),
    );
    const r = runCli(['train', '--config', f], { timeoutMs: 280_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/multiturn.solver_strategies: task calc-tool has no solver strategy "guess"/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(fs.existsSync(path.join(root, 's'))).toBe(false);
  }, 300_000);
});
