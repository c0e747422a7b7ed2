/**
 * Chain-of-thought (Wei et al. 2022): one chain of steps, each step the policy's greedy choice
 * (temperature 0) or a sample. The baseline every search must beat at equal tokens.
 */
import { z } from 'zod';
import { rollout } from '../operators/generate.js';
import { defineStrategy } from '../strategy.js';

export const cot = defineStrategy({
  name: 'cot',
  summary: 'chain-of-thought: one chain, greedy or sampled',
  structure: 'chain',
  settings: {
    /** greedy = temperature 0; sample = `temperature`. */
    decoding: z.enum(['greedy', 'sample']).default('greedy'),
    temperature: z.number().min(0).max(5).default(0.8),
  },
  async run(ctx, s) {
    const g = ctx.structure('chain');
    const [end] = await rollout(ctx, [g.root], s.decoding === 'greedy' ? 0 : s.temperature);
    return { node: end, answer: end.terminal ? end.answer : null };
  },
  best(ctx) {
    // The chain so far; an unfinished chain has no answer.
    const last = ctx.graph.nodes[ctx.graph.nodes.length - 1];
    return { node: last ?? null, answer: last?.terminal ? last.answer : null };
  },
});
