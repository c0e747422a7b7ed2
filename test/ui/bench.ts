/**
 * `npx tsx test/ui/bench.ts [repeats]`: the explorer's large-trace benchmark (render-bench.ts),
 * repeated; prints one JSON object with the median of each timing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureWebBuilt, launch } from './browser.js';
import { startUi } from './harness.js';
import { bigTrace, measureRender, type RenderTiming } from './render-bench.js';

const repeats = Number(process.argv[2] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
ensureWebBuilt();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-ui-bench-'));
const ui = await startUi(root);
const browser = await launch();
try {
  const trace = await bigTrace();
  const runs: RenderTiming[] = [];
  for (let i = 0; i < repeats; i++) runs.push(await measureRender(browser, ui.url, root, trace));
  const keys = ['firstRenderMs', 'openMs', 'expandAllMs', 'clickMs'] as const;
  const out = {
    bench: 'ui-render',
    nodes: trace.nodes.length,
    repeats,
    browser: browser.version(),
    ...Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k]))])),
    samples: runs,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
} finally {
  await browser.close();
  await ui.close();
  fs.rmSync(root, { recursive: true, force: true });
}
