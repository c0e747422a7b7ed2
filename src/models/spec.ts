/**
 * `--model <spec>`: one string that names a model and its backend, used by every CLI command.
 *
 *   embedded:<checkpoint.safetensors>[?engine=onnx|jax&threads=N&maxBatch=N&bos=true|false&worker=true|false]
 *   gguf:<file.gguf>[?threads=N&parallel=N&context=N]
 *   http(s)://host:port/v1#<model>[?api=auto|chat|completions&concurrency=N&retries=N&timeout=MS
 *                                  &dialect=<name>&chat=true|false&template=<path>&tokenizer=<path>]
 *   openai:<model>[@<baseURL>][?...the same options]
 *
 * HTTP options beyond the endpoint: `dialect` declares the server (vllm, sglang, llama.cpp,
 * llama-cpp-python, ollama, openai, rlmkit, generic; default: detected), `chat` declares whether the
 * model has a chat format (default: probed), `template` the model's chat template
 * (tokenizer_config.json, model folder, .gguf or .jinja; chat is then rendered by rlmkit and sent
 * to /v1/completions), `tokenizer` its tokenizer.json (exact token counts).
 *   <file>.safetensors  or  <file>.gguf   (the kind is read from the extension)
 *
 * HTTP API keys never go in a spec (they would land in shell history and traces): they come from
 * RLMKIT_API_KEY or OPENAI_API_KEY; `openai:<model>` without a base URL reads RLMKIT_BASE_URL or
 * OPENAI_BASE_URL. Every malformed spec is a usage error that shows the accepted forms.
 */
import * as fs from 'node:fs';
import { usageError } from '../core/errors.js';
import type { EmbeddedOptions } from './embedded.js';
import type { GgufOptions } from './gguf.js';
import { DIALECT_NAMES, type DialectName } from './dialects/dialect.js';
import type { HttpPolicyConfig } from './http.js';
import type { Policy, ValueModel } from './types.js';

export type ModelSpec =
  | { kind: 'embedded'; path: string; options: EmbeddedOptions }
  | { kind: 'gguf'; path: string; options: GgufOptions }
  | { kind: 'http'; model: string; baseURL?: string; options: HttpSpecOptions };

export const MODEL_SPEC_FORMS =
  'embedded:<ckpt.safetensors>, gguf:<file.gguf>, http://host:port/v1#<model>, openai:<model>[@<baseURL>], or a path ending in .safetensors / .gguf';

function bad(spec: string, why: string): Error {
  return usageError(`bad --model "${spec}": ${why}`, `use one of: ${MODEL_SPEC_FORMS}`);
}

function splitQuery(s: string): [string, URLSearchParams] {
  const q = s.lastIndexOf('?');
  return q < 0 ? [s, new URLSearchParams()] : [s.slice(0, q), new URLSearchParams(s.slice(q + 1))];
}

/** Reads options, rejecting unknown keys and malformed values. */
function readOptions(
  spec: string,
  params: URLSearchParams,
  allowed: Record<string, 'int' | 'bool' | 'path' | readonly string[]>,
): Record<string, number | boolean | string> {
  const out: Record<string, number | boolean | string> = {};
  for (const [key, value] of params) {
    const type = allowed[key];
    if (!type) throw bad(spec, `unknown option "${key}" (this kind accepts: ${Object.keys(allowed).join(', ') || 'none'})`);
    if (type === 'int') {
      if (!/^\d+$/.test(value) || Number(value) < 1) throw bad(spec, `option ${key} must be a positive integer, got "${value}"`);
      out[key] = Number(value);
    } else if (type === 'path') {
      if (!value) throw bad(spec, `option ${key} needs a path`);
      out[key] = value;
    } else if (type === 'bool') {
      if (value !== 'true' && value !== 'false') throw bad(spec, `option ${key} must be true or false, got "${value}"`);
      out[key] = value === 'true';
    } else {
      if (!type.includes(value)) throw bad(spec, `option ${key} must be one of ${type.join(', ')}, got "${value}"`);
      out[key] = value;
    }
  }
  return out;
}

const HTTP_OPTIONS = {
  api: ['auto', 'chat', 'completions'],
  concurrency: 'int',
  retries: 'int',
  timeout: 'int',
  dialect: DIALECT_NAMES,
  chat: 'bool',
  template: 'path',
  tokenizer: 'path',
} as const;

export type HttpSpecOptions = Omit<HttpPolicyConfig, 'model' | 'baseURL' | 'tokenizer' | 'template'> & {
  template?: string;
  tokenizer?: string;
};

function httpOptions(spec: string, params: URLSearchParams): HttpSpecOptions {
  const o = readOptions(spec, params, HTTP_OPTIONS);
  return {
    ...(o.dialect !== undefined ? { dialect: o.dialect as DialectName } : {}),
    ...(o.chat !== undefined ? { chat: o.chat as boolean } : {}),
    ...(o.template !== undefined ? { template: o.template as string } : {}),
    ...(o.tokenizer !== undefined ? { tokenizer: o.tokenizer as string } : {}),
    ...(o.api !== undefined ? { api: o.api as 'auto' | 'chat' | 'completions' } : {}),
    ...(o.concurrency !== undefined ? { concurrency: o.concurrency as number } : {}),
    ...(o.retries !== undefined ? { maxRetries: o.retries as number } : {}),
    ...(o.timeout !== undefined ? { timeoutMs: o.timeout as number } : {}),
  };
}

