/**
 * End to end: `rlmkit ui` as a subprocess, driven in headless Debian Chromium through
 * playwright-core. A real tiny `rlmkit train` run writes metrics while the browser watches its
 * curves grow; a real MCTS trace (library solve) is explored, expanded, searched and replayed;
 * the playground solves a Game of 24 puzzle; corrupt and foreign files get readable messages.
 * Screenshots of each view land in docs/ui with RLMKIT_UI_SCREENSHOTS=1.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTrace } from '../../src/reasoning/tracer.js';
import { getStrategy, parseSettings } from '../../src/reasoning/strategies/index.js';
import type { Trace } from '../../src/reasoning/trace.js';
import { ensureWebBuilt, launch, screenshotDir } from './browser.js';
import { runCliAsync } from '../helpers/cli.js';
import { pairedDifference } from '../../src/eval/stats.js';
import { makeTrace, spawnCli, startUi, waitFor, type UiProcess } from './harness.js';
import { bigTrace, measureRender } from './render-bench.js';

let root: string;
let runs: string;
let shots: string;
let ui: UiProcess;
let browser: Browser;
let page: Page;
let mcts: Trace;
const children: ChildProcess[] = [];

const fmt = (x: number | null) => (x === null ? '—' : Number.isInteger(x) ? String(x) : x.toFixed(3));

beforeAll(async () => {
  ensureWebBuilt();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-ui-'));
  runs = path.join(root, 'runs');
  shots = screenshotDir(path.join(root, 'shots'));
  mcts = await makeTrace({ problem: '4 4 6 8', strategy: 'mcts', journey: true });
  writeTrace(path.join(runs, 'search', 'traces', 'mcts-4-4-6-8.json'), mcts);
  ui = await startUi(runs);
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await browser?.close();
  expect(await ui?.close()).toBe(0);
  fs.rmSync(root, { recursive: true, force: true });
});

/** Pans the drawing (mouse drags on the canvas, as a user does) until `l` is well inside the viewport. */
async function panTo(l: Locator): Promise<void> {
  const canvas = (await page.getByTestId('tree').boundingBox())!;
  const cx = canvas.x + canvas.width / 2;
  const cy = canvas.y + canvas.height / 2;
  for (let i = 0; i < 20; i++) {
    const b = (await l.boundingBox())!;
    const dx = cx - (b.x + b.width / 2);
    const dy = cy - (b.y + b.height / 2);
    if (Math.abs(dx) < canvas.width / 3 && Math.abs(dy) < canvas.height / 3) return;
    const step = (d: number) => Math.max(-250, Math.min(250, d));
    // Start the drag on an empty spot near the top-left corner of the canvas.
    await page.mouse.move(canvas.x + 300, canvas.y + 300);
    await page.mouse.down();
    await page.mouse.move(canvas.x + 300 + step(dx), canvas.y + 300 + step(dy), { steps: 4 });
    await page.mouse.up();
  }
  throw new Error('could not pan to the element');
}

async function points(title: string): Promise<number> {
  const el = page.locator(`[data-testid="chart-${title}"]`);
  if ((await el.count()) === 0) return 0;
  return Number(await el.getAttribute('data-points'));
}

const sftRecords = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
    .filter((r) => r.phase === 'sft').length;

