/**
 * The demo's default strategy table is a fair comparison: every row names a registered strategy
 * with settings it accepts, and each model-free baseline runs the same search, with the same
 * settings, as the learned row it is compared with (only the policy differs); a bad row is refused
 * before the minutes of training.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DemoConfigSchema } from '../../src/cli/demo/config.js';
import { getStrategy, parseSettings } from '../../src/reasoning/strategies/index.js';
import { runCliAsync } from '../helpers/cli.js';

describe('rlmkit demo default strategies', () => {
  const cfg = DemoConfigSchema.parse({});

  it('every row is a registered strategy whose settings validate', () => {
    expect(cfg.strategies.length).toBeGreaterThan(0);
    for (const s of cfg.strategies) expect(() => parseSettings(getStrategy(s.strategy), s.settings), s.label).not.toThrow();
    expect(new Set(cfg.strategies.map((s) => s.label)).size).toBe(cfg.strategies.length);
  });

  it('the model-free MCTS baseline searches exactly like the learned MCTS row', () => {
    const learned = cfg.strategies.filter((s) => s.strategy === 'mcts' && s.policy === 'trained');
    const modelFree = cfg.strategies.filter((s) => s.strategy === 'mcts' && s.policy === 'legal-uniform');
    expect(learned).toHaveLength(1);
    expect(modelFree).toHaveLength(1);
    expect(learned[0].value).toBe(true);
    expect(modelFree[0].value).toBe(false);
    const settings = (s: (typeof learned)[number]) => parseSettings(getStrategy('mcts'), s.settings);
    expect(settings(modelFree[0])).toEqual(settings(learned[0]));
    expect(modelFree[0].budget_tokens).toBe(learned[0].budget_tokens);
  });

  it('a bad strategy row is a usage error before any training starts', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-demo-cfg-'));
    try {
      const config = path.join(root, 'demo.yaml');
      const rows = (settings: string) => `strategies:\n  - { label: wide, strategy: mcts, settings: ${settings} }\n`;
      fs.writeFileSync(config, `kind: demo\nrun: { root: ${JSON.stringify(root)} }\n${rows('{ widen: -1 }')}`);
      const bad = await runCliAsync(['demo', '--config', config]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/invalid settings for strategy mcts: widen/);
      expect(fs.existsSync(path.join(root, 'demo'))).toBe(false);

      fs.writeFileSync(config, `kind: demo\nrun: { root: ${JSON.stringify(root)} }\n${rows('{}')}`.replace('mcts', 'no-such-search'));
      const unknown = await runCliAsync(['demo', '--config', config]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/unknown strategy "no-such-search"/);
      expect(fs.existsSync(path.join(root, 'demo'))).toBe(false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});
