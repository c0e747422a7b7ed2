/**
 * Headless Debian Chromium driven by playwright-core (no browser download: scripts/setup.d/60-chromium.sh
 * installs the `chromium` package), and the built explorer app (web/dist, built here when missing).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { repoRoot } from '../helpers/cli.js';

const CANDIDATES = [process.env.RLMKIT_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((x): x is string => !!x);

export function chromiumPath(): string {
  const found = CANDIDATES.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`no Chromium at ${CANDIDATES.join(', ')}: run \`npm run setup\` (it installs Debian's chromium)`);
  return found;
}

export async function launch(): Promise<Browser> {
  // --no-sandbox: these machines run tests as root, where Chromium's sandbox refuses to start.
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** Builds web/dist with Vite when it is missing (npm install's prepare step normally builds it). */
export function ensureWebBuilt(): void {
  if (fs.existsSync(path.join(repoRoot, 'web/dist/index.html'))) return;
  const vite = path.join(repoRoot, 'node_modules/vite/bin/vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', 'web'], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`vite build failed: ${r.stderr || r.stdout}`);
}

/** Where view screenshots go: docs/ui with RLMKIT_UI_SCREENSHOTS=1 (to refresh the committed ones), else a temp folder. */
export function screenshotDir(fallback: string): string {
  const dir = process.env.RLMKIT_UI_SCREENSHOTS === '1' ? path.join(repoRoot, 'docs/ui') : fallback;
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
