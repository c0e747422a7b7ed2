/**
 * Providers that `rlmkit serve` adds after the models named with --model, like the CLI's command
 * registry: a capability that serves computed model names (e.g. the reasoning proxy's
 * `<strategy>@<model>`) adds one import and one entry here, and the server needs no other change.
 * Each factory gets the registry (to resolve inner models) and the serve flags' model names.
 */
import type { ModelProvider, ModelRegistry } from './providers.js';

export type ProviderPlugin = (registry: ModelRegistry, context: { models: string[] }) => ModelProvider | undefined;

export const providerPlugins: ProviderPlugin[] = [
];
