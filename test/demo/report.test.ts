import { describe, expect, it } from 'vitest';
import { renderReport, svgPlot, svgTree } from '../../src/cli/demo/report.js';
import { TraceSchema, type Trace } from '../../src/reasoning/trace.js';
import { PATH_COLOUR, STATUS_STYLES } from '../../src/ui/status.js';

function node(id: string, parents: string[], step: string, extra: Partial<Trace['nodes'][number]> = {}): Trace['nodes'][number] {
  return {
    id,
    parents,
    step,
    depth: parents.length ? 1 : 0,
    visits: 1,
    value: null,
    q: null,
    scores: {},
    rewards: {},
    terminal: false,
    valid: null,
    answer: null,
    correct: null,
    pruned: false,
    ...extra,
  };
}

const trace: Trace = TraceSchema.parse({
  version: 1,
  task: 'game24',
  problem: { id: 'p1', question: '4 4 6 8' },
  strategy: { name: 'mcts', settings: { simulations: 2 } },
  models: { policy: 'test' },
  structure: 'tree',
  root: 'n0',
  nodes: [
    node('n0', [], '', { visits: 3 }),
    node('n1', ['n0'], '4+8=12 (4 6 12)', { visits: 2, q: 0.5 }),
    node('n2', ['n0'], '4*4=16 (6 8 16)', { q: -0.5, valid: false }),
    node('n3', ['n1'], '<b>12*2=24</b>', { terminal: true, answer: '24', correct: true }),
  ],
  operators: [{ op: 'generate', nodes: ['n0'], produced: ['n1', 'n2'], t: 0 }],
  usage: { promptTokens: 10, completionTokens: 20, calls: 2, evalCalls: 1, wallMs: 5, modelMs: 4, expansions: 2 },
  usedGroundTruth: false,
  checksUsed: ['rule-check'],
  final: { answer: '24', nodeId: 'n3', path: ['n0', 'n1', 'n3'], correct: true, stopReason: 'done' },
  createdAt: new Date(0).toISOString(),
});

describe('demo report', () => {
  it('draws every node of a small tree as a labelled box and marks the chosen path', () => {
    const svg = svgTree(trace);
    expect(svg.match(/<rect/g)).toHaveLength(4);
    expect(svg.match(/<path/g)).toHaveLength(3);
    expect(svg).toContain('&lt;b&gt;12*2=24&lt;/b&gt;');
    expect(svg).not.toContain('<b>');
    expect(svg).toContain(STATUS_STYLES.correct.fill); // the correct terminal
    expect(svg).toContain('4+8=12 (4 6 12)'); // readable without hovering
    expect(svg).toContain('q 0.50 · n 2');
    expect(svg.match(new RegExp(`stroke="${PATH_COLOUR}"`, 'g'))!.length).toBe(2 + 3); // two path edges, three path boxes
  });

  it('colours a rule-invalid step grey even when it is also a wrong terminal, as the legend says', () => {
    const bad = TraceSchema.parse({
      ...trace,
      nodes: [...trace.nodes, node('n4', ['n1'], '12/0=? (x)', { terminal: true, answer: 'x', correct: false, valid: false })],
    });
    const svg = svgTree(bad);
    const box = svg.split('<g>').find((g) => g.includes('n4:'))!;
    expect(box).toContain(`fill="${STATUS_STYLES.invalid.fill}"`);
    expect(box).not.toContain(STATUS_STYLES.wrong.fill);
    const html = renderReport({ title: 't', strategies: [], curves: [], trees: [{ title: 'x', trace: bad }], notes: [] });
    for (const s of Object.values(STATUS_STYLES)) expect(html).toContain(s.label);
  });

  it('a failed search without a chosen path says so instead of an empty box', () => {
    const failed = TraceSchema.parse({
      ...trace,
      final: { answer: null, nodeId: null, path: [], correct: null, stopReason: 'budget:calls' },
    });
    const html = renderReport({ title: 't', strategies: [], curves: [], trees: [{ title: 'failed', trace: failed }], notes: [] });
    expect(html).toContain('No chosen path: the search stopped (budget:calls)');
    expect(html).not.toMatch(/<pre>\s*<\/pre>/);
  });

  it('keeps big trees readable: at most a few boxes per parent, the rest summarised', () => {
    const many = [
      node('n0', [], '', { visits: 40 }),
      ...Array.from({ length: 30 }, (_, i) =>
        node(`c${i}`, ['n0'], `step ${i}`, { visits: i, terminal: true, correct: false, answer: String(i) }),
      ),
    ];
    const big = TraceSchema.parse({
      ...trace,
      nodes: many,
      final: { answer: '29', nodeId: 'c29', path: ['n0', 'c29'], correct: false, stopReason: 'done' },
    });
    const svg = svgTree(big, { perParent: 4 });
    expect(svg.match(/<rect/g)).toHaveLength(5);
    expect(svg).toContain('+26 more: 26 terminal, wrong');
    expect(svg).toContain('step 29');
  });

  it('plot legends show whole series names', () => {
    const name = 'MCTS 48 simulations x 4 children, value model';
    expect(svgPlot([{ name, line: false, points: [{ x: 1, y: 1 }] }], { xLabel: 'x', yLabel: 'y' })).toContain(`>${name}</text>`);
  });

  it('plots points with error bars and handles empty data', () => {
    const svg = svgPlot(
      [
        {
          name: 'a',
          line: false,
          points: [
            { x: 100, y: 40, lo: 30, hi: 50 },
            { x: 1000, y: 60 },
          ],
        },
      ],
      { xLabel: 'x', yLabel: 'y', logX: true, yMin: 0, yMax: 100 },
    );
    expect(svg.match(/<circle/g)).toHaveLength(2);
    expect(svg).toContain('<line');
    expect(svgPlot([], { xLabel: 'x', yLabel: 'y' })).toContain('no data');
  });

  it('renders a self-contained page with results, plots and trees', () => {
    const html = renderReport({
      title: 'rlmkit demo',
      strategies: [
        {
          name: 'cot',
          label: 'greedy CoT',
          solved: 3,
          total: 10,
          rate: 0.3,
          ci95: [0.1, 0.6],
          meanTokens: 40,
          meanExpansions: 3,
          checksUsed: [],
        },
      ],
      curves: [
        {
          title: 'SFT loss',
          xLabel: 'step',
          yLabel: 'loss',
          series: [
            {
              name: 'loss',
              points: [
                [1, 2],
                [2, 1],
              ],
            },
          ],
        },
      ],
      trees: [{ title: 'solved', trace }],
      notes: ['a <note>'],
    });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('3/10');
    expect(html).toContain('30.0%');
    expect(html).toContain('a &lt;note&gt;');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(html.match(/<svg/g)!.length).toBe(3);
  });
});
