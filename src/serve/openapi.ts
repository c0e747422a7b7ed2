/**
 * `GET /openapi.json`: the served API as an OpenAPI 3.1 document. Request bodies are generated
 * from the same zod schemas that validate requests (z.toJSONSchema), so the document cannot drift
 * from what the server accepts; responses are described by their OpenAI shapes.
 */
import { z } from 'zod';
import { ChatRequestSchema, CompletionRequestSchema } from './schemas.js';

function bodySchema(schema: z.ZodType): Record<string, unknown> {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  delete s.$schema;
  return s;
}

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message', 'type'],
      properties: {
        message: { type: 'string' },
        type: { type: 'string' },
        param: { type: ['string', 'null'] },
        code: { type: ['string', 'null'] },
      },
    },
  },
};

const errors = Object.fromEntries(
  [
    ['400', 'invalid request (the message names the field or the limit)'],
    ['401', 'missing or wrong API key'],
    ['404', 'unknown model'],
    ['408', 'the body did not arrive in time'],
    ['413', 'body too large'],
    ['429', 'too many concurrent requests'],
    ['503', 'shutting down'],
  ].map(([code, description]) => [
    code,
    { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  ]),
);

function generation(summary: string, schemaName: string, object: string) {
  return {
    post: {
      summary,
      security: [{ bearer: [] }, {}],
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName}` } } } },
      responses: {
        '200': {
          description: `an OpenAI \`${object}\` object, or with stream: true an SSE stream of chunks ending in [DONE] (search progress comes as SSE comment lines)`,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['id', 'object', 'choices'],
                properties: { id: { type: 'string' }, object: { type: 'string' }, choices: { type: 'array' }, usage: { type: 'object' } },
              },
            },
            'text/event-stream': { schema: { type: 'string' } },
          },
        },
        ...errors,
      },
    },
  };
}

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'rlmkit serve',
      version: '1',
      description:
        'OpenAI-compatible completions and chat; `<strategy>@<model>` names run a reasoning search as a model (src/serve/README.md).',
    },
    paths: {
      '/health': {
        get: {
          summary: 'liveness and load',
          responses: {
            '200': {
              description: 'status',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      status: { type: 'string' },
                      inflight: { type: 'integer' },
                      served: { type: 'integer' },
                      models: { type: 'integer' },
                    },
                  },
                },
              },
            },
          },
        },
      },
      '/v1/models': {
        get: {
          summary: 'served models',
          security: [{ bearer: [] }, {}],
          responses: {
            '200': { description: 'an OpenAI model list', content: { 'application/json': { schema: { type: 'object' } } } },
            ...errors,
          },
        },
      },
      '/v1/models/{id}': {
        get: {
          summary: 'one model (also `<strategy>@<model>` names)',
          security: [{ bearer: [] }, {}],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'an OpenAI model object', content: { 'application/json': { schema: { type: 'object' } } } },
            ...errors,
          },
        },
      },
      '/v1/completions': generation('text completions', 'CompletionRequest', 'text_completion'),
      '/v1/chat/completions': generation('chat completions', 'ChatRequest', 'chat.completion'),
      '/v1/traces/{id}': {
        get: {
          summary: "a served search's traces, by the trace id its response carried (`rlmkit.trace_id`, `X-Rlmkit-Trace-Id`)",
          security: [{ bearer: [] }, {}],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': {
              description: '{id, object: "rlmkit.trace", traces: [...]}',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            ...errors,
          },
        },
      },
    },
    components: {
      schemas: { CompletionRequest: bodySchema(CompletionRequestSchema), ChatRequest: bodySchema(ChatRequestSchema), Error: errorSchema },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}
