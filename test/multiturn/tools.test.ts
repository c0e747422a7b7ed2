/**
 * Tools and the tool protocol: exact results, bad input as error observations, time limits that
 * hold even when a tool ignores its abort signal, read-only SQL, BM25 ranking, the sandboxes.
 */
import { describe, expect, it } from 'vitest';
import {
  Bm25Index,
  calculate,
  calculatorTool,
  callTool,
  javascriptTool,
  pythonTool,
  searchTool,
  sqlTool,
  type Tool,
  type ToolCall,
} from '../../src/tasks/tools/index.js';
import { parseAction, renderToolCall } from '../../src/tasks/multiturn/protocol.js';
import { ToolEnv } from '../../src/tasks/multiturn/env.js';

const call = (name: string, args: unknown): ToolCall => ({
  id: 'c1',
  type: 'function',
  function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args) },
});

describe('calculator', () => {
  it('is exact on big integers and fractions', () => {
    expect(calculate('123456789*987654321')).toBe((123456789n * 987654321n).toString());
    expect(calculate('1/3*3')).toBe('1');
    expect(calculate('-(2+3)*4-1/2')).toBe('-41/2');
    expect(calculate('0.1+0.2')).toBe('3/10');
  });
  it('turns bad input into error observations, never a throw', async () => {
    const tools = [calculatorTool()];
    for (const [args, msg] of [
      [{ expression: '1/0' }, 'division by zero'],
      [{ expression: '2+' }, 'ends too early'],
      [{ expression: '2+x' }, 'unexpected "x"'],
      [{ expr: '1' }, 'missing "expression"'],
      ['{not json', 'not valid JSON'],
      [{ expression: '9'.repeat(150) + '*' + '9'.repeat(150) + '*' + '9'.repeat(150) }, 'longer than'],
    ] as const) {
      const r = await callTool(tools, call('calculator', args));
      expect(r.status).not.toBe('ok');
      expect(r.output).toMatch(/^error: /);
      expect(r.output).toContain(msg);
    }
    const u = await callTool(tools, call('shell', { cmd: 'ls' }));
    expect(u.status).toBe('unknown-tool');
    expect(u.output).toContain('calculator');
  });
});

describe('time limits', () => {
  it('a tool that ignores its abort signal still ends at the limit', async () => {
    const stuck: Tool = {
      spec: { type: 'function', function: { name: 'stuck', description: 'never answers', parameters: { type: 'object', properties: {} } } },
      timeoutMs: 100,
      run: () => new Promise(() => {}),
    };
    const t0 = Date.now();
    const r = await callTool([stuck], call('stuck', {}));
    expect(r.status).toBe('timeout');
    expect(r.output).toBe('error: stuck timed out after 100 ms');
    expect(Date.now() - t0).toBeLessThan(2000);
  });
  it('JavaScript: an endless loop is a timeout observation; output is returned', async () => {
    const js = javascriptTool({ timeoutMs: 300 });
    const loop = await callTool([js], call('javascript', { code: 'for(;;){}' }));
    expect(loop.output).toMatch(/error: .*(time limit|timed out)/);
    // a normal program gets a limit a loaded machine cannot hit (starting the sandbox alone can take 300 ms there)
    const ok = await callTool(
      [javascriptTool({ timeoutMs: 10_000 })],
      call('javascript', { code: 'console.log(6*7); throw new Error("boom")' }),
    );
    expect(ok.output).toContain('42');
    expect(ok.output).toContain('boom');
  }, 30_000);
  it('Python runs in the sandbox: prints, errors and limits come back as text', async () => {
    const py = pythonTool({ timeoutMs: 3000 });
    const r = await callTool([py], call('python', { code: 'print(sum(range(10)))\nimport os\nprint(os.getuid())' }));
    expect(r.status).toBe('ok');
    expect(r.output.split('\n')[0]).toBe('45');
    const e = await callTool([py], call('python', { code: 'raise ValueError("bad value")' }));
    expect(e.output).toContain('ValueError: bad value');
  }, 60_000);
});