export function parseModelSpec(spec: string): ModelSpec {
  const s = (spec ?? '').trim();
  if (!s) throw bad(spec, 'it is empty');
  if (/^https?:\/\//i.test(s)) {
    const hash = s.indexOf('#');
    if (hash < 0) throw bad(spec, 'an HTTP spec needs the model name after "#", e.g. http://127.0.0.1:8000/v1#my-model');
    const [model, params] = splitQuery(s.slice(hash + 1));
    if (!model) throw bad(spec, 'the model name after "#" is empty');
    const baseURL = s.slice(0, hash);
    try {
      new URL(baseURL);
    } catch {
      throw bad(spec, `"${baseURL}" is not a valid URL`);
    }
    return { kind: 'http', model, baseURL, options: httpOptions(spec, params) };
  }
  const colon = s.indexOf(':');
  const scheme = colon > 0 ? s.slice(0, colon).toLowerCase() : '';
  if (scheme === 'openai') {
    const [rest, params] = splitQuery(s.slice(colon + 1));
    const at = rest.search(/@https?:\/\//i);
    const model = at < 0 ? rest : rest.slice(0, at);
    const baseURL = at < 0 ? undefined : rest.slice(at + 1);
    if (!model) throw bad(spec, 'the model name is empty, e.g. openai:gpt-4o-mini or openai:qwen@http://127.0.0.1:8000/v1');
    if (baseURL) {
      try {
        new URL(baseURL);
      } catch {
        throw bad(spec, `"${baseURL}" is not a valid URL`);
      }
    }
    return { kind: 'http', model, ...(baseURL ? { baseURL } : {}), options: httpOptions(spec, params) };
  }
  if (scheme === 'embedded') {
    const [path, params] = splitQuery(s.slice(colon + 1));
    if (!path) throw bad(spec, 'the checkpoint path is empty');
    const o = readOptions(spec, params, { engine: ['onnx', 'jax'], threads: 'int', maxBatch: 'int', bos: 'bool', worker: 'bool' });
    return { kind: 'embedded', path, options: o as EmbeddedOptions };
  }
  if (scheme === 'gguf') {
    const [path, params] = splitQuery(s.slice(colon + 1));
    if (!path) throw bad(spec, 'the GGUF path is empty');
    const o = readOptions(spec, params, { threads: 'int', parallel: 'int', context: 'int' });
    return {
      kind: 'gguf',
      path,
      options: {
        ...(o.threads ? { threads: o.threads as number } : {}),
        ...(o.parallel ? { parallel: o.parallel as number } : {}),
        ...(o.context ? { contextSize: o.context as number } : {}),
      },
    };
  }
  // Windows drive letters aside, anything else with a scheme is unknown.
  if (scheme && /^[a-z][a-z0-9+.-]*$/.test(scheme) && scheme.length > 1) throw bad(spec, `unknown kind "${scheme}:"`);
  const [path] = splitQuery(s);
  if (/\.gguf$/i.test(path)) return parseModelSpec(`gguf:${s}`);
  if (/\.safetensors$/i.test(path)) return parseModelSpec(`embedded:${s}`);
  if (fs.existsSync(path) && fs.statSync(path).isDirectory())
    throw bad(spec, 'it is a directory; name the checkpoint file inside it (.safetensors) or the .gguf file');
  throw bad(spec, 'cannot tell which backend it is');
}

/** Opens the policy a spec names. */
export async function loadPolicy(spec: string | ModelSpec, env: NodeJS.ProcessEnv = process.env): Promise<Policy> {
  const s = typeof spec === 'string' ? parseModelSpec(spec) : spec;
  switch (s.kind) {
    case 'embedded': {
      const { EmbeddedPolicy } = await import('./embedded.js');
      return EmbeddedPolicy.load(s.path, s.options);
    }
    case 'gguf': {
      const { GgufPolicy } = await import('./gguf.js');
      return GgufPolicy.load(s.path, s.options);
    }
    case 'http': {
      const { HttpPolicy } = await import('./http.js');
      const { tokenizer, ...rest } = s.options;
      const hf = tokenizer ? (await import('./hf-tokenizer.js')).HfTokenizer.load(tokenizer) : undefined;
      const policy = new HttpPolicy({
        model: s.model,
        ...(s.baseURL ? { baseURL: s.baseURL } : {}),
        ...rest,
        ...(hf ? { tokenizer: hf } : {}),
        env,
      });
      // Dialect, context size and chat format: the default prompt style depends on them.
      await policy.probe();
      return policy;
    }
  }
}

/** Opens a value model: only embedded checkpoints with a value head have one. */
export async function loadValueModel(spec: string | ModelSpec): Promise<ValueModel> {
  const s = typeof spec === 'string' ? parseModelSpec(spec) : spec;
  if (s.kind !== 'embedded')
    throw usageError(
      `a value model must be an embedded checkpoint with a value head, got a ${s.kind} spec`,
      'use --value embedded:<value-checkpoint>.safetensors',
    );
  const { EmbeddedValueModel } = await import('./embedded.js');
  return EmbeddedValueModel.load(s.path, s.options);
}
