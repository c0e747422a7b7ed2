/**
 * Reading traces (src/reasoning/trace.ts) from files and folders, and the tree walks every export
 * needs: a node's path from the root, its children, and whether its subtree reaches a correct
 * answer. In graphs (nodes with several parents) a node's path follows its first parent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fsError, inputError, readText } from '../core/index.js';
import { type Trace, type TraceNode, TraceSchema } from '../reasoning/trace.js';

export interface LoadedTrace {
  file: string;
  trace: Trace;
}

function listJsonFiles(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw fsError(e, dir, 'read directory');
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listJsonFiles(p));
    else if (e.isFile() && (e.name.endsWith('.json') || e.name.endsWith('.jsonl')) && !e.name.startsWith('.')) out.push(p);
  }
  return out;
}

function parseTrace(value: unknown, where: string): Trace {
  const r = TraceSchema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0];
    throw inputError(`${where} is not a valid trace: ${first.path.join('.') || '(top level)'}: ${first.message}`, 'traces are written by `rlmkit solve`/search strategies (src/reasoning/trace.ts); pass a folder of those files');
  }
  return r.data;
}

/** Traces from one .json file, a .jsonl file of traces, or a folder of them (recursively, sorted by name). */
export function loadTraces(where: string): LoadedTrace[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(where);
  } catch (e) {
    throw fsError(e, where, 'read traces from');
  }
  const files = stat.isDirectory() ? listJsonFiles(where) : [where];
  const out: LoadedTrace[] = [];
  for (const file of files) {
    const text = readText(file);
    if (file.endsWith('.jsonl')) {
      text.split('\n').forEach((line, i) => {
        if (!line.trim()) return;
        let v: unknown;
        try {
          v = JSON.parse(line);
        } catch (e) {
          throw inputError(`${file}:${i + 1}: not valid JSON: ${(e as Error).message}`, 'each line must be one trace');
        }
        out.push({ file: `${file}:${i + 1}`, trace: parseTrace(v, `${file}:${i + 1}`) });
      });
    } else {
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (e) {
        throw inputError(`${file} is not valid JSON: ${(e as Error).message}`, 'fix or regenerate the trace file');
      }
      out.push({ file, trace: parseTrace(v, file) });
    }
  }
  if (out.length === 0) throw inputError(`no traces found in ${where}`, 'give a folder holding trace .json files (e.g. runs/<name>/traces)');
  return out;
}

/** Index of a trace's nodes: by id, children lists, paths and subtree outcomes (memoised). */
export class TraceTree {
  readonly byId = new Map<string, TraceNode>();
  readonly children = new Map<string, TraceNode[]>();
  private readonly outcomeMemo = new Map<string, boolean | null>();

  constructor(readonly trace: Trace) {
    for (const n of trace.nodes) {
      this.byId.set(n.id, n);
      this.children.set(n.id, []);
    }
    for (const n of trace.nodes) {
      for (const p of n.parents) this.children.get(p)?.push(n);
    }
  }

  node(id: string): TraceNode {
    const n = this.byId.get(id);
    if (!n) throw inputError(`trace of ${this.trace.problem.id} names node "${id}" which it does not hold`, 'the trace file is corrupt; regenerate it');
    return n;
  }

  /** Node ids from the root to `id` (first parent at each step). */
  pathIds(id: string): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    let cur: TraceNode | undefined = this.node(id);
    while (cur) {
      if (seen.has(cur.id)) throw inputError(`trace of ${this.trace.problem.id} has a cycle through node "${cur.id}"`, 'the trace file is corrupt; regenerate it');
      seen.add(cur.id);
      out.push(cur.id);
      cur = cur.parents.length ? this.byId.get(cur.parents[0]) : undefined;
    }
    return out.reverse();
  }

  /** Step texts from the root to `id` (the root's empty step left out). */
  steps(id: string): string[] {
    return this.pathIds(id).map((i) => this.node(i)).filter((n) => n.id !== this.trace.root && n.parents.length > 0).map((n) => n.step);
  }

  /** Terminal nodes (leaves that ended a solution), pruned ones included. */
  terminals(): TraceNode[] {
    return this.trace.nodes.filter((n) => n.terminal);
  }

  /**
   * Whether the subtree under `id` reaches a correct answer: true if some terminal descendant is
   * correct, false if the terminal descendants that were checked are all wrong (or the node is a dead
   * end marked invalid), null when nothing below it was checked.
   */
  reachesCorrect(id: string): boolean | null {
    const memo = this.outcomeMemo.get(id);
    if (memo !== undefined) return memo;
    const n = this.node(id);
    let result: boolean | null;
    if (n.terminal) result = n.correct;
    else {
      const kids = this.children.get(id) ?? [];
      let anyFalse = false;
      result = null;
      for (const k of kids) {
        const r = this.reachesCorrect(k.id);
        if (r === true) {
          result = true;
          break;
        }
        if (r === false) anyFalse = true;
      }
      if (result === null && (anyFalse || (kids.length === 0 && n.valid === false))) result = false;
    }
    this.outcomeMemo.set(id, result);
    return result;
  }
}
