/**
 * The version of the model contracts in ./types.ts (`Policy`, `ValueModel`, `RewardModel`), in the
 * manner of the Vercel AI SDK's `specificationVersion` ('v2' on its LanguageModelV2): a model says
 * which version of the contract it implements, and rlmkit checks it where a model enters (a
 * search's models in `solve`, a served model's provider and the policies it resolves), so a model
 * written for another version fails there with a clear message instead of somewhere inside a
 * search. A model without the field implements 'v1' (every model written before the field existed).
 *
 * A new version is added when a contract changes incompatibly (a method renamed or changing
 * meaning, a field required); adding an optional field or capability keeps the version.
 */
import { usageError } from '../core/errors.js';

/** The versions of the model contracts this rlmkit implements (the newest last). */
export const MODEL_SPECIFICATION_VERSIONS = ['v1'] as const;
export type ModelSpecificationVersion = (typeof MODEL_SPECIFICATION_VERSIONS)[number];
/** The version rlmkit's own models declare. */
export const MODEL_SPECIFICATION_VERSION: ModelSpecificationVersion = 'v1';

/**
 * Refuses a model (or a serve provider) that declares a contract version this rlmkit does not
 * implement: a usage error naming the model, the version it declares and the versions known.
 */
export function checkSpecificationVersion(model: object, role: string): void {
  const v = (model as { specificationVersion?: unknown }).specificationVersion;
  if (v === undefined || (MODEL_SPECIFICATION_VERSIONS as readonly unknown[]).includes(v)) return;
  const id = (model as { id?: unknown; name?: unknown }).id ?? (model as { name?: unknown }).name;
  const named = typeof id === 'string' ? ` "${id}"` : '';
  throw usageError(
    `${role}${named} declares specificationVersion ${JSON.stringify(v)}, but this rlmkit implements ${MODEL_SPECIFICATION_VERSIONS.map((x) => `"${x}"`).join(', ')} of the model interface`,
    `implement the "${MODEL_SPECIFICATION_VERSION}" interface of rlmkit/models (src/models/README.md, "Model interface version"), or use an rlmkit that implements ${JSON.stringify(v)}`,
  );
}
