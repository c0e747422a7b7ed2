/**
 * Property-based fuzz of the published API, from outside (issue 13): the test fetches
 * `GET /openapi.json` from a live server, turns each request body schema into a fast-check
 * generator (mostly schema-valid values at the edges of their ranges, some fields replaced by
 * arbitrary JSON), and sends the requests over HTTP. Every answer must be < 500 with a JSON error
 * body for 4xx, and the server must still answer at the end. Models: a plain one and searches
 * (`<strategy>@<model>`) over it, plus unknown names.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/models/scheduler.js';
import { reasoningProvider } from '../../src/reasoning/proxy.js';
import { ModelRegistry, staticProvider } from '../../src/serve/providers.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { ToyPolicy } from '../models/fixtures.js';

type Schema = Record<string, any>;
const RUNS_PER_ROUTE = 1000;
let server: RunningServer;
let spec: Schema;

beforeAll(async () => {
  const registry = new ModelRegistry()
    .register(staticProvider({ toy: new Scheduler(new ToyPolicy('toy', 0, true, 16), { maxWaitMs: 0 }) }))
    .register(reasoningProvider());
  // Small search limits keep each generated search short; the limits themselves are under test too.
  server = await startServer({
    registry,
    port: 0,
    maxBodyBytes: 256 * 1024,
    limits: { maxSearchNodes: 512, maxSearchWallMs: 2_000, maxSearchTokens: 20_000, maxRequestTokens: 20_000 },
  });
  spec = (await (await fetch(`${server.url}/openapi.json`)).json()) as Schema;
});
afterAll(async () => {
  await server?.close();
});

const MODELS = ['toy', 'cot@toy', 'best-of-n@toy', 'mcts@toy', 'beam@toy', 'self-consistency@toy', 'nope', 'mcts@nope', 'tot-dfs@toy'];

/** A fast-check arbitrary for a JSON schema as z.toJSONSchema writes it (the subset it uses). */
function arbitrary(s: Schema, field = ''): fc.Arbitrary<unknown> {
  if (field === 'model')
    return fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...MODELS) }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) });
  if (s.anyOf || s.oneOf) return fc.oneof(...((s.anyOf ?? s.oneOf) as Schema[]).map((x) => arbitrary(x, field)));
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...(s.enum as unknown[]));
  const type = Array.isArray(s.type) ? s.type : [s.type];
  if (type.length > 1) return fc.oneof(...type.map((t: string) => arbitrary({ ...s, type: t }, field)));
  switch (type[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const min = Math.max(s.minimum ?? -1e6, -1e15);
      const max = Math.min(s.maximum ?? 1e6, 1e15);
      return fc.oneof(
        fc.integer({ min: Math.max(min, -1000), max: Math.min(max, Math.max(min, -1000) + 1000) }),
        fc.constantFrom(min, max),
        fc.double({ min, max, noNaN: true }).map(Math.round),
      );
    }
    case 'number': {
      const min = s.minimum ?? s.exclusiveMinimum ?? -1e6;
      const max = s.maximum ?? 1e6;
      return fc.oneof(
        fc.double({ min, max, noNaN: true, minExcluded: s.exclusiveMinimum !== undefined }),
        fc.constantFrom(max, 5e-324, 1e-320).filter((v) => v > min || (v === min && s.exclusiveMinimum === undefined)),
      );
    }
    case 'string': {
      const maxLength = Math.min(s.maxLength ?? 40, 40);
      if (s.pattern === '^\\d{1,9}$') return fc.integer({ min: 0, max: 999_999_999 }).map(String);
      if (s.pattern) return fc.oneof(fc.stringMatching(new RegExp(s.pattern as string)), fc.string({ maxLength }));
      return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.max(maxLength, s.minLength ?? 0) });
    }
    case 'array': {
      // Conversations: mostly plain text ones (a random tool message answers no call and a random
      // image part is no image, both refused, so these keep the answering path exercised),
      // sometimes any message kinds.
      if (field === 'messages' && (s.items as Schema | undefined)?.oneOf) {
        const plain = ((s.items as Schema).oneOf as Schema[]).find(
          (b) => !(b.properties as Record<string, Schema>).tool_call_id && !(b.properties as Record<string, Schema>).tool_calls,
        )!;
        return fc.oneof(
          {
            weight: 3,
            arbitrary: fc.array(
              fc.record({ role: arbitrary((plain.properties as Record<string, Schema>).role), content: fc.string({ maxLength: 40 }) }),
              { minLength: 1, maxLength: 4 },
            ),
          },
          { weight: 1, arbitrary: fc.array(arbitrary(s.items as Schema), { minLength: s.minItems ?? 0, maxLength: 4 }) },
        );
      }
      const items = s.items ? arbitrary(s.items as Schema) : fc.jsonValue({ maxDepth: 1 });
      return fc.array(items, { minLength: s.minItems ?? 0, maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 4, 4)) });
    }
    case 'object': {
      if (s.properties) {
        const props = s.properties as Record<string, Schema>;
        const required = new Set<string>(s.required ?? []);
        const entries = Object.fromEntries(
          Object.entries(props).map(([k, v]) => [
            k,
            required.has(k)
              ? arbitrary(v, k)
              : fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arbitrary(v, k) }),
          ]),
        );
        return fc.record(entries).map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));
      }
      const key = s.propertyNames ? (arbitrary(s.propertyNames as Schema) as fc.Arbitrary<string>) : fc.string({ maxLength: 8 });
      const value =
        s.additionalProperties && Object.keys(s.additionalProperties).length > 0
          ? arbitrary(s.additionalProperties as Schema)
          : fc.jsonValue({ maxDepth: 2 });
      return fc.dictionary(key, value, { maxKeys: 3 });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Bodies: schema-valid ones, and ones with a field swapped for arbitrary JSON or an unknown field added. */
