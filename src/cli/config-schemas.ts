/**
 * The config kinds `rlmkit config print` knows, chosen by the file's top-level `kind:` key.
 * Capabilities that read YAML configs add their schema here.
 */
import type { z } from 'zod';
import { BaseConfigSchema } from '../core/index.js';
import { RecipeSchema } from '../training/recipe.js';
import { DemoConfigSchema } from './demo/config.js';

export const configSchemas: Record<string, z.ZodType> = {
  base: BaseConfigSchema,
  train: RecipeSchema,
  demo: DemoConfigSchema,
};
