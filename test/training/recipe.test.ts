import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRlmkitError, loadConfig, readYamlFile } from '../../src/core/index.js';
import { RecipeSchema } from '../../src/training/recipe.js';
import { repoRoot, runCli } from '../helpers/cli.js';

const recipesDir = path.join(repoRoot, 'recipes');
const load = (file: string, overrides: string[] = []) => loadConfig(RecipeSchema, path.join(recipesDir, file), overrides);

function configMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isRlmkitError(e)) return e.message;
    throw e;
  }
  throw new Error('expected a config error');
}

describe('recipes', () => {
  const files = fs.readdirSync(recipesDir).filter((f) => f.endsWith('.yaml'));

  it('the three required recipes exist and each is documented at the top', () => {
    for (const f of ['game24-x1.yaml', 'countdown-grpo.yaml', 'arith-ppo.yaml']) expect(files).toContain(f);
    for (const f of files) {
      const head = fs.readFileSync(path.join(recipesDir, f), 'utf8').split('\n').slice(0, 4);
      expect(
        head.every((l) => l.startsWith('#')),
        `${f} starts with a comment block`,
      ).toBe(true);
      expect(readYamlFile(path.join(recipesDir, f)).kind).toBe('train');
    }
  });

  it('every recipe validates', () => {
    for (const f of files) expect(() => load(f), f).not.toThrow();
    const ppo = load('arith-ppo.yaml');
    expect(ppo.rl?.advantage).toBe('gae');
    expect(ppo.rl?.critic?.value_clip).toBe(0.2);
    const grpo = load('countdown-grpo.yaml');
    expect(grpo.rl?.clip.high).toBeGreaterThan(grpo.rl!.clip.low);
  });
});

describe('conflicting options fail at config time, naming the conflict', () => {
  it('PPO/GAE without a critic', () => {
    expect(configMessage(() => load('arith-ppo.yaml', ['rl.critic=null']))).toMatch(
      /rl\.critic: conflict: advantage "gae".*needs a critic/,
    );
  });
  it('a critic with a critic-free estimator', () => {
    expect(configMessage(() => load('arith-ppo.yaml', ['rl.advantage=reinforce_pp']))).toMatch(
      /critic is set but advantage "reinforce_pp"/,
    );
  });
  it('dual clip c <= 1', () => {
    expect(configMessage(() => load('arith-ppo.yaml', ['rl.clip.dual=1']))).toMatch(
      /rl\.clip\.dual: conflict: the dual-clip constant c must be greater than 1/,
    );
  });
  it('GRPO with group size 1', () => {
    expect(configMessage(() => load('countdown-grpo.yaml', ['rl.group_size=1']))).toMatch(
      /rl\.group_size: conflict: advantage "grpo".*at least 2/,
    );
  });
  it('KL in both the loss and the reward', () => {
    expect(configMessage(() => load('countdown-grpo.yaml', ['rl.kl_reward.coef=0.01']))).toMatch(
      /KL is placed both in the loss.*and in the reward/,
    );
  });
  it('dynamic sampling with a non-group estimator, clip.high below clip.low, bad overlong window', () => {
    expect(configMessage(() => load('arith-ppo.yaml', ['rl.dynamic_sampling=true']))).toMatch(/dynamic sampling/);
    expect(configMessage(() => load('countdown-grpo.yaml', ['rl.clip.high=0.1']))).toMatch(/clip\.high .* below clip\.low/);
    expect(configMessage(() => load('countdown-grpo.yaml', ['rl.overlong.soft.max_length=100']))).toMatch(
      /exceeds rollout\.max_new_tokens/,
    );
    expect(configMessage(() => load('countdown-grpo.yaml', ['rl.overlong.soft.cache_length=80']))).toMatch(
      /cache_length .* must be below max_length/,
    );
  });
  it('the conflict is also checked inside the x1 phase-2 policy section', () => {
    expect(configMessage(() => load('game24-x1.yaml', ['x1.phase2.policy.group_size=1']))).toMatch(
      /x1\.phase2\.policy\.group_size: conflict/,
    );
  });
  it('a section the pipeline does not read, RL without an init checkpoint, unknown keys', () => {
    expect(configMessage(() => load('countdown-grpo.yaml', ['sft.steps=3']))).toMatch(
      /"sft:" section is set but pipeline "rl" does not read it/,
    );
    expect(configMessage(() => load('countdown-grpo.yaml', ['model.init=null']))).toMatch(/RL from random weights/);
    expect(configMessage(() => load('countdown-grpo.yaml', ['model.d_model=64']))).toMatch(/model\.d_model set together with model\.init/);
    expect(configMessage(() => load('countdown-grpo.yaml', ['rl.eps_clip=0.2']))).toMatch(/unknown key rl\.eps_clip/);
    expect(configMessage(() => load('countdown-grpo.yaml', ['rl.advantage=ppo']))).toMatch(/rl\.advantage: expected one of "grpo"/);
  });
  it('`rlmkit train` refuses a conflicting recipe before any work, exit 2', () => {
    const r = runCli([
      'train',
      '--config',
      'recipes/countdown-grpo.yaml',
      '--set',
      'rl.clip.dual=0.9',
      '--set',
      'run.root=/nonexistent-rlmkit-root',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/rl\.clip\.dual: conflict: the dual-clip constant c must be greater than 1/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('through the CLI: `config print` exits 2 with the message', () => {
    const r = runCli(['config', 'print', 'recipes/arith-ppo.yaml', '--set', 'rl.critic=null']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs a critic/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
