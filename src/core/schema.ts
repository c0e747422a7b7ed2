/**
 * Config sections every run shares. Capabilities compose these into their own config schemas
 * (e.g. the training recipe schema in src/training) with zod's strict objects, so that unknown keys
 * are rejected instead of silently ignored.
 */
import { z } from 'zod';

export const RunSectionSchema = z.strictObject({
  /** Run name: the folder runs/<name>/. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, ".", "_" and "-" only')
    .default('run'),
  /** Folder that holds run directories. */
  root: z.string().default('runs'),
  /** Seed for every random choice in the run. */
  seed: z.number().int().nonnegative().default(0),
});
export type RunSection = z.output<typeof RunSectionSchema>;

/** The smallest valid config: just the run section. Recipes extend it. */
export const BaseConfigSchema = z.strictObject({
  /** Which schema the file follows (see `rlmkit config print --help`). */
  kind: z.literal('base').optional(),
  run: RunSectionSchema.default({ name: 'run', root: 'runs', seed: 0 }),
});
