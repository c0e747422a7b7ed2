/**
 * The reward service scores image-to-SVG pairs by rendering (src/tasks/svg, src/rewards/render.ts):
 * OpenRLHF's /get_reward and verl's /compute_score with svg labels (a bitmap or a PNG data URL),
 * graded rewards (pixel IoU), hostile SVG scored 0 without stalling, malformed labels 400, and a
 * reward recipe with the render term.
 */
import { Resvg } from '@resvg/resvg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RewardScorer } from '../../src/serve/reward/scorer.js';
import { type RunningRewardServer, startRewardServer } from '../../src/serve/reward/server.js';

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

const bitmap = '####..../####..../......../......../......../......../......../........';
const exact = '<svg viewBox="0 0 8 8"><rect x="0" y="0" width="4" height="2"/></svg>';
const half = 'Here it is: <svg viewBox="0 0 8 8"><rect x="0" y="0" width="2" height="2"/></svg>';

describe('reward service: render rewards', () => {
  let server: RunningRewardServer;
  beforeAll(async () => {
    server = await startRewardServer({ scorer: new RewardScorer(), port: 0 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('OpenRLHF /get_reward: graded rewards from bitmap and PNG targets; hostile SVG scores 0', async () => {
    const png = new Resvg(`<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="4" height="2"/></svg>`, {
      background: 'white',
    })
      .render()
      .asPng()
      .toString('base64');
    const bomb = `<svg viewBox="0 0 8 8">${'<g>'.repeat(100)}${'</g>'.repeat(100)}</svg>`;
    const t0 = performance.now();
    const res = await post(`${server.url}/get_reward`, {
      query: [exact, half, bomb, '<svg><image href="/etc/passwd"/></svg>', exact],
      labels: [
        JSON.stringify({ task: 'svg', target: bitmap }),
        JSON.stringify({ task: 'svg', target: bitmap }),
        JSON.stringify({ task: 'svg', target: bitmap }),
        JSON.stringify({ task: 'svg', target: bitmap }),
        JSON.stringify({ task: 'image-to-svg', target: `data:image/png;base64,${png}` }),
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rewards: number[]; scores: number[]; extra_logs: { correct: number[] } };
    expect(body.rewards).toEqual([1, 0.5, 0, 0, 1]);
    expect(body.extra_logs.correct).toEqual([1, 0, 0, 0, 1]);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('verl /compute_score with data_source svg; malformed targets are 400 naming the sample', async () => {
    const ok = await post(`${server.url}/compute_score`, { data_source: 'svg', solution_str: half, ground_truth: bitmap });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { score: number }).score).toBeCloseTo(0.5, 12);
    for (const label of ['##/#', '#x#', '', { target: 'data:image/png;base64,AAAA' }, { target: bitmap, reference_length: -1 }]) {
      const res = await post(`${server.url}/get_reward`, {
        query: [exact],
        labels: [typeof label === 'string' ? label : JSON.stringify({ task: 'svg', ...label })],
        task: 'svg',
      });
      const bad =
        res.status === 400
          ? res
          : await post(`${server.url}/compute_score`, { data_source: 'svg', solution_str: exact, ground_truth: label });
      expect(bad.status, JSON.stringify(label)).toBe(400);
      expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/svg|target|bitmap|label/i);
    }
  });

  it('a reward recipe with the render term (IoU + RLRF length + validity)', async () => {
    const scorer = new RewardScorer({ reward: { terms: [{ type: 'render', iouWeight: 1, validWeight: 0.1, lengthWeight: 0.2 }] } });
    const [a, b] = await scorer.score([
      { source: 'svg', label: { target: bitmap, reference_length: exact.length }, response: exact },
      { source: 'svg', label: bitmap, response: 'no picture' },
    ]);
    expect(a.reward).toBeCloseTo(1 + 0.1 + 0.2 * (1 - ((exact.length - exact.length / 2) / exact.length) ** 2), 12);
    expect(b).toMatchObject({ reward: 0, correct: false });
  });
});
