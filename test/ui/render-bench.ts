/**
 * The large-trace benchmark: a real MCTS trace of at least 2,000 nodes (legal-uniform policy,
 * no deduplication, so the tree keeps growing) opened in the explorer in headless Chromium.
 * Measures the first render (trace received -> boxes painted, reported by the app), the time to
 * lay out and draw every node ("expand all"), and a click's time to show node details after that.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { writeTrace } from '../../src/reasoning/tracer.js';
import type { Trace } from '../../src/reasoning/trace.js';
import { makeTrace } from './harness.js';

export async function bigTrace(minNodes = 2000): Promise<Trace> {
  // The tree of one puzzle saturates with few children per expansion; widen until it is big enough.
  for (let children = 9; children <= 16; children++) {
    const t = await makeTrace({
      problem: '1 5 7 11',
      strategy: 'mcts',
      settings: { simulations: 600, children, dedupe: false, stop_when_solved: false },
    });
    if (t.nodes.length >= minNodes) return t;
  }
  throw new Error(`no MCTS trace with ${minNodes} nodes from 16 children per expansion`);
}

export interface RenderTiming {
  nodes: number;
  /** Trace JSON received -> first paint of the default (overview) view, as the app measures it. */
  firstRenderMs: number;
  /** page.goto -> tree on screen, network and parsing included. */
  openMs: number;
  /** "expand all" click -> every node drawn. */
  expandAllMs: number;
  /** click on a node (all nodes drawn) -> its details shown. */
  clickMs: number;
}

export async function measureRender(browser: Browser, baseUrl: string, runsDir: string, trace: Trace, name = 'big'): Promise<RenderTiming> {
  const rel = `traces/${name}.json`;
  const file = path.join(runsDir, 'bench', rel);
  if (!fs.existsSync(file)) writeTrace(file, trace);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    const t0 = Date.now();
    await page.goto(`${baseUrl}/#/trace?run=bench&path=${encodeURIComponent(rel)}`);
    const explorer = page.getByTestId('explorer');
    await explorer.and(page.locator('[data-render-ms]:not([data-render-ms=""])')).waitFor({ timeout: 60_000 });
    const openMs = Date.now() - t0;
    const firstRenderMs = Number(await explorer.getAttribute('data-render-ms'));
    const tree = page.getByTestId('tree');
    const t1 = Date.now();
    await page.getByTestId('expand-all').click();
    await page.locator(`[data-testid="tree"][data-nodes="${trace.nodes.length}"]`).waitFor({ timeout: 60_000 });
    const expandAllMs = Date.now() - t1;
    if (Number(await tree.getAttribute('data-nodes')) !== trace.nodes.length) throw new Error('not every node was drawn');
    const target = trace.nodes[trace.nodes.length - 1];
    const t2 = Date.now();
    await page.locator(`[data-node="${target.id}"]`).dispatchEvent('click');
    await page
      .getByTestId('node-details')
      .filter({ hasText: `node ${target.id}` })
      .waitFor({ timeout: 30_000 });
    const clickMs = Date.now() - t2;
    return { nodes: trace.nodes.length, firstRenderMs, openMs, expandAllMs, clickMs };
  } finally {
    await page.close();
  }
}
