/**
 * A small hand-built MCTS trace of one Game of 24 puzzle (4 4 6 8), with known outcomes:
 *
 *   root
 *   ├─ n1 "4+8=12 (4 6 12)"   q 0.5
 *   │   ├─ n3 "6-4=2 (12 2)"    q 1
 *   │   │   └─ n5 "12*2=24 (24)"   terminal, correct
 *   │   └─ n4 "4*6=24 (24 12)"   q -1
 *   │       └─ n6 "24-12=12 (12)"  terminal, wrong
 *   ├─ n2 "4*4=16 (16 6 8)"   q -0.6
 *   │   └─ n7 "16+6=22 (22 8)"
 *   │       └─ n8 "22+8=30 (30)"   terminal, wrong
 *   └─ n9 "8/0=? (4 4 6)"     invalid, pruned, never visited
 */
import type { Trace, TraceNode } from '../../src/reasoning/trace.js';

function node(id: string, parent: string | null, step: string, extra: Partial<TraceNode> = {}): TraceNode {
  return {
    id,
    parents: parent ? [parent] : [],
    step,
    depth: 0,
    visits: 1,
    value: null,
    q: null,
    scores: {},
    rewards: {},
    terminal: false,
    valid: true,
    answer: null,
    correct: null,
    pruned: false,
    ...extra,
  };
}

export function mctsTrace(problemId = 'game24/train/1', numbers = [4, 4, 6, 8]): Trace {
  const nodes: TraceNode[] = [
    node('root', null, '', { visits: 10, q: 0.2, valid: null }),
    node('n1', 'root', '4+8=12 (4 6 12)', { depth: 1, visits: 6, q: 0.5, value: 0.4 }),
    node('n3', 'n1', '6-4=2 (12 2)', { depth: 2, visits: 3, q: 1 }),
    node('n5', 'n3', '12*2=24 (24)', { depth: 3, visits: 2, q: 1, terminal: true, answer: '24', correct: true, scores: { verifier: 1 } }),
    node('n4', 'n1', '4*6=24 (24 12)', { depth: 2, visits: 2, q: -1 }),
    node('n6', 'n4', '24-12=12 (12)', { depth: 3, visits: 1, q: -1, terminal: true, answer: '12', correct: false }),
    node('n2', 'root', '4*4=16 (16 6 8)', { depth: 1, visits: 3, q: -0.6 }),
    node('n7', 'n2', '16+6=22 (22 8)', { depth: 2, visits: 2, q: -1 }),
    node('n8', 'n7', '22+8=30 (30)', { depth: 3, visits: 1, q: -1, terminal: true, answer: '30', correct: false }),
    node('n9', 'root', '8/0=? (4 4 6)', { depth: 1, visits: 0, valid: false, pruned: true }),
  ];
  return {
    version: 1,
    task: 'game24',
    problem: { id: problemId, question: numbers.join(' '), data: { numbers, target: 24 } },
    strategy: { name: 'mcts', settings: { simulations: 4 } },
    models: { policy: 'embedded:test', value: 'embedded:q' },
    structure: 'tree',
    root: 'root',
    nodes,
    operators: [
      { op: 'select', nodes: ['root'], t: 0 },
      { op: 'generate', nodes: ['root'], produced: ['n1', 'n2', 'n9'], t: 1 },
      { op: 'prune', nodes: ['n9'], t: 2, detail: { reason: 'invalid step' } },
      { op: 'evaluate', nodes: ['n1', 'n2'], t: 3 },
      { op: 'select', nodes: ['n1'], t: 4 },
      { op: 'generate', nodes: ['n1'], produced: ['n3', 'n4'], t: 5 },
      { op: 'backtrack', nodes: ['n4', 'n1'], t: 6 },
      { op: 'backpropagate', nodes: ['n5', 'n3', 'n1', 'root'], t: 7 },
    ],
    usage: { promptTokens: 100, completionTokens: 120, calls: 6, evalCalls: 4, wallMs: 12, modelMs: 10, expansions: 5 },
    usedGroundTruth: false,
    checksUsed: ['rule-check'],
    final: { answer: '24', nodeId: 'n5', path: ['root', 'n1', 'n3', 'n5'], correct: true, stopReason: 'done' },
    createdAt: '2026-11-24T00:00:00.000Z',
  };
}
