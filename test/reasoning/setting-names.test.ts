/**
 * Strategy setting names: snake_case is what users write and what help and errors show; camelCase
 * is still accepted; one setting in both spellings is refused. Checked through the library, the
 * CLI (`--set`) and the listing (`rlmkit strategies --json`).
 */
import { describe, expect, it } from 'vitest';
import { isRlmkitError } from '../../src/core/errors.js';
import { canonicalSettings, describeSettings, getStrategy, parseSettings, strategies } from '../../src/reasoning/strategies/index.js';
import { runCliAsync } from '../helpers/cli.js';

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('strategy setting names', () => {
  const beam = getStrategy('beam');

  it('reads snake_case and camelCase alike, into the same parsed settings', () => {
    const snake = parseSettings(beam, { beam_width: 2, max_depth: 5, rule_check: false });
    const camel = parseSettings(beam, { beamWidth: 2, maxDepth: 5, ruleCheck: false });
    expect(snake).toEqual(camel);
    expect(snake).toMatchObject({ beamWidth: 2, maxDepth: 5, ruleCheck: false });
  });

  it('refuses one setting in both spellings, naming it in snake_case', () => {
    const e = errorOf(() => parseSettings(beam, { beam_width: 2, beamWidth: 3 }));
    expect(isRlmkitError(e) && e.kind).toBe('usage');
    expect(e.message).toMatch(/beam_width is given twice \(as beam_width and as beamWidth\)/);
    expect(() => canonicalSettings({ max_depth: 1, maxDepth: 2 })).toThrow(/max_depth is given twice/);
  });

  it('names a bad setting in snake_case, whichever spelling was used', () => {
    for (const raw of [{ beam_width: 0 }, { beamWidth: 0 }]) {
      const e = errorOf(() => parseSettings(beam, raw));
      expect(isRlmkitError(e) && e.kind).toBe('usage');
      expect(e.message).toMatch(/beam_width: /);
      expect(e.message).not.toMatch(/beamWidth/);
    }
    expect(() => parseSettings(beam, { beam_widht: 2 })).toThrow(/beam_widht/);
  });

  it('lists every setting of every strategy in snake_case', () => {
    for (const s of strategies) for (const row of describeSettings(s)) expect(row.name, s.name).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(describeSettings(getStrategy('mcts')).map((r) => r.name)).toEqual(
      expect.arrayContaining(['max_depth', 'step_max_tokens', 'rule_check', 'q_model', 'stop_when_solved', 'terminal_check']),
    );
  });

  it('canonicalSettings keys settings by their snake_case names, for merging', () => {
    expect({ rule_check: true, ...canonicalSettings({ ruleCheck: false, k: 2 }) }).toEqual({ rule_check: false, k: 2 });
  });

  it('the CLI takes --set in snake_case and names a bad one in snake_case (exit 2)', async () => {
    const args = ['solve', '--task', 'game24', '--strategy', 'tot-dfs', '--model', 'legal-uniform', '--problem', '4 4 6 8'];
    const ok = await runCliAsync([...args, '--set', 'k=8', '--set', 'max_depth=4', '--set', 'rule_check=true']);
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await runCliAsync([...args, '--set', 'max_depth=0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/max_depth: /);
    expect(bad.stderr).not.toMatch(/maxDepth/);
    const listed = await runCliAsync(['strategies', 'beam', '--json']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/"beam_width"/);
  });
});
