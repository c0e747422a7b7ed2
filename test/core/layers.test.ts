/**
 * The layer rule of docs/design.md: imports only point down. Each top folder of src/ has a rank;
 * a file may import from its own folder, from folders of a lower rank, and from folders of the
 * same rank listed as peers. `import type` counts too: a type is still a dependency of the design.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const src = path.resolve(__dirname, '..', '..', 'src');

const RANK: Record<string, number> = {
  core: 0,
  engine: 1,
  models: 2,
  tasks: 3,
  rewards: 3,
  reasoning: 4,
  training: 5,
  eval: 5,
  data: 5,
  distributed: 5,
  cli: 6,
  serve: 6,
  ui: 6,
};
/** Same-rank imports that the folder READMEs allow. */
const PEERS: Record<string, string[]> = {
  rewards: ['tasks'],
  training: ['eval', 'data', 'distributed'],
  eval: ['data', 'distributed'],
  distributed: ['eval', 'data', 'training'],
  cli: ['serve', 'ui'],
  serve: [],
  ui: ['serve'],
};

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? files(p) : d.name.endsWith('.ts') ? [p] : [];
  });
}

describe('layers', () => {
  it('every import in src/ points down (or to an allowed peer)', () => {
    const bad: string[] = [];
    for (const file of files(src)) {
      const rel = path.relative(src, file);
      const from = rel.split(path.sep)[0];
      if (!(from in RANK)) continue; // src/index.ts: the public API re-exports every layer
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)) {
        const spec = m[1] ?? m[2];
        const target = path.relative(src, path.resolve(path.dirname(file), spec)).split(path.sep)[0];
        if (target === from || !(target in RANK)) continue;
        const ok = RANK[target] < RANK[from] || (PEERS[from] ?? []).includes(target);
        if (!ok) bad.push(`${rel} imports ${spec} (${from} -> ${target})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('has no import cycles: the files of src/ form a line (type imports count)', () => {
    const graph = new Map<string, string[]>();
    for (const file of files(src)) {
      const text = fs.readFileSync(file, 'utf8');
      const deps = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/g)].map((m) =>
        path.resolve(path.dirname(file), m[1]).replace(/\.js$/, '.ts'),
      );
      graph.set(file, deps);
    }
    // Tarjan's strongly connected components; any component with two or more files is a cycle.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    let counter = 0;
    const visit = (v: string): void => {
      index.set(v, counter);
      low.set(v, counter++);
      stack.push(v);
      onStack.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!graph.has(w)) continue;
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) === index.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(path.relative(src, w));
        } while (w !== v);
        if (component.length > 1) cycles.push(component.sort());
      }
    };
    for (const v of graph.keys()) if (!index.has(v)) visit(v);
    expect(cycles).toEqual([]);
  });
});
