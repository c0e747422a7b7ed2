/**
 * Checkpoints shipped inside the rlmkit package (`checkpoints/`), by name, so programs and
 * examples find them wherever rlmkit is installed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { usageError } from '../core/errors.js';

const packageRoot = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'checkpoints'))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
})();

/** Names of the shipped checkpoints (folders under `checkpoints/` holding a policy). */
export function shippedCheckpointNames(): string[] {
  const root = path.join(packageRoot, 'checkpoints');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, d.name, 'policy.safetensors')))
    .map((d) => d.name)
    .sort();
}

/**
 * Absolute path of a shipped policy checkpoint, e.g. `shippedCheckpoint('game24-sft')`; use it in a
 * model spec as `embedded:${shippedCheckpoint('game24-sft')}`.
 */
export function shippedCheckpoint(name: string): string {
  const file = path.join(packageRoot, 'checkpoints', name, 'policy.safetensors');
  if (!fs.existsSync(file))
    throw usageError(`no shipped checkpoint named "${name}"`, `shipped checkpoints: ${shippedCheckpointNames().join(', ') || '(none)'}`);
  return file;
}
