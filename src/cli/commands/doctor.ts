/**
 * `rlmkit doctor`: reports each dependency rlmkit uses (present or not) and the command that fixes
 * a missing one. Exits 0 when everything required is there, 1 otherwise; optional parts only warn.
 */
import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { CommandModule } from '../registry.js';

export interface Check {
  name: string;
  required: boolean;
  ok: boolean;
  detail: string;
  fix?: string;
  /** What the dependency is used for. */
  usedFor: string;
}

function which(cmd: string, versionArgs: string[] = ['--version']): { ok: boolean; version: string } {
  const r = spawnSync(cmd, versionArgs, { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status === null) return { ok: false, version: 'not found' };
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? '';
  return { ok: r.status === 0 || out.length > 0, version: out.slice(0, 80) };
}

async function loadable(mod: string): Promise<{ ok: boolean; version: string }> {
  const require = createRequire(import.meta.url);
  try {
    await import(mod);
    return { ok: true, version: packageVersion(require, mod) };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    return { ok: false, version: /Cannot find (module|package)/.test(msg) ? 'not installed' : `fails to load: ${msg.slice(0, 80)}` };
  }
}

/** Version from a package's package.json, found by walking up from its resolved entry point. */
function packageVersion(require: NodeRequire, mod: string): string {
  let dir = path.dirname(require.resolve(mod));
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === mod) return pkg.version ?? 'unknown';
    }
    dir = path.dirname(dir);
  }
  return 'unknown version';
}

export async function runChecks(): Promise<Check[]> {
  const checks: Check[] = [];
  const major = Number(process.versions.node.split('.')[0]);
  checks.push({
    name: 'node',
    required: true,
    ok: major >= 20,
    detail: `v${process.versions.node}`,
    fix: 'install Node.js 20 or newer',
    usedFor: 'everything',
  });

  const npmMods: Array<[string, boolean, string]> = [
    ['@jax-js/jax', true, 'training the embedded models'],
    ['onnxruntime-node', true, 'fast sampling from embedded models'],
    ['node-llama-cpp', false, 'running GGUF models in-process'],
    ['@cortex-js/compute-engine', true, 'math answer equivalence'],
    ['quickjs-emscripten', true, 'sandboxed JavaScript'],
    ['@resvg/resvg-js', true, 'rendering SVG for render-feedback rewards (svg-render)'],
  ];
  // node-llama-cpp is an optional peer dependency (it brings ~600 MB of CUDA/Vulkan builds): a
  // project adds it when it wants GGUF models in-process, at the version rlmkit is tested with.
  const peers =
    (createRequire(import.meta.url)('../../../package.json') as { peerDependencies?: Record<string, string> }).peerDependencies ?? {};
  for (const [mod, required, usedFor] of npmMods) {
    const r = await loadable(mod);
    const fix = peers[mod]
      ? `npm install ${mod}@${peers[mod]}   (optional peer dependency of rlmkit; only for ${usedFor})`
      : 'npm install (in your project, or in the rlmkit folder)';
    checks.push({ name: mod, required, ok: r.ok, detail: r.version, fix, usedFor });
  }

  const tools: Array<[string, string[], boolean, string, string]> = [
    ['bwrap', ['--version'], true, 'sandboxed Python execution (HumanEval)', 'npm run setup   (apt-get install -y bubblewrap)'],
    ['prlimit', ['--version'], true, 'resource limits for sandboxed code', 'npm run setup   (apt-get install -y util-linux)'],
    ['python3', ['--version'], true, 'running Python code tasks in the sandbox', 'npm run setup   (apt-get install -y python3)'],
    ['redis-server', ['--version'], false, 'optional shared response cache', 'npm run setup   (apt-get install -y redis-server)'],
    ['chromium', ['--version'], false, 'web UI screenshots in tests', 'npm run setup   (apt-get install -y chromium)'],
  ];
  for (const [cmd, args, required, usedFor, fix] of tools) {
    const r = which(cmd, args);
    checks.push({ name: cmd, required, ok: r.ok, detail: r.version, fix, usedFor });
  }
  return checks;
}

export const doctorCommand: CommandModule = {
  name: 'doctor',
  summary: 'check Node, native parts and system tools, with the command that fixes each',
  register(program: Command) {
    program
      .command('doctor')
      .description('check that every dependency rlmkit uses is present, and how to fix what is missing')
      .option('--json', 'print the checks as JSON')
      .action(async (opts: { json?: boolean }) => {
        const checks = await runChecks();
        if (opts.json) {
          process.stdout.write(JSON.stringify(checks, null, 2) + '\n');
        } else {
          const w = Math.max(...checks.map((c) => c.name.length));
          for (const c of checks) {
            const mark = c.ok ? 'ok     ' : c.required ? 'MISSING' : 'absent ';
            process.stdout.write(
              `${mark}  ${c.name.padEnd(w)}  ${c.detail.padEnd(28)}  ${c.usedFor}${c.ok ? '' : `\n         fix: ${c.fix}`}\n`,
            );
          }
        }
        const missing = checks.filter((c) => c.required && !c.ok);
        if (missing.length) {
          if (!opts.json)
            process.stdout.write(`\n${missing.length} required part(s) missing; run \`npm run setup\` to install the system packages.\n`);
          process.exitCode = 1;
        }
      });
  },
};
