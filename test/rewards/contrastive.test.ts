/**
 * The contrastive goal reward (src/rewards/contrastive.ts) and the OpenAI-compatible embeddings
 * client (src/models/embeddings.ts): the equations' fixed points, a real local /v1/embeddings server
 * (a bag-of-words embedder) scoring texts by goal vs baseline, the `contrastive` term of the YAML
 * registry, and clear errors for bad specs and bad server answers.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddings } from '../../src/models/embeddings.js';
import { ContrastiveGoalReward, contrastiveReward, normalize } from '../../src/rewards/contrastive.js';
import { buildReward } from '../../src/rewards/registry.js';

const WORDS = ['red', 'blue', 'ball', 'table', 'on', 'the', 'a', 'cube'];
/** A deterministic embedder: word counts over a small vocabulary, plus one constant dimension. */
const bow = (text: string) => [
  ...WORDS.map(
    (w) =>
      text
        .toLowerCase()
        .split(/\W+/)
        .filter((x) => x === w).length,
  ),
  0.1,
];

let url = '';
let server: http.Server;
let mode: 'ok' | 'short' = 'ok';
beforeAll(async () => {
  server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () => {
      const body = JSON.parse(data) as { model: string; input: string[] };
      res.setHeader('content-type', 'application/json');
      const input = mode === 'short' ? body.input.slice(1) : body.input;
      res.end(
        JSON.stringify({
          object: 'list',
          model: body.model,
          data: input.map((t, index) => ({ object: 'embedding', index, embedding: bow(t) })),
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe('contrastive goal reward', () => {
  const g = [1, 0, 0];
  const b = [0, 1, 0];

  it('projected: 1 at the goal for any alpha; alpha 0 is the cosine; alpha 1 keeps only the goal direction', () => {
    for (const alpha of [0, 0.3, 1]) expect(contrastiveReward(g, g, b, { alpha })).toBeCloseTo(1, 12);
    const s = [0.6, 0.2, 0.5];
    const cos = normalize(s)[0];
    expect(contrastiveReward(s, g, b, { alpha: 0 })).toBeCloseTo(cos, 12);
    // At alpha 1 only the position along the baseline-to-goal line counts: two unit states with the
    // same component along g − b score the same, though their cosines to the goal differ.
    const s1 = [0.6, 0, 0.8];
    const s2 = [0.8, 0.2, Math.sqrt(1 - 0.64 - 0.04)];
    expect(contrastiveReward(s1, g, b, { alpha: 1 })).toBeCloseTo(contrastiveReward(s2, g, b, { alpha: 1 }), 12);
    expect(contrastiveReward(s1, g, b, { alpha: 0 })).not.toBeCloseTo(contrastiveReward(s2, g, b, { alpha: 0 }), 3);
    expect(contrastiveReward([0, 1, 0], g, b, { alpha: 1 })).toBeLessThan(contrastiveReward([1, 0, 0], g, b, { alpha: 1 }));
  });

  it('clg: cos(s, goal) − cos(s, baseline)', () => {
    expect(contrastiveReward([3, 0, 0], g, b, { mode: 'clg' })).toBeCloseTo(1, 12);
    expect(contrastiveReward([0, 2, 0], g, b, { mode: 'clg' })).toBeCloseTo(-1, 12);
    expect(contrastiveReward([1, 1, 0], g, b, { mode: 'clg' })).toBeCloseTo(0, 12);
    expect(() => contrastiveReward([1, 0], g, b)).toThrow(/sizes differ/);
  });

  it('over a real /v1/embeddings server: texts nearer the goal than the baseline score higher', async () => {
    const r = new ContrastiveGoalReward(openEmbeddings(`${url}#bow`), 'a red ball', 'a blue cube', { mode: 'clg' });
    const [near, far, neutral] = await r.score(['the red ball on the table', 'a blue cube', 'the table']);
    expect(near).toBeGreaterThan(neutral);
    expect(neutral).toBeGreaterThan(far);
  });

  it('is a term of the YAML registry', async () => {
    const reward = buildReward({
      terms: [{ type: 'contrastive', embeddings: `${url}#bow`, goal: 'red ball', baseline: 'blue cube', alpha: 0.5 }],
    });
    const a = await reward.evaluate({ problem: { id: 'x', question: '' }, completion: 'a red ball' });
    const c = await reward.evaluate({ problem: { id: 'x', question: '' }, completion: 'a blue cube' });
    expect(a.total).toBeGreaterThan(c.total);
  });

  it('bad specs and bad server answers are clear errors', async () => {
    expect(() => openEmbeddings('not a url')).toThrow(/bad embeddings spec/);
    mode = 'short';
    await expect(openEmbeddings(`${url}#bow`).embed(['a', 'b'])).rejects.toThrow(/returned 1 embeddings for 2 inputs/);
    mode = 'ok';
    await expect(openEmbeddings('http://127.0.0.1:9/v1#x').embed(['a'])).rejects.toThrow(/cannot reach the embedding server/);
  });
});
