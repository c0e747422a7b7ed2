/**
 * The grader against other graders' public test suites (test/tasks/grader-peer-suites.ts): every
 * case agrees with its source's label except the listed, reasoned disagreements, and each listed
 * disagreement is still one (so the list cannot go stale).
 */
import { describe, expect, it } from 'vitest';
import { gradeSync } from '../../src/tasks/grader/index.js';
import { PEER_DISAGREEMENTS, PEER_SUITES, peerKey } from './grader-peer-suites.js';

const short = (s: string) => JSON.stringify(s.length > 70 ? `${s.slice(0, 67)}...` : s);

describe.each(Object.entries(PEER_SUITES))('peer grader suite: %s', (suite, { cases }) => {
  for (const [gold, pred, expected, options] of cases) {
    const why = PEER_DISAGREEMENTS[peerKey(suite, gold, pred)];
    it(`${short(gold)} vs ${short(pred)}: source says ${expected ? 'correct' : 'not correct'}${why ? ' (rlmkit differs)' : ''}`, () => {
      const r = gradeSync(gold, pred, options);
      const detail = `${r.verdict}: ${r.reason}; gold ${r.gold.normalized}, pred ${r.pred.normalized} (${r.pred.method})`;
      if (why) expect(r.verdict === 'correct', `listed as a disagreement (${why}) but now agrees: ${detail}`).toBe(!expected);
      else expect(r.verdict === 'correct', detail).toBe(expected);
    });
  }
});

describe('peer suites bookkeeping', () => {
  it('every listed disagreement names a case of its suite', () => {
    const keys = new Set(Object.entries(PEER_SUITES).flatMap(([s, { cases }]) => cases.map(([g, p]) => peerKey(s, g, p))));
    expect(Object.keys(PEER_DISAGREEMENTS).filter((k) => !keys.has(k))).toEqual([]);
  });
  it('a rejected prediction with nothing to read is unparseable, not wrong', () => {
    expect(gradeSync('42', 'no box here').verdict).toBe('unparseable');
    expect(gradeSync('', '<think>...</think>\nThe answer is \\boxed{}.').verdict).toBe('unparseable');
  });
});
