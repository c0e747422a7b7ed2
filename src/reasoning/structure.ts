/**
 * Reasoning structures (blueprint §3): chain, tree, graph (a DAG where a node may have several
 * parents, as Aggregate produces) and nested (a node holds a whole sub-structure, e.g. a tree
 * whose nodes are chains). One `ReasoningGraph` class holds all four; `kind` says which shape a
 * strategy builds, and the invariants of that shape are checked by `validateShape`.
 *
 * A node's state is the full list of steps from the root (`steps`), so that a graph node with
 * several parents still has one well-defined state (the merged solution Aggregate wrote).
 */
import type { FinishReason } from '../models/types.js';

export type StructureKind = 'chain' | 'tree' | 'graph' | 'nested';

export class ReasoningNode {
  readonly children: ReasoningNode[] = [];
  /** N(s): how often a search passed through this node. */
  visits = 0;
  /** A model's estimate V(s) (or Q(s,a)) in [-1, 1]; null until evaluated. */
  value: number | null = null;
  /** The backed-up value (MCTS q); null until backed up or initialised. */
  q: number | null = null;
  /** Named scores written by Evaluate: value, prm, orm, verifier, judge, preference, vote. */
  readonly scores: Record<string, number> = {};
  readonly rewards: Record<string, number> = {};
  terminal = false;
  /** Rule validity of the last step (task.checkStep) when known. */
  valid: boolean | null = null;
  answer: string | null = null;
  /** Correctness, filled only after the search ends (never read by a search in evaluation). */
  correct: boolean | null = null;
  pruned = false;
  finishReason: FinishReason | null = null;
  tokenIds?: number[];
  /** A nested structure (nested kind): e.g. the chain of steps of a whole-solution node. */
  nested?: ReasoningGraph;
  readonly meta: Record<string, unknown> = {};

  constructor(
    /** The structure this node belongs to (operators add children through it). */
    readonly owner: ReasoningGraph,
    readonly id: string,
    readonly parents: ReasoningNode[],
    /** The text this node added: one step, or a whole solution for solution-level nodes. */
    readonly step: string,
    /** The full state: every step from the root to here. */
    readonly steps: readonly string[],
    readonly depth: number,
  ) {}

  get isRoot(): boolean {
    return this.parents.length === 0;
  }

  get isLeaf(): boolean {
    return this.children.length === 0;
  }

  /** Expanded: Generate has run on it (it may still have zero surviving children). */
  get expanded(): boolean {
    return this.meta.expanded === true;
  }

  /** The live (not pruned) children. */
  live(): ReasoningNode[] {
    return this.children.filter((c) => !c.pruned);
  }
}

export interface AddOptions {
  finishReason?: FinishReason;
  tokenIds?: number[];
}

export class ReasoningGraph {
  readonly root: ReasoningNode;
  readonly nodes: ReasoningNode[] = [];
  private nextId = 0;

  constructor(
    readonly kind: StructureKind,
    rootSteps: readonly string[] = [],
    private readonly idPrefix = 'n',
  ) {
    this.root = this.make([], '', [...rootSteps], 0);
  }

  private make(parents: ReasoningNode[], step: string, steps: string[], depth: number): ReasoningNode {
    const node = new ReasoningNode(this, `${this.idPrefix}${this.nextId++}`, parents, step, steps, depth);
    for (const p of parents) p.children.push(node);
    this.nodes.push(node);
    return node;
  }

  /** A child that extends `parent` by one step. */
  addChild(parent: ReasoningNode, step: string, o: AddOptions = {}): ReasoningNode {
    if (this.kind === 'chain' && parent.children.length > 0) {
      throw new Error(`a chain node has at most one child (node ${parent.id})`);
    }
    const node = this.make([parent], step, [...parent.steps, step], parent.depth + 1);
    if (o.finishReason) node.finishReason = o.finishReason;
    if (o.tokenIds) node.tokenIds = o.tokenIds;
    return node;
  }

  /**
   * A node with several parents (Aggregate). Its state is given explicitly: the merged solution.
   * Only graphs (and nested structures) allow this.
   */
  addMerged(parents: ReasoningNode[], step: string, steps: readonly string[]): ReasoningNode {
    if (this.kind !== 'graph' && this.kind !== 'nested') throw new Error(`a ${this.kind} cannot hold a node with several parents`);
    if (parents.length === 0) throw new Error('a merged node needs at least one parent');
    const depth = Math.max(...parents.map((p) => p.depth)) + 1;
    return this.make(parents, step, [...steps], depth);
  }

  /**
   * A node whose state is a whole new solution derived from `parent` (Refine on solution-level
   * nodes): its state is `steps`, not the parent's steps plus one.
   */
  addDerived(parent: ReasoningNode, step: string, steps: readonly string[]): ReasoningNode {
    return this.make([parent], step, [...steps], parent.depth + 1);
  }

  get(id: string): ReasoningNode | undefined {
    return this.nodes.find((n) => n.id === id);
  }

  /** Root-to-node path following first parents. */
  pathTo(node: ReasoningNode): ReasoningNode[] {
    const path: ReasoningNode[] = [];
    let cur: ReasoningNode | undefined = node;
    while (cur) {
      path.push(cur);
      cur = cur.parents[0];
    }
    return path.reverse();
  }

  terminals(): ReasoningNode[] {
    return this.nodes.filter((n) => n.terminal);
  }

  leaves(): ReasoningNode[] {
    return this.nodes.filter((n) => n.isLeaf);
  }
}

/** Throws when the graph breaks its kind's shape (used by tests and when building traces). */
export function validateShape(g: ReasoningGraph): void {
  const ids = new Set<string>();
  for (const n of g.nodes) {
    if (ids.has(n.id)) throw new Error(`duplicate node id ${n.id}`);
    ids.add(n.id);
    if (n !== g.root && n.parents.length === 0) throw new Error(`node ${n.id} has no parent`);
    if ((g.kind === 'chain' || g.kind === 'tree') && n.parents.length > 1)
      throw new Error(`node ${n.id} has several parents in a ${g.kind}`);
    if (g.kind === 'chain' && n.children.length > 1) throw new Error(`node ${n.id} branches in a chain`);
    for (const p of n.parents) if (p.depth >= n.depth) throw new Error(`node ${n.id} is not deeper than its parent ${p.id}`);
  }
}