describe('rlmkit ui in Chromium', () => {
  it('runs: the curves of a training run update live while it writes metrics', async () => {
    // A real tiny SFT run (1-layer model), long enough to be watched; stopped once growth is seen.
    const TINY = ['model.d_model=32', 'model.n_layers=1', 'model.n_heads=2', 'model.d_ff=64', 'model.max_seq_len=256'];
    const sets = [...TINY, `run.root=${runs}`, 'sft.steps=3000', 'sft.batch_size=4', 'log_every=1', 'checkpoint_every=20'];
    const train = spawnCli([
      'train',
      '--config',
      'recipes/arith-sft.yaml',
      '--run',
      'tiny',
      '--quiet',
      ...sets.flatMap((s) => ['--set', s]),
    ]);
    children.push(train);
    const metrics = path.join(runs, 'tiny', 'metrics.jsonl');
    await waitFor('the first metrics record', () => fs.existsSync(metrics) && fs.readFileSync(metrics, 'utf8').includes('\n'), 90_000);
    await page.goto(`${ui.url}/#/runs/tiny`);
    await page.getByTestId('live-badge').filter({ hasText: 'live' }).waitFor();
    await waitFor('the loss chart', async () => (await points('loss')) > 0);
    const first = await points('loss');
    expect(train.exitCode).toBeNull();
    const later = await waitFor('more points on the loss chart', async () => {
      const p = await points('loss');
      return p >= first + 5 ? p : 0;
    });
    expect(later).toBeGreaterThanOrEqual(first + 5);
    await page.screenshot({ path: path.join(shots, 'runs.png') });
    await waitFor('a checkpoint', () => fs.existsSync(path.join(runs, 'tiny', 'checkpoints', 'sft', 'latest.json')), 60_000);
    train.kill('SIGTERM');
    await new Promise((r) => train.once('close', r));
    // Once the writer stops, the chart holds exactly the records in the file.
    await waitFor('the chart to match metrics.jsonl', async () => (await points('loss')) === sftRecords(metrics), 10_000);
    // Compare: a second run (the same records shifted, written here) drawn on the same charts.
    const other = path.join(runs, 'tiny-b');
    fs.mkdirSync(other);
    const shifted = fs
      .readFileSync(metrics, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => ({ ...JSON.parse(l), loss: JSON.parse(l).loss + 0.5 }));
    fs.writeFileSync(path.join(other, 'metrics.jsonl'), shifted.map((r) => JSON.stringify(r) + '\n').join(''));
    await page.reload();
    await page.getByTestId('compare-select').locator('option', { hasText: 'tiny-b' }).waitFor({ state: 'attached', timeout: 10_000 });
    await page.getByTestId('compare-select').selectOption('tiny-b');
    const loss = page.getByTestId('chart-loss');
    await loss.locator('.u-legend').getByText('tiny-b').waitFor();
    expect(await loss.locator('.u-legend').getByText('tiny', { exact: true }).count()).toBe(1);
    await page.getByTestId('tab-config').click();
    expect(await page.getByTestId('config').textContent()).toContain('pipeline: sft');
    await page.getByTestId('tab-checkpoints').click();
    await page
      .getByText(/policy-step-\d+\.safetensors/)
      .first()
      .waitFor();
  });

  it('trace explorer: expand a collapsed node, read a child step text and q', async () => {
    // Opened the way a user does: the run, its Traces tab, the file.
    await page.goto(`${ui.url}/#/runs/search`);
    await page.getByTestId('tab-traces').click();
    await page.getByRole('link', { name: 'traces/mcts-4-4-6-8.json' }).click();
    await page.getByTestId('tree').waitFor();
    const shown = Number(await page.getByTestId('tree').getAttribute('data-nodes'));
    expect(shown).toBeGreaterThan(1);
    // A collapsed node shows "+N" on its toggle; open one.
    const toggle = page.locator('[data-toggle]').filter({ hasText: '+' }).first();
    const id = (await toggle.getAttribute('data-toggle'))!;
    await panTo(toggle);
    await toggle.click();
    const kids = mcts.nodes.filter((n) => n.parents[0] === id);
    expect(kids.length).toBeGreaterThan(0);
    expect(Number(await page.getByTestId('tree').getAttribute('data-nodes'))).toBe(shown + kids.length);
    const child = kids[kids.length - 1];
    const box = page.locator(`[data-node="${child.id}"]`);
    await panTo(box);
    await box.click();
    expect(await page.getByTestId('node-step').textContent()).toBe(child.step);
    expect(await page.getByTestId('node-q').textContent()).toBe(fmt(child.q));
    expect(await page.getByTestId('node-visits').textContent()).toBe(String(child.visits));
    await page.screenshot({ path: path.join(shots, 'trace.png') });
  });

  it('trace explorer: search finds a hidden node and reveals it', async () => {
    const leaf = mcts.nodes.filter((n) => n.terminal).at(-1)!;
    await page.getByTestId('search').fill(leaf.step);
    const count = mcts.nodes.filter(
      (n) => n.step.toLowerCase().includes(leaf.step.toLowerCase()) || (n.answer ?? '').toLowerCase().includes(leaf.step.toLowerCase()),
    ).length;
    expect(await page.getByTestId('search-count').textContent()).toBe(`${count} match${count === 1 ? '' : 'es'}`);
    await page.getByTestId('search').press('Enter');
    const hit = page.locator('[data-node].hit.selected');
    await hit.waitFor();
    const id = await hit.getAttribute('data-node');
    const node = mcts.nodes.find((n) => n.id === id)!;
    expect(
      node.step.toLowerCase().includes(leaf.step.toLowerCase()) || (node.answer ?? '').toLowerCase().includes(leaf.step.toLowerCase()),
    ).toBe(true);
    expect(await page.getByTestId('node-step').textContent()).toBe(node.step);
  });

  it('trace explorer: replays the operator sequence step by step', async () => {
    await page.getByTestId('replay-toggle').click();
    const ops = mcts.operators;
    const born = new Map<string, number>();
    ops.forEach((op, i) => op.produced?.forEach((p) => born.has(p) || born.set(p, i)));
    const visibleAt = (k: number) => mcts.nodes.filter((n) => (born.get(n.id) ?? -1) < k).length;
    expect(Number(await page.getByTestId('tree').getAttribute('data-nodes'))).toBe(visibleAt(0));
    for (let i = 0; i < 5; i++) await page.getByTestId('replay-step').click();
    const caption = (await page.getByTestId('replay-caption').textContent())!;
    expect(caption).toContain(`5/${ops.length} · ${ops[4].op} on ${ops[4].nodes.join(', ')}`);
    expect(Number(await page.getByTestId('tree').getAttribute('data-nodes'))).toBe(visibleAt(5));
    await page.screenshot({ path: path.join(shots, 'replay.png') });
    await page.getByTestId('replay-slider').fill(String(ops.length));
    await waitFor(
      'the whole tree at the end of the replay',
      async () => Number(await page.getByTestId('tree').getAttribute('data-nodes')) === mcts.nodes.length,
    );
    await page.getByTestId('replay-toggle').click();
    await page.getByTestId('trace-tab-journey').click();
    const journey = mcts.notes!.journey as unknown[];
    expect(await page.locator('[data-testid="journey"] li').count()).toBe(journey.length);
  });

  it('trace explorer: a graph with several parents gets a layered layout; nested structures open', async () => {
    const got = await makeTrace({ task: 'sorting', strategy: 'got' });
    const joined = got.nodes.find((n) => n.parents.length > 1)!;
    expect(joined).toBeDefined();
    writeTrace(path.join(runs, 'search', 'traces', 'got-sorting.json'), got);
    await page.goto(`${ui.url}/#/trace?run=search&path=${encodeURIComponent('traces/got-sorting.json')}`);
    const tree = page.getByTestId('tree');
    await tree.waitFor();
    expect(await tree.getAttribute('data-engine')).toBe('dagre');
    expect(await page.locator('path.edge.cross').count()).toBe(got.nodes.reduce((s, n) => s + Math.max(0, n.parents.length - 1), 0));
    const box = page.locator(`[data-node="${joined.id}"]`);
    await panTo(box);
    await box.click();
    for (const p of joined.parents) await page.getByTestId('node-details').getByText(p, { exact: true }).waitFor();
    const withNested = got.nodes.find((n) => n.nested)!;
    const nested = withNested.nested as Trace;
    await panTo(page.locator(`[data-node="${withNested.id}"]`));
    await page.locator(`[data-node="${withNested.id}"]`).click();
    await page.getByTestId('open-nested').click();
    expect(Number(await tree.getAttribute('data-nodes'))).toBe(nested.nodes.length);
    await page.getByTestId('close-nested').click();
    expect(Number(await tree.getAttribute('data-nodes'))).toBe(got.nodes.length);
  });

  it('playground: solves a Game of 24 puzzle and shows the answer the library gives', async () => {
    const puzzle = '1 2 3 4';
    const expected = await makeTrace({ problem: puzzle, strategy: 'mcts', settings: parseSettings(getStrategy('mcts'), {}) });
    await page.goto(`${ui.url}/#/playground`);
    await page.getByTestId('pg-task').selectOption('game24');
    await page.getByTestId('pg-strategy').selectOption('mcts');
    await page.getByTestId('pg-typed').fill(puzzle);
    await page.getByTestId('pg-model').fill('legal-uniform');
    await page.getByTestId('pg-run').click();
    const answer = page.getByTestId('pg-answer');
    await answer.waitFor({ timeout: 60_000 });
    const text = (await answer.textContent())!;
    expect(text).toContain(`answer: ${expected.final.answer ?? '(none)'}`);
    expect(text).toContain(expected.final.correct === true ? '✓ correct' : expected.final.correct === false ? '✗ wrong' : '(');
    expect(Number(await page.getByTestId('tree').getAttribute('data-nodes'))).toBeGreaterThan(1);
    await page.screenshot({ path: path.join(shots, 'playground.png') });
    await page.getByTestId('pg-save').click();
    const saved = (await page.getByTestId('pg-saved').textContent())!.replace(/^saved: playground\//, '');
    const written = JSON.parse(fs.readFileSync(path.join(runs, 'playground', saved), 'utf8')) as Trace;
    expect(written.final.answer).toBe(expected.final.answer);
    expect(written.nodes.length).toBe(expected.nodes.length);
  });

  it('a trace of 2,000+ nodes opens and stays responsive', async () => {
    const trace = await bigTrace(2000);
    const t = await measureRender(browser, ui.url, runs, trace);
    console.log(`ui render benchmark: ${JSON.stringify(t)}`);
    expect(t.nodes).toBeGreaterThanOrEqual(2000);
    // Bounds with room for a loaded 2-core machine; `npx tsx test/ui/bench.ts` gives the medians.
    expect(t.firstRenderMs).toBeLessThan(3000);
    expect(t.expandAllMs).toBeLessThan(15_000);
    expect(t.clickMs).toBeLessThan(3000);
  });

  it('evaluations: two rlmkit eval reports side by side with their paired comparison', async () => {
    const evalArgs = (strategy: string, sets: string[]) => [
      'eval',
      '--task',
      'game24',
      '--strategy',
      strategy,
      '--model',
      'legal-uniform',
      '--k',
      '1,2',
      '--limit',
      '12',
      ...sets.flatMap((x) => ['--set', x]),
      '--out',
      path.join(runs, 'eval', `${strategy}.json`),
    ];
    const [a, b] = await Promise.all([runCliAsync(evalArgs('mcts', ['simulations=8'])), runCliAsync(evalArgs('tot-dfs', []))]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const ra = JSON.parse(fs.readFileSync(path.join(runs, 'eval', 'mcts.json'), 'utf8'));
    const rb = JSON.parse(fs.readFileSync(path.join(runs, 'eval', 'tot-dfs.json'), 'utf8'));
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    await page.goto(`${ui.url}/#/evals?run=eval&path=mcts.json`);
    const pass1 = ra.metrics.find((m: { metric: string; k: number }) => m.metric === 'pass' && m.k === 1);
    await page
      .getByTestId('eval-report')
      .filter({ hasText: `[${pct(pass1.lo)}, ${pct(pass1.hi)}]` })
      .waitFor();
    await page.getByTestId('eval-compare').selectOption('eval/tot-dfs.json');
    const d = pairedDifference(rb.perProblem, ra.perProblem, { seed: 0 });
    const paired = page.getByTestId('eval-paired');
    await paired.waitFor();
    expect(await paired.textContent()).toContain(
      `paired on ${d.problems} problems: mcts.json − tot-dfs.json = ${pct(d.difference.mean)} (95% CI [${pct(d.difference.lo)}, ${pct(d.difference.hi)}])`,
    );
    expect(await page.getByTestId('eval-report').count()).toBe(2);
    await page.screenshot({ path: path.join(shots, 'evaluations.png') });
  });

  it('bad input: corrupt and foreign files give a readable message, never a blank page', async () => {
    await page.goto(`${ui.url}/#/trace`);
    const corrupt = path.join(root, 'corrupt.json');
    fs.writeFileSync(corrupt, '{"version": 1, "nodes": [');
    await page.getByTestId('trace-file').setInputFiles(corrupt);
    expect(await page.getByTestId('error').textContent()).toMatch(/not JSON/);
    const foreign = path.join(root, 'foreign.json');
    fs.writeFileSync(foreign, JSON.stringify({ model: 'gpt', choices: [{ text: 'hi' }] }));
    await page.getByTestId('trace-file').setInputFiles(foreign);
    await page.getByTestId('error').filter({ hasText: 'not a valid rlmkit trace' }).waitFor();
    await page.screenshot({ path: path.join(shots, 'bad-input.png') });
    // The same opener takes a good trace from disk.
    const good = path.join(root, 'good.json');
    fs.writeFileSync(good, JSON.stringify(mcts));
    await page.getByTestId('trace-file').setInputFiles(good);
    await page.getByTestId('tree').waitFor();
    expect(await page.getByTestId('error').count()).toBe(0);
    await page.goto(`${ui.url}/#/runs/no-such-run`);
    await page.getByTestId('error').filter({ hasText: 'no run "no-such-run"' }).waitFor();
    await page.goto(`${ui.url}/#/trace?run=search&path=${encodeURIComponent('../../etc/passwd')}`);
    await page.getByTestId('error').filter({ hasText: 'bad file path' }).waitFor();
    expect(await page.getByTestId('nav-runs').isVisible()).toBe(true);
  });
});