describe('SQL (sql.js) and search (BM25)', () => {
  it('answers queries, refuses writes and reports SQL errors', async () => {
    const sql = await sqlTool({
      setup: "create table city(name text, pop int); insert into city values ('Kora', 1200), ('Velm', 560), ('Dorn', 98000);",
      maxRows: 2,
    });
    try {
      expect((await callTool([sql], call('sql', { query: 'select name from city where pop > 1000 order by pop' }))).output).toBe(
        'name\nKora\nDorn',
      );
      expect((await callTool([sql], call('sql', { query: 'select name from city' }))).output).toContain('more rows cut (limit 2)');
      expect((await callTool([sql], call('sql', { query: 'DELETE FROM city' }))).output).toBe('error: the database is read-only');
      expect((await callTool([sql], call('sql', { query: 'select 1; drop table city' }))).output).toBe('error: one statement per call');
      expect((await callTool([sql], call('sql', { query: 'select nope from city' }))).output).toMatch(/^error: no such column/);
      expect((await callTool([sql], call('sql', { query: 'select count(*) from city' }))).output).toBe('count(*)\n3');
    } finally {
      sql.close?.();
    }
  });
  it('ranks the document with the rare query term first', async () => {
    const idx = new Bm25Index([
      { id: 'a', text: 'Kora is a town in Velm on the river Suna.' },
      { id: 'b', text: 'Velm is a region with many towns and rivers.' },
      { id: 'c', text: 'The river Suna flows into lake Omar.' },
    ]);
    expect(idx.search('Kora town', 3)[0].id).toBe('a');
    expect(idx.search('lake Suna', 3)[0].id).toBe('c');
    const r = await callTool([searchTool(idx)], call('search', { query: 'Kora' }));
    expect(r.output).toBe('Kora is a town in Velm on the river Suna.');
    expect((await callTool([searchTool(idx)], call('search', { query: 'zzz' }))).output).toBe('no results');
  });
});

describe('action protocol', () => {
  const tools = [calculatorTool().spec];
  it('reads the plain forms, OpenAI tool_calls and answers', () => {
    expect(parseAction('calculator: 347*589', tools)).toMatchObject({
      kind: 'tool-calls',
      calls: [{ function: { name: 'calculator', arguments: '{"expression":"347*589"}' } }],
    });
    expect(parseAction('calculator {"expression": "1+1"}', tools)).toMatchObject({
      kind: 'tool-calls',
      calls: [{ function: { arguments: '{"expression": "1+1"}' } }],
    });
    const openai = JSON.stringify({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'calculator', arguments: '{"expression":"2*3"}' } }],
    });
    expect(parseAction(openai, tools)).toEqual({
      kind: 'tool-calls',
      calls: [{ id: 'call_9', type: 'function', function: { name: 'calculator', arguments: '{"expression":"2*3"}' } }],
    });
    expect(parseAction('answer: 204383', tools)).toEqual({ kind: 'answer', answer: '204383' });
    expect(parseAction('I think it is 5', tools).kind).toBe('malformed');
    expect(parseAction('calculator {"expression": ', tools).kind).toBe('malformed');
    expect(renderToolCall(tools[0], { expression: '347*589' })).toBe('calculator: 347*589');
  });
  it('ToolEnv: tool results as observations, a malformed action costs a turn, the turn limit truncates', async () => {
    const env = new ToolEnv({
      prompt: '2*3+1',
      tools: [calculatorTool()],
      maxTurns: 3,
      score: (a) => ({ reward: a === '7' ? 1 : 0, correct: a === '7' }),
    });
    expect((await env.reset()).observation).toBe('2*3+1');
    const s1 = await env.step('calculator: 2*3');
    expect(s1).toMatchObject({ observation: '> 6', reward: 0, done: false });
    const s2 = await env.step('hmm');
    expect(s2.observation).toMatch(/^> error: expected a tool call/);
    expect(s2.info.malformed).toBe(true);
    const s3 = await env.step('calculator: 6+1');
    expect(s3).toMatchObject({ done: true, truncated: true, terminated: false, reward: 0, observation: '' });
    await expect(env.step('answer: 7')).rejects.toThrow(/after the episode ended/);
    await env.reset();
    expect(await env.step('answer: 7')).toMatchObject({ done: true, terminated: true, reward: 1, info: { correct: true } });
  });
});