function bodies(schema: Schema): fc.Arbitrary<unknown> {
  const valid = arbitrary(schema) as fc.Arbitrary<Record<string, unknown>>;
  const names = Object.keys(schema.properties as object);
  const broken = fc
    .tuple(valid, fc.constantFrom(...names, 'extra_field', 'simulations', 'settings', 'budget'), fc.jsonValue({ maxDepth: 3 }))
    .map(([b, k, v]) => ({ ...b, [k]: v }));
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    { weight: 2, arbitrary: broken },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

async function send(route: string, body: unknown): Promise<{ status: number; text: string; type: string }> {
  const res = await fetch(`${server.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') ?? '' };
}

describe('OpenAPI fuzz (fast-check over /openapi.json)', () => {
  it('publishes the request schemas it validates with', () => {
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/completions', '/v1/chat/completions', '/v1/models', '/v1/traces/{id}', '/health']),
    );
    expect(spec.components.schemas.CompletionRequest.required).toEqual(['model', 'prompt']);
    expect(spec.components.schemas.ChatRequest.required).toEqual(['model', 'messages']);
  });

  it('500 generated requests to the GET routes and odd methods: no 5xx', async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        'v1',
        'models',
        'traces',
        'completions',
        'chat',
        'health',
        'openapi.json',
        'mcts@toy',
        'mcts@mcts@toy',
        '..',
        '%00',
        '%ZZ',
        '',
      ),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
    );
    const paths = fc.array(segment, { minLength: 1, maxLength: 4 }).map((xs) => `/${xs.join('/')}`);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'HEAD', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'POST'), paths, async (method, path) => {
        const res = await fetch(`${server.url}${path}`, {
          method,
          ...(method === 'POST' || method === 'PUT' || method === 'PATCH' ? { body: '{}' } : {}),
        });
        await res.arrayBuffer();
        if (res.status >= 500) throw new Error(`${res.status} for ${method} ${path}`);
      }),
      { numRuns: 500, seed: 7 },
    );
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  }, 120_000);

  for (const [route, name] of [
    ['/v1/completions', 'CompletionRequest'],
    ['/v1/chat/completions', 'ChatRequest'],
  ] as const) {
    it(`${RUNS_PER_ROUTE} generated requests to ${route}: no 5xx, JSON errors, still answering`, async () => {
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(bodies(spec.components.schemas[name] as Schema), async (body) => {
          const r = await send(route, body);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status >= 500) throw new Error(`${r.status} for ${JSON.stringify(body).slice(0, 600)}: ${r.text.slice(0, 300)}`);
          if (r.status >= 400) {
            const e = JSON.parse(r.text) as { error: { message: string } };
            if (typeof e.error?.message !== 'string') throw new Error(`no error message: ${r.text}`);
          } else if (!r.type.startsWith('text/event-stream')) {
            const ok = JSON.parse(r.text) as { choices: unknown[] };
            if (!Array.isArray(ok.choices)) throw new Error(`no choices: ${r.text}`);
          } else if (/^data: \{"[^\n]*"choices":\[\]/m.test(r.text.split('"usage"')[0]) && !/include_usage/.test(JSON.stringify(body))) {
            throw new Error(`a stream chunk without choices: ${r.text.slice(0, 300)}`);
          }
        }),
        { numRuns: RUNS_PER_ROUTE, seed: 20261206, endOnFailure: true },
      );
      const total = [...statuses.values()].reduce((a, b) => a + b, 0);
      console.log(`${route}: status counts ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
      expect(total).toBe(RUNS_PER_ROUTE);
      // Both paths were exercised: answers and refusals.
      // (Searches whose scorer cannot rank with the toy model, e.g. best-of-n judged by a character
      // model, are refused with 400 since issue 13 instead of answering an unranked pick; chat
      // messages with image parts, valid in the schema since issue 22, are refused with 400 by the
      // text-only toy model.)
      expect(statuses.get(200) ?? 0).toBeGreaterThan(RUNS_PER_ROUTE / 100);
      expect([...statuses.keys()].some((s) => s >= 400 && s < 500)).toBe(true);
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { inflight: number }).inflight).toBe(0);
    }, 240_000);
  }
});
