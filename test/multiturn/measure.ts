/**
 * Measurement script (not a test): held-out success of multi-turn policies on the same problems,
 * with paired 95% bootstrap intervals against a baseline (src/eval's pairedDifference).
 *
 *   npx tsx test/multiturn/measure.ts --task calc-tool --n 300 \
 *     --run sft=runs/calc-tool-sft --run rl=runs/calc-tool-grpo --run notool=runs/calc-notool-sft:notools \
 *     [--temperature 1 --samples 4] [--show 2] [--headroom 16] [--by-calls 4]
 *
 * The first --run is the baseline. A ":notools" suffix evaluates that policy without tools. A MARFT
 * run with separate weights is evaluated with each agent's own policy.
 */
import { loadCheckpoint, tokenizerFromSpec } from '../../src/engine/index.js';
import { pairedDifference } from '../../src/eval/stats.js';
import { resolveCheckpoint } from '../../src/training/models.js';
import { evaluateEpisodes } from '../../src/training/multiturn/eval.js';
import { resolveMultiturnTask } from '../../src/training/multiturn/pipeline.js';
import { rolloutEpisodes } from '../../src/training/multiturn/rollout.js';
import { makeSampler } from '../../src/training/rollout-sampler.js';

const argv = process.argv.slice(2);
const opt = (k: string, d?: string) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 ? argv[i + 1] : d;
};
const runs = argv.flatMap((a, i) => (a === '--run' ? [argv[i + 1]] : []));
const task = resolveMultiturnTask(opt('task', 'calc-tool')!);
const n = Number(opt('n', '200'));
const temperature = Number(opt('temperature', '0'));
const samples = Number(opt('samples', '1'));
const problems = await task.problems({ split: 'test', limit: n });
const results: Array<{ name: string; per: number[]; success: number; turns: number; calls: number }> = [];
for (const spec of runs) {
  const [name, rest] = spec.split('=');
  const [where, flag] = rest.split(':');
  const ck = loadCheckpoint(resolveCheckpoint(where));
  const tok = tokenizerFromSpec(ck.tokenizer);
  const o = {
    tok,
    maxTurnTokens: Number(opt('max-turn-tokens', '32')),
    maxSeqLen: ck.config.maxSeqLen,
    tools: flag !== 'notools',
    temperature,
    samples,
    seed: 11,
  };
  const t0 = Date.now();
  const models = [{ weights: ck.weights, config: ck.config }];
  // MARFT runs with separate weights name one policy per agent (policy, policy_<agent>)
  for (const agent of task.agents.slice(1)) {
    try {
      const other = loadCheckpoint(resolveCheckpoint(where, `policy_${agent}`));
      models.push({ weights: other.weights, config: other.config });
    } catch {
      break; // one shared model
    }
  }
  const r = await evaluateEpisodes(task, problems, models, o);
  results.push({ name, per: r.perProblem, success: r.success, turns: r.meanTurns, calls: r.meanToolCalls });
  console.log(
    `${name}: success ${(100 * r.success).toFixed(1)}% on ${problems.length} problems (T=${temperature}, ${samples} per problem), turns ${r.meanTurns.toFixed(2)}, tool calls ${r.meanToolCalls.toFixed(2)}, truncated ${(100 * r.truncatedShare).toFixed(1)}%, ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  // --headroom K: what RL can reach by sampling. Of the problems the greedy policy fails, how many
  // have at least one right episode among K samples at T=1 (a group of K then has a positive
  // advantage to learn from); problems with none give group-relative RL no signal at all.
  const headroom = Number(opt('headroom', '0'));
  if (headroom) {
    const greedy = await evaluateEpisodes(task, problems, models, { ...o, temperature: 0, samples: 1 });
    const sampled = await evaluateEpisodes(task, problems, models, { ...o, temperature: 1, samples: headroom, seed: 3 });
    const fails = greedy.perProblem.map((g, i) => ({ g, s: sampled.perProblem[i] })).filter((x) => x.g === 0);
    const reachable = fails.filter((x) => x.s > 0).length;
    const never = sampled.perProblem.filter((x) => x === 0).length;
    const always = sampled.perProblem.filter((x) => x === 1).length;
    console.log(
      `${name} headroom: greedy ${(100 * greedy.success).toFixed(1)}%; T=1 ${(100 * sampled.success).toFixed(1)}% (${headroom} per problem); greedy fails ${fails.length}, of which ${reachable} have a right sample; ${never} problems with no right sample in ${headroom}, ${always} with all right`,
    );
  }
  // --by-calls K: K episodes per problem at T=1, success grouped by the number of tool calls (on
  // calc-tool, 1 call = the `whole` strategy, 2 = `stepwise`): which way the policy chooses, and
  // how often each way is right.
  const byCalls = Number(opt('by-calls', '0'));
  if (byCalls) {
    const s = await makeSampler(ck.weights, ck.config, 'onnx');
    const rep = problems.flatMap((p) => Array<typeof p>(byCalls).fill(p));
    const ts = await rolloutEpisodes(
      task,
      rep,
      rep.map((_, i) => Math.floor(i / byCalls)),
      { ...o, temperature: 1, seed: 7, samplers: [s] },
    );
    s.dispose();
    const groups = new Map<number, { n: number; right: number }>();
    for (const t of ts) {
      const g = groups.get(t.toolCalls) ?? { n: 0, right: 0 };
      g.n++;
      g.right += t.correct ? 1 : 0;
      groups.set(t.toolCalls, g);
    }
    const parts = [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([k, g]) => `${k} calls: ${g.n} episodes, ${g.right} right`);
    console.log(`${name} by tool calls (T=1, ${byCalls} per problem): ${parts.join('; ')}`);
  }
  const show = Number(opt('show', '0'));
  if (show) {
    const s = await makeSampler(ck.weights, ck.config, 'onnx');
    const ts = await rolloutEpisodes(
      task,
      problems.slice(0, show),
      problems.slice(0, show).map((_, i) => i),
      { ...o, samplers: [s] },
    );
    for (const t of ts) console.log(JSON.stringify(tok.decode(t.ids)), t.correct, 'answer', t.problem.answer);
    s.dispose();
  }
}
const base = results[0];
const acc = (r: (typeof results)[number]) => r.per.map((x, i) => ({ problemId: problems[i].id, n: 1, correct: x }));
for (const r of results.slice(1)) {
  const d = pairedDifference(acc(base), acc(r), { seed: 1 });
  console.log(
    `${r.name} - ${base.name}: ${(100 * d.difference.mean).toFixed(1)} points, paired 95% CI [${(100 * d.difference.lo).toFixed(1)}, ${(100 * d.difference.hi).toFixed(1)}] (better on ${d.better}, worse on ${d.worse}, same ${d.same})`,
  );
}
