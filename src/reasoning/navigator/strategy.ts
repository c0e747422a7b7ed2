/**
 * `rlot`: a search driven by the RL-of-Thoughts navigator (navigator.ts) over the logic blocks of
 * blocks.ts, or by one fixed block (`fixed: reason | decompose | debate | refine | terminate`, the
 * baselines RLoT compares with). With a value model (`--value`) the blocks rank candidate steps by it
 * and the navigator reads it; without one those features are neutral. The episode ends when the rule verifier accepts a finished chain,
 * when `terminate` commits, after `max_blocks` decisions, or when the budget runs out.
 *
 *   rlmkit solve --task game24 --strategy rlot --set navigator=navigator.json \
 *     --model embedded:checkpoints/game24-sft/policy.safetensors --value embedded:value.safetensors
 */
import * as fs from 'node:fs';
import { z } from 'zod';
import { usageError } from '../../core/errors.js';
import type { SearchContext } from '../context.js';
import { type Strategy, type StrategyResult, defineStrategy } from '../strategy.js';
import { BLOCKS, type Block, type EpisodeState, allowedBlocks, applyBlock, features, observe, startState } from './blocks.js';
import { Navigator } from './navigator.js';

/** Picks a block index given the features and the allowed mask (a navigator, a fixed block, a sampler). */
export type Chooser = (x: number[], allowed: boolean[]) => number;

export interface Decision {
  x: number[];
  allowed: boolean[];
  a: number;
}

const states = new WeakMap<SearchContext, EpisodeState>();

/** A fixed strategy: always `block`; where it cannot apply, back up one step (or stop at the root). */
export function fixedChooser(block: Block): Chooser {
  const want = BLOCKS.indexOf(block);
  const refine = BLOCKS.indexOf('refine');
  return (_x, allowed) => (allowed[want] ? want : allowed[refine] ? refine : -1);
}

export function navigatorChooser(nav: Navigator, o: { sample?: boolean; rng?: { next(): number } } = {}): Chooser {
  return (x, allowed) => nav.choose(x, { allowed, sample: o.sample, rng: o.rng });
}

export function loadNavigator(file: string): Navigator {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw usageError(`cannot read navigator weights ${file}`, 'train one with `rlmkit bench rlot --out <file>`');
  }
  try {
    return Navigator.fromJSON(JSON.parse(text));
  } catch (e) {
    throw usageError(`${file} is not navigator weights: ${(e as Error).message}`, 'use a file written by `rlmkit bench rlot --out`');
  }
}

const settings = {
  /** Navigator weights (JSON from `rlmkit bench rlot --out`); empty: `fixed` must be set. */
  navigator: z.string().default(''),
  /** A fixed block instead of the navigator (the baselines). */
  fixed: z.enum(['none', ...BLOCKS]).default('none'),
  temperature: z.number().min(0).max(5).default(1),
  /** The completion-token budget the features measure against (give the same as the solve's budget). */
  budgetTokens: z.number().int().positive().default(240),
  maxBlocks: z.number().int().positive().max(1000).default(40),
};

/** The rlot strategy with a given chooser (training samples; `onDecision` records each choice). */
export function makeRlotStrategy(choose: Chooser | null, onDecision?: (d: Decision) => void): Strategy {
  return defineStrategy({
    name: 'rlot',
    summary:
      'RL of Thoughts: a 293-parameter navigator reads value-model and budget features and picks logic blocks (reason, decompose, debate, refine, terminate)',
    structure: 'tree',
    settings,
    async run(ctx, s): Promise<StrategyResult> {
      let chooser = choose;
      if (!chooser) {
        if (s.fixed !== 'none') chooser = fixedChooser(s.fixed);
        else if (s.navigator) chooser = navigatorChooser(loadNavigator(s.navigator));
        else
          throw usageError(
            'rlot needs a navigator or a fixed block',
            'set navigator=<weights.json> or fixed=reason|decompose|debate|refine|terminate',
          );
      }
      const g = ctx.structure('tree');
      const st = startState(g.root);
      states.set(ctx, st);
      for (let t = 0; t < s.maxBlocks && !st.done; t++) {
        const allowed = allowedBlocks(st);
        if (!allowed.some(Boolean)) break;
        await observe(ctx, st);
        const x = features(ctx, st, s.budgetTokens);
        const a = chooser(x, allowed);
        if (a < 0 || !allowed[a]) break;
        onDecision?.({ x, allowed, a });
        await applyBlock(ctx, st, BLOCKS[a], s.temperature);
      }
      return result(st);
    },
    best(ctx) {
      const st = states.get(ctx);
      return st ? result(st) : { node: null, answer: null };
    },
  });
}

function result(st: EpisodeState): StrategyResult {
  const node = st.solved ?? st.lastTerminal;
  return { node, answer: node?.answer ?? null };
}

/** The registered `rlot` strategy (navigator from settings). */
export const rlot = makeRlotStrategy(null);
