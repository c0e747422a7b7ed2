/**
 * The model interface version (src/models/interface-version.ts): rlmkit's own models declare 'v1';
 * a model or serve provider declaring a version this rlmkit does not implement is refused where it
 * enters (solve, ModelRegistry) with a usage error naming it; a model without the field is 'v1'.
 */
import { describe, expect, it } from 'vitest';
import { isRlmkitError } from '../../src/core/errors.js';
import { MODEL_SPECIFICATION_VERSION, checkSpecificationVersion } from '../../src/models/interface-version.js';
import { Scheduler } from '../../src/models/scheduler.js';
import type { Policy } from '../../src/models/types.js';
import { LegalUniformPolicy } from '../../src/reasoning/legal-policy.js';
import { solve } from '../../src/reasoning/solve.js';
import { ModelRegistry, staticProvider } from '../../src/serve/providers.js';
import { makeTreeTask, ScriptedPolicy, ScriptedValue, problemsMap, trapWorld } from '../reasoning/fixtures.js';

/** A policy that behaves like `inner` but declares another contract version. */
function declaring(inner: Policy, version: string): Policy {
  return Object.assign(Object.create(inner) as Policy, { specificationVersion: version });
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('model interface version', () => {
  const task = makeTreeTask();
  const { problem, values } = trapWorld();

  it("rlmkit's own models declare the version this rlmkit implements", async () => {
    expect(MODEL_SPECIFICATION_VERSION).toBe('v1');
    const legal = new LegalUniformPolicy(0);
    expect(legal.specificationVersion).toBe('v1');
    const scheduler = new Scheduler(legal);
    expect(scheduler.specificationVersion).toBe('v1');
    await scheduler.close();
  });

  it('solve runs a model without the field or with v1, and refuses an unknown version by name', async () => {
    const settings = { beam_width: 1, k: 2, scorer: 'value' };
    const plain = await solve(problem, {
      task,
      strategy: 'beam',
      settings,
      models: { policy: new ScriptedPolicy(problemsMap(problem)), value: new ScriptedValue(values) },
    });
    const v1 = await solve(problem, {
      task,
      strategy: 'beam',
      settings,
      models: { policy: declaring(new ScriptedPolicy(problemsMap(problem)), 'v1'), value: new ScriptedValue(values) },
    });
    expect(v1.answer).toBe(plain.answer);
    const policy = new ScriptedPolicy(problemsMap(problem));
    const e = await rejection(
      solve(problem, { task, strategy: 'beam', settings, models: { policy: declaring(policy, 'v2'), value: new ScriptedValue(values) } }),
    );
    expect(isRlmkitError(e) && e.kind).toBe('usage');
    expect(e.message).toContain(`policy "${policy.id}" declares specificationVersion "v2", but this rlmkit implements "v1"`);
    expect(policy.calls).toBe(0);
    const value = Object.assign(new ScriptedValue(values), { specificationVersion: 'v0' as never });
    const ev = await rejection(
      solve(problem, { task, strategy: 'beam', settings, models: { policy: new ScriptedPolicy(problemsMap(problem)), value } }),
    );
    expect(ev.message).toMatch(/^value model "[^"]+" declares specificationVersion "v0"/);
  });

  it('the serve registry refuses a provider of an unknown version, and a policy of one that a provider resolves', async () => {
    const registry = new ModelRegistry();
    const provider = { ...staticProvider({}), name: 'future', specificationVersion: 'v3' as never };
    expect(() => registry.register(provider)).toThrow(/model provider "future" declares specificationVersion "v3"/);
    registry.register(staticProvider({ ok: new LegalUniformPolicy(0), odd: declaring(new LegalUniformPolicy(0), 'v2') }));
    expect((await registry.resolve('ok'))?.id).toBeDefined();
    const e = await rejection(registry.resolve('odd'));
    expect(isRlmkitError(e) && e.kind).toBe('usage');
    expect(e.message).toMatch(/policy from provider static "[^"]+" declares specificationVersion "v2"/);
  });

  it('checkSpecificationVersion names the versions it knows in its hint', () => {
    let caught: unknown;
    try {
      checkSpecificationVersion({ id: 'm', specificationVersion: 42 }, 'policy');
    } catch (e) {
      caught = e;
    }
    expect(isRlmkitError(caught)).toBe(true);
    expect((caught as Error).message).toBe(
      'policy "m" declares specificationVersion 42, but this rlmkit implements "v1" of the model interface',
    );
    expect((caught as { hint?: string }).hint).toMatch(/implement the "v1" interface of rlmkit\/models/);
  });
});
