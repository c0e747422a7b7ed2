/**
 * OpenAI tool calling on `rlmkit serve` (issue 18), with the shipped calc-tool policy (a tiny model
 * trained on the calculator task's episodes): `tools` in, `tool_calls` out (whole and streamed,
 * finish_reason "tool_calls"), `role: "tool"` results accepted back, the model prompted exactly as
 * in training (its tool call is the one the in-process environment gets), tool_choice, and a 400
 * naming the field for each malformed tool declaration, tool message or tool call. The official
 * Python `openai` client runs a whole episode (whole and streamed) with its own types.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRegistry } from '../../src/serve/build.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { readToolReply, renderToolConversation, toolRequest } from '../../src/serve/tools.js';
import { calcToolTask } from '../../src/tasks/multiturn/calculator-task.js';
import { calculate } from '../../src/tasks/tools/calculator.js';
import { CALC_POLICY, postJson } from './serve-process.js';

let server: RunningServer;
beforeAll(async () => {
  const { registry } = await buildRegistry([`calc=embedded:${CALC_POLICY}`]);
  server = await startServer({ registry, port: 0 });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const post = (route: string, body: unknown) => postJson(server.url, route, body);
const TOOLS = calcToolTask.tools;
type Msg = Record<string, unknown>;

async function turn(messages: Msg[], extra: Record<string, unknown> = {}) {
  const r = await post('/v1/chat/completions', { model: 'calc', messages, tools: TOOLS, temperature: 0, max_tokens: 32, ...extra });
  expect(r.status).toBe(200);
  return r.body.choices[0] as { message: { content: string | null; tool_calls?: any[] }; finish_reason: string };
}

describe('tool calls', () => {
  it('runs a calc-tool episode over HTTP: calls come back as tool_calls, results go in as tool messages, the answer as content', async () => {
    const problems = await calcToolTask.problems({ split: 'test', limit: 6 });
    let answered = 0;
    for (const p of problems) {
      const messages: Msg[] = [{ role: 'user', content: p.question }];
      let calls = 0;
      for (let k = 0; k < 5; k++) {
        const c = await turn(messages);
        if (c.finish_reason === 'tool_calls') {
          expect(c.message.content).toBeNull();
          expect(c.message.tool_calls).toHaveLength(1);
          const call = c.message.tool_calls![0];
          expect(call.type).toBe('function');
          expect(call.id).toMatch(/^call_/);
          expect(call.function.name).toBe('calculator');
          const args = JSON.parse(call.function.arguments) as { expression: string };
          expect(typeof args.expression).toBe('string');
          calls++;
          messages.push(c.message as Msg, { role: 'tool', tool_call_id: call.id, content: calculate(args.expression) });
          continue;
        }
        expect(c.finish_reason).toBe('stop');
        expect(c.message.content).toMatch(/^answer: /);
        answered++;
        break;
      }
      expect(calls).toBeGreaterThanOrEqual(1);
    }
    expect(answered).toBe(problems.length);
  }, 120_000);

  it('streams a tool call as OpenAI does: role, then id and name, then arguments, then finish_reason tool_calls', async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'calc',
        messages: [{ role: 'user', content: '692*460+561' }],
        tools: TOOLS,
        temperature: 0,
        stream: true,
      }),
    });
    const chunks = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
      .map((l) => JSON.parse(l.slice(6)));
    const deltas = chunks.map((c) => c.choices[0].delta);
    expect(deltas[0].role).toBe('assistant');
    const calls = deltas.flatMap((d) => d.tool_calls ?? []);
    const args = calls.map((c: any) => c.function.arguments ?? '').join('');
    expect(calls[0].id).toMatch(/^call_/);
    expect(calls[0].function.name).toBe('calculator');
    expect(JSON.parse(args)).toEqual({ expression: '692*460' });
    expect(chunks.at(-1).choices[0].finish_reason).toBe('tool_calls');
    expect(deltas.every((d) => !d.content)).toBe(true);
  });

  it('tool_choice: a named function starts the reply with that call; "none" returns content', async () => {
    const forced = await turn([{ role: 'user', content: '692*460+561' }], {
      tool_choice: { type: 'function', function: { name: 'calculator' } },
    });
    expect(forced.finish_reason).toBe('tool_calls');
    expect(forced.message.tool_calls![0].function.name).toBe('calculator');
    const none = await turn([{ role: 'user', content: '692*460+561' }], { tool_choice: 'none' });
    expect(none.message.tool_calls).toBeUndefined();
    expect(typeof none.message.content).toBe('string');
  });

  it('n > 1 reads each choice on its own', async () => {
    const r = await post('/v1/chat/completions', {
      model: 'calc',
      messages: [{ role: 'user', content: '692*460+561' }],
      tools: TOOLS,
      n: 3,
      temperature: 1,
      seed: 5,
      max_tokens: 32,
    });
    expect(r.status).toBe(200);
    expect(r.body.choices).toHaveLength(3);
    for (const c of r.body.choices) expect(['tool_calls', 'stop', 'length']).toContain(c.finish_reason);
  });
});

describe('malformed tool requests: 400 naming the field', () => {
  const user = { role: 'user', content: '692*460+561' };
  const call = { id: 'c1', type: 'function', function: { name: 'calculator', arguments: '{"expression": "692*460"}' } };
  const cases: Array<[string, Record<string, unknown>, string]> = [
    [
      'a tool message without tool_call_id',
      { messages: [user, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', content: '318320' }], tools: TOOLS },
      'messages.2.tool_call_id',
    ],
    [
      'a tool message answering no call',
      { messages: [user, { role: 'tool', tool_call_id: 'c1', content: '318320' }], tools: TOOLS },
      'messages.1.tool_call_id',
    ],
    [
      'a tool message with the wrong id',
      {
        messages: [user, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: 'c9', content: '1' }],
        tools: TOOLS,
      },
      'messages.2.tool_call_id',
    ],
    [
      'call arguments that are not JSON',
      {
        messages: [
          user,
          { role: 'assistant', content: null, tool_calls: [{ ...call, function: { name: 'calculator', arguments: '{oops' } }] },
        ],
        tools: TOOLS,
      },
      'messages.1.tool_calls.0.function.arguments',
    ],
    [
      'an assistant message with neither content nor calls',
      { messages: [user, { role: 'assistant', content: null }], tools: TOOLS },
      'messages.1.content',
    ],
    ['a tool without a function', { messages: [user], tools: [{ type: 'function' }] }, 'tools.0.function'],
    ['a tool of another type', { messages: [user], tools: [{ type: 'retrieval', function: TOOLS[0].function }] }, 'tools.0.type'],
    [
      'a bad function name',
      { messages: [user], tools: [{ type: 'function', function: { name: 'my tool', parameters: {} } }] },
      'tools.0.function.name',
    ],
    [
      'parameters that are not an object schema',
      { messages: [user], tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }] },
      'tools.0.function.parameters',
    ],
    ['a function declared twice', { messages: [user], tools: [TOOLS[0], TOOLS[0]] }, 'tools.1.function.name'],
    [
      'tool_choice naming an undeclared function',
      { messages: [user], tools: TOOLS, tool_choice: { type: 'function', function: { name: 'search' } } },
      'tool_choice',
    ],
    ['tool_choice without tools', { messages: [user], tool_choice: 'required' }, 'tool_choice'],
    ['an unknown tool_choice', { messages: [user], tools: TOOLS, tool_choice: 'always' }, 'tool_choice'],
    ['tools that are not a list', { messages: [user], tools: { calculator: true } }, 'tools'],
  ];
  for (const [what, body, param] of cases)
    it(what, async () => {
      const r = await post('/v1/chat/completions', { model: 'calc', max_tokens: 8, ...body });
      expect(r.status).toBe(400);
      expect(r.body.error.type).toBe('invalid_request_error');
      expect(r.body.error.param).toBe(param);
      expect(r.body.error.message).toContain(param);
    });

  it('tools on /v1/completions are refused by name', async () => {
    const r = await post('/v1/completions', { model: 'calc', prompt: '1+2|', tools: TOOLS });
    expect(r.status).toBe(400);
    expect(r.body.error.param).toBe('tools');
  });
});

function python(code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', code], { timeout: 120_000, env: { ...process.env, BASE_URL: `${server.url}/v1` } }, (e, stdout, stderr) =>
      e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

describe('official Python openai client with tools', () => {
  it('runs calculator episodes (whole and streamed tool calls, tool messages back) and raises BadRequestError for a bad tool message', async () => {
    const problems = await calcToolTask.problems({ split: 'test', limit: 4 });
    const out = await python(`
import json, os
from openai import OpenAI, BadRequestError
c = OpenAI(base_url=os.environ["BASE_URL"], api_key="none", max_retries=0)
tools = json.loads(${JSON.stringify(JSON.stringify(TOOLS))})
def calc(expr):
    # the client runs the tool itself: Python integer arithmetic
    return str(eval(expr, {"__builtins__": {}}))
res = {"episodes": [], "streamed": None, "error": None}
for q in ${JSON.stringify(problems.map((p) => p.question))}:
    messages = [{"role": "user", "content": q}]
    turns = []
    for _ in range(5):
        r = c.chat.completions.create(model="calc", messages=messages, tools=tools, temperature=0, max_tokens=32)
        ch = r.choices[0]
        if ch.finish_reason == "tool_calls":
            call = ch.message.tool_calls[0]
            args = json.loads(call.function.arguments)
            turns.append(["call", call.function.name, args["expression"]])
            messages.append(ch.message.model_dump(exclude_none=True))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": calc(args["expression"])})
        else:
            turns.append(["content", ch.message.content, ch.finish_reason])
            break
    res["episodes"].append({"question": q, "turns": turns})
stream = c.chat.completions.create(model="calc", messages=[{"role": "user", "content": ${JSON.stringify(problems[0].question)}}], tools=tools, temperature=0, stream=True)
calls, finish = {}, None
for chunk in stream:
    if not chunk.choices:
        continue
    d = chunk.choices[0].delta
    for tc in d.tool_calls or []:
        e = calls.setdefault(tc.index, {"id": None, "name": "", "arguments": ""})
        e["id"] = tc.id or e["id"]
        if tc.function and tc.function.name:
            e["name"] += tc.function.name
        if tc.function and tc.function.arguments:
            e["arguments"] += tc.function.arguments
    finish = chunk.choices[0].finish_reason or finish
res["streamed"] = {"calls": list(calls.values()), "finish": finish}
try:
    c.chat.completions.create(model="calc", messages=[{"role": "user", "content": "1+2"}, {"role": "tool", "content": "3"}], tools=tools)
except BadRequestError as e:
    res["error"] = {"status": e.status_code, "param": e.body.get("param") if isinstance(e.body, dict) else None, "message": str(e)}
print(json.dumps(res))
`);
    const res = JSON.parse(out.trim().split('\n').pop()!) as {
      episodes: Array<{ question: string; turns: Array<[string, string, string]> }>;
      streamed: { calls: Array<{ id: string; name: string; arguments: string }>; finish: string };
      error: { status: number; param: string | null; message: string } | null;
    };
    expect(res.episodes).toHaveLength(problems.length);
    for (const ep of res.episodes) {
      const calls = ep.turns.filter((t) => t[0] === 'call');
      expect(calls.length).toBeGreaterThanOrEqual(1);
      for (const c of calls) expect(c[1]).toBe('calculator');
      const last = ep.turns.at(-1)!;
      expect(last[0]).toBe('content');
      expect(last[1]).toMatch(/^answer: /);
    }
    // the streamed first call is the whole reply's first call
    const first = res.episodes[0].turns[0];
    expect(res.streamed.finish).toBe('tool_calls');
    expect(res.streamed.calls).toHaveLength(1);
    expect(res.streamed.calls[0].name).toBe('calculator');
    expect(JSON.parse(res.streamed.calls[0].arguments)).toEqual({ expression: first[2] });
    expect(res.error?.status).toBe(400);
    expect(res.error?.message).toContain('tool_call_id');
  }, 180_000);
});

describe('tool conversations for chat models (tools.ts)', () => {
  const history = [
    { role: 'system' as const, content: 'Be exact.' },
    { role: 'user' as const, content: '692*460+561' },
    {
      role: 'assistant' as const,
      content: null,
      tool_calls: [{ id: 'c1', type: 'function' as const, function: { name: 'calculator', arguments: '{"expression":"692*460"}' } }],
    },
    { role: 'tool' as const, tool_call_id: 'c1', content: '318320' },
  ];
  it('describes the tools in the system message and replays calls and results as text turns', () => {
    const req = toolRequest({ messages: history, tools: TOOLS as never })!;
    const r = renderToolConversation(history, req, true);
    const msgs = r.request.messages!;
    expect(msgs[0].role).toBe('system');
    expect(msgs[0].content).toContain('Be exact.');
    expect(msgs[0].content).toContain('calculator');
    expect(msgs.slice(1)).toEqual([
      { role: 'user', content: '692*460+561' },
      { role: 'assistant', content: 'calculator: 692*460' },
      { role: 'user', content: '> 318320' },
    ]);
    // plain models get the training transcript
    expect(renderToolConversation(history, req, false).request.prompt).toBe('Be exact.\n692*460+561|calculator: 692*460\n> 318320\n');
  });
  it("reads a chat model's OpenAI-style JSON reply as calls, and text naming no declared tool as content", () => {
    const req = toolRequest({ messages: history, tools: TOOLS as never })!;
    const json = readToolReply(
      '{"tool_calls": [{"type": "function", "function": {"name": "calculator", "arguments": {"expression": "318320+561"}}}]}',
      req,
      '',
    );
    expect(json.content).toBeNull();
    expect(JSON.parse(json.toolCalls[0].function.arguments)).toEqual({ expression: '318320+561' });
    expect(readToolReply('Note: the result is 318881', req, '')).toEqual({ content: 'Note: the result is 318881', toolCalls: [] });
    const single = toolRequest({ messages: history, tools: TOOLS as never, parallel_tool_calls: false })!;
    const two = readToolReply(
      '{"tool_calls": [{"name": "calculator", "arguments": {"expression": "1+1"}}, {"name": "calculator", "arguments": {"expression": "2+2"}}]}',
      single,
      '',
    );
    expect(two.toolCalls).toHaveLength(1);
  });
});
