#!/usr/bin/env node
// Entry point of the `rlmkit` command. The CLI itself is compiled from src/cli to dist/cli.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error(
    'rlmkit: the CLI is not built yet (dist/ is missing).\nhint: run `npm install` (which builds) or `npm run build` in the rlmkit folder.',
  );
  process.exit(1);
}
await import(main.href);
