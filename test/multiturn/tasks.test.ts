/**
 * The multi-turn tasks: solver episodes succeed through the real environments, held-out splits are
 * disjoint from training, the shipped corpus is what its generator makes, rewards follow each
 * task's definition (partial credit, SWE-RL similarity, per-agent credit), and `rlmkit tasks
 * --json` lists the tasks with their tools.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { packagedDataDir } from '../../src/tasks/data.js';
import {
  calcDuoTask,
  calcToolTask,
  generateTownCorpus,
  masksearchTask,
  multiTurnTasks,
  sequenceRatio,
  sweRepairSimTask,
  sweRepairTask,
} from '../../src/tasks/multiturn/index.js';
import { describeTasks, getTask } from '../../src/tasks/registry.js';
import { runCli } from '../helpers/cli.js';

async function play(task: (typeof multiTurnTasks)[number], p: any, actions: string[]) {
  const env = task.createEnv(p);
  await env.reset();
  const outs = [];
  for (const a of actions) outs.push(await env.step(a));
  env.close?.();
  return outs;
}

describe('multi-turn tasks', () => {
  it('solver episodes end correct with reward, and test problems never appear in train', async () => {
    for (const task of multiTurnTasks) {
      const test = await task.problems({ split: 'test', limit: 6 });
      const train = await task.problems({ split: 'train' });
      const trainKeys = new Set(train.map((p) => p.question));
      for (const p of test) {
        expect(trainKeys.has(p.question), `${task.name} ${p.id}`).toBe(false);
        const outs = await play(task, p, task.solveTurns!(p, new Rng(1))!);
        const last = outs.at(-1)!;
        expect(last.done && last.terminated && last.info.correct, `${task.name} ${p.id}`).toBe(true);
        expect(outs.slice(0, -1).every((o) => !o.done)).toBe(true);
      }
      expect(getTask(task.name)).toBe(task);
    }
  }, 120_000);

  it('calc-tool: the arithmetic is out of reach without the tool, and wrong answers score 0', async () => {
    const [p] = await calcToolTask.problems({ split: 'test', limit: 1 });
    expect(calcToolTask.solveTurns!(p, undefined, { tools: false })).toEqual([`answer: ${p.answer}`]);
    const [o] = await play(calcToolTask, p, [`answer: ${BigInt(p.answer!) + 1n}`]);
    expect(o).toMatchObject({ reward: 0, done: true, info: { correct: false } });
    const noTools = calcToolTask.createEnv(p, { tools: false });
    await noTools.reset();
    expect((await noTools.step('calculator: 1+1')).observation).toMatch(/^> error: unknown tool "calculator"; tools: none/);
  });

  it("masksearch: the shipped corpus is the generator's, masks define the level, partial credit per mask", async () => {
    const shipped = readFileSync(path.join(packagedDataDir(), 'corpus/towns.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(shipped).toEqual(generateTownCorpus());
    const test = await masksearchTask.problems({ split: 'test' });
    expect(test.length).toBe(200);
    expect(new Set(test.map((p) => p.data.level))).toEqual(new Set([1, 2, 3]));
    const two = test.find((p) => p.data.level === 2)!;
    expect(two.question.split('[M]').length - 1).toBe(2);
    const [half] = await play(masksearchTask, two, [`answer: ${two.data.masked[0]} wrong`]);
    expect(half).toMatchObject({ reward: 0.25, info: { correct: false } });
    const testTowns = new Set(test.map((p) => p.data.town));
    expect((await masksearchTask.problems({ split: 'train' })).some((p) => testTowns.has(p.data.town))).toBe(false);
  });

  it('swe-repair: tests-pass reward; swe-repair-sim: SWE-RL similarity, -1 for a patch that does not apply', async () => {
    expect(sequenceRatio('abcd', 'bcde')).toBeCloseTo(0.75); // difflib.SequenceMatcher(None, "abcd", "bcde").ratio()
    expect(sequenceRatio('', '')).toBe(1);
    const [p] = await sweRepairTask.problems({ split: 'test', limit: 1 });
    const wrongLine = `${p.data.line}: ${p.data.buggy[p.data.line - 1].trim()}`;
    expect((await play(sweRepairTask, p, [`answer: ${wrongLine}`]))[0]).toMatchObject({ reward: 0, info: { correct: false } });
    const [q] = await sweRepairSimTask.problems({ split: 'test', limit: 1 });
    const sim = (await play(sweRepairSimTask, q, [`answer: ${q.data.line}: ${q.data.buggy[q.data.line - 1].trim()}`]))[0];
    expect(sim.reward).toBeCloseTo(sequenceRatio(q.data.buggy.join('\n'), q.data.fixed.join('\n')));
    expect(sim.reward).toBeGreaterThan(0.8);
    expect(sim.reward).toBeLessThan(1);
    expect((await play(sweRepairSimTask, q, ['answer: no patch here']))[0].reward).toBe(-1);
  }, 60_000);

  it('calc-duo: per-agent credit and the turn passes between solver and checker', async () => {
    const [p] = await calcDuoTask.problems({ split: 'test', limit: 1 });
    const wrong = `${BigInt(p.answer!) + 10n}`;
    const outs = await play(calcDuoTask, p, [`answer: ${wrong}`, 'verdict: accept']);
    expect(outs.map((o) => [o.reward, o.info.nextAgent])).toEqual([
      [0, 'checker'],
      [0, 'checker'],
    ]);
    expect(outs[1]).toMatchObject({ done: true, info: { correct: false } });
    const retry = await play(calcDuoTask, p, [`answer: ${wrong}`, 'verdict: reject', `answer: ${p.answer}`, 'verdict: accept']);
    expect(retry.map((o) => o.reward)).toEqual([0, 1, 1, 1]);
    expect(retry.map((o) => o.info.nextAgent)).toEqual(['checker', 'solver', 'checker', 'checker']);
    expect(retry[3].info.correct).toBe(true);
  });

  it('rlmkit tasks --json lists the multi-turn tasks with their tools', () => {
    const r = runCli(['tasks', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{
      name: string;
      kind: string;
      tools?: Array<{ type: string; function: { name: string; parameters: unknown } }>;
    }>;
    const mt = rows.filter((x) => x.kind === 'multi-turn');
    expect(mt.map((x) => x.name)).toEqual(multiTurnTasks.map((t) => t.name));
    const tools = Object.fromEntries(mt.map((x) => [x.name, x.tools!.map((t) => t.function.name)]));
    expect(tools).toEqual({
      'calc-tool': ['calculator'],
      masksearch: ['search'],
      'swe-repair': ['run_tests', 'javascript'],
      'swe-repair-sim': ['run_tests', 'javascript'],
      'calc-duo': ['calculator'],
    });
    expect(mt[0].tools![0]).toMatchObject({ type: 'function', function: { parameters: { type: 'object', required: ['expression'] } } });
    expect(
      describeTasks()
        .filter((t) => t.kind === 'single-turn')
        .every((t) => t.tools === undefined),
    ).toBe(true);
  });
});
