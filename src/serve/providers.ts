/**
 * Model names resolve through a registry of providers. A provider is anything that, given a model
 * name, can hand back a `Policy` that answers completion and chat requests, so new kinds of served
 * models plug in without touching the server:
 *
 *   registry.register(staticProvider({ tiny: scheduler }));            // fixed names
 *   registry.register({ name: 'reasoning', list: () => [],            // computed names, e.g.
 *     resolve: (model, reg) => ... });                                 // "<strategy>@<model>"
 *
 * Providers are asked in registration order; the first that answers wins. A provider may resolve
 * other names through the registry it is given (a strategy provider resolves its inner model).
 */
import { type ModelSpecificationVersion, checkSpecificationVersion } from '../models/interface-version.js';
import type { Policy } from '../models/types.js';

export interface ModelProvider {
  readonly name: string;
  /**
   * The model interface version the provider's policies implement (../models/interface-version.ts);
   * absent: 'v1'. Checked when the provider is registered; each policy it resolves is checked too.
   */
  readonly specificationVersion?: ModelSpecificationVersion;
  /** Model names listed by /v1/models (a provider may resolve more names than it lists). */
  list(): string[];
  /** A policy for `model`, or undefined when this provider does not know the name. */
  resolve(model: string, registry: ModelRegistry): Policy | undefined | Promise<Policy | undefined>;
  close?(): Promise<void>;
}

export class ModelRegistry {
  private readonly providers: ModelProvider[] = [];

  register(provider: ModelProvider): this {
    checkSpecificationVersion(provider, 'model provider');
    this.providers.push(provider);
    return this;
  }

  async resolve(model: string): Promise<Policy | undefined> {
    for (const p of this.providers) {
      const policy = await p.resolve(model, this);
      if (policy) {
        checkSpecificationVersion(policy, `policy from provider ${p.name}`);
        return policy;
      }
    }
    return undefined;
  }

  /** Every listed model name with the provider that lists it. */
  list(): { id: string; provider: string }[] {
    const seen = new Set<string>();
    const out: { id: string; provider: string }[] = [];
    for (const p of this.providers) {
      for (const id of p.list()) {
        if (seen.has(id)) continue;
        seen.add(id);
        out.push({ id, provider: p.name });
      }
    }
    return out;
  }

  async close(): Promise<void> {
    for (const p of this.providers) await p.close?.();
  }
}

/** A provider of fixed names, e.g. the models given to `rlmkit serve --model`. */
export function staticProvider(models: Record<string, Policy>, name = 'static'): ModelProvider {
  const table = new Map(Object.entries(models));
  return {
    name,
    list: () => [...table.keys()],
    resolve: (model) => table.get(model),
    async close() {
      for (const p of new Set(table.values())) await p.close?.();
    },
  };
}
