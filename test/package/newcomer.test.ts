/**
 * The newcomer path and the library path, from outside the repository, as issue 12 describes them:
 *
 * 1. `git clone` the committed repository into an empty temporary folder (no ../shared beside it)
 *    and run the README's main-job command in its --quick form (install, build, demo).
 * 2. `npm pack` that clone, install the tarball into a fresh project that cannot see the repository,
 *    import every entry point from a .ts file compiled with `tsc --strict`, compile and run every
 *    program of examples/ at toy size, and run `npx rlmkit demo --quick` there.
 *
 * Installs come from npm's cache (`--prefer-offline`): the repository's own install has filled it.
 * This tests what is committed (HEAD), so commit before running it locally.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

const MINUTE = 60_000;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-newcomer-'));
const clone = path.join(work, 'empty', 'rlmkit');
const project = path.join(work, 'user-project');
const env = {
  ...process.env,
  CI: 'true',
  NO_COLOR: '1',
  ONNXRUNTIME_NODE_INSTALL: 'skip',
  npm_config_prefer_offline: 'true',
  RLMKIT_DATA_DIR: '',
};
delete (env as Record<string, string | undefined>).RLMKIT_DATA_DIR;
for (const k of Object.keys(env))
  if (k.startsWith('npm_') && k !== 'npm_config_prefer_offline' && k !== 'npm_config_cache')
    delete (env as Record<string, string | undefined>)[k];

function sh(command: string, cwd: string, timeoutMs: number) {
  const r = spawnSync('bash', ['-c', command], { cwd, env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}\n${r.stderr ?? ''}` };
}

/** The README's quickstart command blocks, in order (first: main job; second: test suite). */
function quickstartCommands(readme: string): string[] {
  const section = readme.split(/^## /m).find((s) => s.startsWith('Quickstart')) ?? '';
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
}

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe('a newcomer and a library user (from outside the repository)', { timeout: 40 * MINUTE }, () => {
  let tarball = '';

  it('a fresh clone in an empty folder runs the README main-job command (--quick)', () => {
    fs.mkdirSync(path.dirname(clone), { recursive: true });
    execFileSync('git', ['clone', '-q', repoRoot, clone], { env });
    expect(fs.existsSync(path.join(path.dirname(clone), '..', 'shared'))).toBe(false);
    const [mainJob] = quickstartCommands(fs.readFileSync(path.join(clone, 'README.md'), 'utf8'));
    expect(mainJob).toMatch(/npx rlmkit demo$/);
    const r = sh(`${mainJob} --quick`, clone, 25 * MINUTE);
    expect(r.code, r.out.slice(-4000)).toBe(0);
    expect(r.out).toMatch(/MCTS \d+ sims \(value model\)\s+\d+\/8/);
    const summary = JSON.parse(fs.readFileSync(path.join(clone, 'runs', 'demo-quick', 'summary.json'), 'utf8'));
    expect(summary.groundTruthUsed).toBe(false);
    expect(summary.strategies.length).toBeGreaterThanOrEqual(6);
  });

  it('npm pack ships the library, the data, the checkpoint and the examples, and nothing internal', () => {
    const r = sh('npm pack --silent --pack-destination ..', clone, 10 * MINUTE);
    expect(r.code, r.out.slice(-3000)).toBe(0);
    tarball = path.join(path.dirname(clone), r.out.trim().split('\n').filter(Boolean)[0]);
    expect(fs.existsSync(tarball), tarball).toBe(true);
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const f of [
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/dist/reasoning/index.d.ts',
      'package/data/game24/24.csv',
      'package/data/SOURCES.md',
      'package/checkpoints/game24-sft/policy.safetensors',
      'package/examples/custom-strategy.ts',
      'package/bin/rlmkit.js',
    ]) {
      expect(files, f).toContain(f);
    }
    expect(files.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toBe(false);
  });

  it('a fresh project installs the tarball, type-checks every entry point and the examples under --strict, and runs them', () => {
    fs.mkdirSync(project, { recursive: true });
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }, null, 2));
    const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const dev = ['typescript', '@types/node'].map((n) => `${n}@${lock.devDependencies[n]}`).join(' ');
    const install = sh(
      `npm install --no-audit --no-fund ${tarball} && npm install --no-audit --no-fund --save-dev ${dev}`,
      project,
      15 * MINUTE,
    );
    expect(install.code, install.out.slice(-3000)).toBe(0);
    // The default install is lean: node-llama-cpp is an optional peer, not installed.
    expect(fs.existsSync(path.join(project, 'node_modules', 'node-llama-cpp'))).toBe(false);

    // The settings `tsc --init` writes (strict, skipLibCheck): the user's code is checked against
    // rlmkit's declarations; declaration files themselves are not re-checked (jax-js's name WebGPU
    // types that a Node project does not have). rlmkit's own declarations compile in its build.
    fs.writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            outDir: 'out',
            types: ['node'],
            skipLibCheck: true,
          },
          include: ['*.ts', 'examples/*.ts'],
        },
        null,
        2,
      ),
    );
    fs.writeFileSync(
      path.join(project, 'entry.ts'),
      `import * as root from 'rlmkit';
import * as reasoning from 'rlmkit/reasoning';
import * as models from 'rlmkit/models';
import * as tasks from 'rlmkit/tasks';
import * as rewards from 'rlmkit/rewards';
import * as training from 'rlmkit/training';
import * as evaluation from 'rlmkit/eval';
import * as data from 'rlmkit/data';
import * as serve from 'rlmkit/serve';
import type { Policy, Task, Problem, SolveResult } from 'rlmkit';

const entries = { root, reasoning, models, tasks, rewards, training, evaluation, data, serve };
const empty = Object.entries(entries).filter(([, m]) => Object.keys(m).length === 0).map(([k]) => k);
if (empty.length) throw new Error('empty entry points: ' + empty.join(', '));
const t: Task<Problem> = root.getTask('game24');
const describe = (p: Policy | null, r: SolveResult | null): string => (p ? p.id : 'none') + (r ? r.problemId : '');
const names: string[] = root.describeTasks().map((x) => x.name);
if (!names.includes('game24') || t.name !== 'game24' || describe(null, null) !== 'none') throw new Error('bad registry');
if (root.passAtK(4, 1, 1) !== 0.25) throw new Error('passAtK');
console.log('entry points: ' + Object.keys(entries).join(' '));
`,
    );
    fs.cpSync(path.join(project, 'node_modules', 'rlmkit', 'examples'), path.join(project, 'examples'), { recursive: true });
    const tsc = sh('npx tsc -p tsconfig.json', project, 10 * MINUTE);
    expect(tsc.code, tsc.out.slice(-4000)).toBe(0);

    const entry = sh('node out/entry.js', project, 2 * MINUTE);
    expect(entry.code, entry.out).toBe(0);
    expect(entry.out).toContain('entry points: root reasoning models tasks rewards training evaluation data serve');

    const examples = fs.readdirSync(path.join(project, 'examples')).filter((f) => f.endsWith('.ts'));
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const ex of examples) {
      const r = sh(`RLMKIT_EXAMPLE_SIZE=toy node out/examples/${ex.replace(/\.ts$/, '.js')}`, project, 5 * MINUTE);
      expect(r.code, `${ex}\n${r.out.slice(-3000)}`).toBe(0);
      expect(r.out.trim().length, ex).toBeGreaterThan(0);
    }
  });

  it('npx rlmkit demo --quick runs in the fresh project', () => {
    const r = sh('npx rlmkit demo --quick --set eval.limit=3', project, 15 * MINUTE);
    expect(r.code, r.out.slice(-3000)).toBe(0);
    expect(r.out).toMatch(/greedy CoT\s+\d+\/3/);
    expect(fs.existsSync(path.join(project, 'runs', 'demo-quick', 'summary.json'))).toBe(true);
  });
});
