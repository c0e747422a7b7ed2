/**
 * `rlmkit serve --record <run>` (issue 15): every answered request lands in the run directory, the
 * searches' traces in the layout `rlmkit data export` reads, plain exchanges as JSONL with token
 * ids and log-probs where the backend returned them; a second server appends to the same run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { SHIPPED_POLICY, postJson, startServeProcess } from './serve-process.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-record-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('rlmkit serve --record', () => {
  it('stores traces and exchanges that rlmkit data export reads', async () => {
    const run = path.join(dir, 'runs', 'served');
    const s = await startServeProcess(['--model', `g24=embedded:${SHIPPED_POLICY}`, '--record', run]);
    try {
      const plain = await postJson(s.base, '/v1/completions', {
        model: 'g24',
        prompt: '4 4 6 8|',
        max_tokens: 20,
        temperature: 0,
        logprobs: 0,
      });
      expect(plain.status).toBe(200);
      const chat = await postJson(s.base, '/v1/chat/completions', {
        model: 'g24',
        messages: [{ role: 'user', content: '1 2 3 4|' }],
        max_tokens: 10,
        n: 2,
      });
      expect(chat.status).toBe(200);
      const search = await postJson(s.base, '/v1/completions', {
        model: 'mcts@g24',
        prompt: '4 4 6 8|',
        task: 'game24',
        simulations: 8,
        children: 3,
      });
      expect(search.status).toBe(200);
      const traceId = search.body.rlmkit.trace_id as string;
      const { code } = await s.stop();
      expect(code).toBe(0);

      const lines = fs
        .readFileSync(path.join(run, 'exchanges.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines).toHaveLength(4); // 1 + 2 chat choices + 1 search answer
      expect(lines[0]).toMatchObject({ kind: 'completion', model: 'g24', prompt: '4 4 6 8|', completion: plain.body.choices[0].text });
      expect(lines[0].tokenIds.length).toBe(lines[0].logprobs.length);
      expect(lines[1].request.messages).toEqual([{ role: 'user', content: '1 2 3 4|' }]);
      expect(lines[3]).toMatchObject({ model: 'mcts@g24', traceId });
      expect(fs.existsSync(path.join(run, 'traces', `${traceId}-0.json`))).toBe(true);

      const out = path.join(dir, 'ops.jsonl');
      const exported = runCli(['data', 'export', '--traces', path.join(run, 'traces'), '--format', 'tbs', '--out', out]);
      expect(exported.code, exported.stderr).toBe(0);
      expect(fs.readFileSync(out, 'utf8').trim().split('\n').length).toBe(1);

      // A second server with the same models appends; other models are refused (exit 2).
      const again = await startServeProcess(['--model', `g24=embedded:${SHIPPED_POLICY}`, '--record', run]);
      await postJson(again.base, '/v1/completions', { model: 'g24', prompt: '4 4 6 8|', max_tokens: 5, temperature: 0 });
      await again.stop();
      expect(fs.readFileSync(path.join(run, 'exchanges.jsonl'), 'utf8').trim().split('\n')).toHaveLength(5);
      const other = runCli(['serve', '--port', '0', '--model', `other=embedded:${SHIPPED_POLICY}`, '--record', run]);
      expect(other.code).toBe(2);
      expect(other.stderr).toMatch(/config differs/);
    } finally {
      if (s.child.exitCode === null) await s.stop();
    }
  }, 180_000);
});
