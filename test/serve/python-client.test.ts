/**
 * The official Python `openai` client (installed by scripts/setup.d/20-serve.sh) against
 * `rlmkit serve` on the shipped checkpoint: the common `for chunk in stream: chunk.choices[0]`
 * loop over a streamed `mcts@g24` search (progress must never arrive as a chunk without choices),
 * completions and chat, extra_body settings, the trace id, and an API error raised as such.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRegistry } from '../../src/serve/build.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { SHIPPED_POLICY } from './serve-process.js';

let server: RunningServer;

beforeAll(async () => {
  const { registry } = await buildRegistry([`g24=embedded:${SHIPPED_POLICY}`]);
  server = await startServer({ registry, port: 0, apiKey: 'py-key' });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

function python(code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', code], { timeout: 120_000, env: { ...process.env, BASE_URL: `${server.url}/v1` } }, (e, stdout, stderr) =>
      e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

describe('official Python openai client', () => {
  it('loops over a streamed mcts@g24 search with chunk.choices[0], for completions and chat', async () => {
    const out = await python(`
import json, os
from openai import OpenAI
c = OpenAI(base_url=os.environ["BASE_URL"], api_key="py-key", max_retries=0)
res = {}
stream = c.completions.create(model="mcts@g24", prompt="4 4 6 8|", stream=True, extra_body={"task": "game24", "simulations": 16, "children": 4})
text, n, trace = "", 0, None
for chunk in stream:
    n += 1
    text += chunk.choices[0].text
    trace = (chunk.model_extra or {}).get("rlmkit", {}).get("trace_id") or trace
res["completion"] = {"text": text, "chunks": n, "trace": trace}
stream = c.chat.completions.create(model="mcts@g24", messages=[{"role": "user", "content": "4 4 6 8|"}], stream=True, extra_body={"task": "game24", "simulations": 8})
out = ""
for chunk in stream:
    out += chunk.choices[0].delta.content or ""
res["chat"] = out
plain = c.completions.create(model="g24", prompt="4 4 6 8|", max_tokens=20, temperature=0)
res["plain"] = plain.choices[0].text
try:
    c.completions.create(model="g24", prompt="4 4 6 8|", max_tokens=5, extra_body={"logit_bias": {"3": 5}, "suffix": "x"})
    res["error"] = None
except Exception as e:
    res["error"] = type(e).__name__ + ": " + str(e)
print(json.dumps(res))
`);
    const res = JSON.parse(out.trim().split('\n').pop()!) as {
      completion: { text: string; chunks: number; trace: string | null };
      chat: string;
      plain: string;
      error: string | null;
    };
    expect(res.completion.chunks).toBeGreaterThan(1);
    expect(res.completion.text.length).toBeGreaterThan(0);
    expect(res.completion.text).toMatch(/=/);
    expect(res.completion.trace).toMatch(/^trace-/);
    expect(res.chat.length).toBeGreaterThan(0);
    expect(res.plain.length).toBeGreaterThan(0);
    expect(res.error).toMatch(/^BadRequestError: .*suffix/);
  }, 120_000);
});
