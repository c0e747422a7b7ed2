/** The peer runner of `rlmkit bench engine --peers`: a peer that cannot run is reported, not thrown. */
import { afterEach, describe, expect, it } from 'vitest';
import { PEERS, median, peersDir, runPeer } from '../../src/engine/bench-train.js';
import * as fs from 'node:fs';

const saved = process.env.RLMKIT_PYTHON;
afterEach(() => {
  if (saved === undefined) delete process.env.RLMKIT_PYTHON;
  else process.env.RLMKIT_PYTHON = saved;
});

describe('bench engine peers', () => {
  it('ships a script for every peer', () => {
    for (const p of Object.values(PEERS)) expect(fs.existsSync(peersDir() + p.script), p.script).toBe(true);
  });

  it('reports a missing interpreter and a failing script as errors with the way to install', () => {
    process.env.RLMKIT_PYTHON = '/nonexistent/python3';
    expect(runPeer('pytorch-eager', 1, 0)).toMatchObject({ error: expect.stringMatching(/nonexistent/) });
    process.env.RLMKIT_PYTHON = '/bin/false';
    expect(runPeer('jax-jit', 1, 0)).toMatchObject({ error: expect.stringMatching(/failed.*RLMKIT_PEERS=1/) });
  });

  it('takes medians of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
