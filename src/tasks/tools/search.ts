/**
 * A search tool over a local corpus: BM25 ranking (Robertson & Zaragoza 2009, "The Probabilistic
 * Relevance Framework: BM25 and Beyond") through MiniSearch 7.2.0, whose scorer is BM25+ (Lv &
 * Zhai 2011: BM25 with a lower bound on the term-frequency part, k1 = 1.2, b = 0.7, delta = 0.5).
 * The observation lists the top hits, one per line, each cut to a length.
 */
import MiniSearch from 'minisearch';
import { type Tool, ToolError } from './types.js';

export interface CorpusDoc {
  id: string;
  text: string;
  title?: string;
}

export interface SearchHit {
  id: string;
  text: string;
  score: number;
}

/** A BM25 index over documents; `search` returns the best `k` hits. */
export class Bm25Index {
  private readonly index: MiniSearch<CorpusDoc>;
  private readonly byId = new Map<string, CorpusDoc>();

  constructor(docs: readonly CorpusDoc[]) {
    this.index = new MiniSearch<CorpusDoc>({
      fields: ['title', 'text'],
      storeFields: [],
      idField: 'id',
      searchOptions: { bm25: { k: 1.2, b: 0.7, d: 0.5 } },
    });
    for (const d of docs) {
      if (this.byId.has(d.id)) throw new Error(`corpus: duplicate document id "${d.id}"`);
      this.byId.set(d.id, d);
    }
    this.index.addAll([...docs]);
  }

  get size(): number {
    return this.byId.size;
  }

  search(query: string, k: number): SearchHit[] {
    return this.index
      .search(query, { combineWith: 'OR' })
      .slice(0, k)
      .map((r) => ({ id: String(r.id), text: this.byId.get(String(r.id))!.text, score: r.score }));
  }
}

export function searchTool(index: Bm25Index, o: { k?: number; maxChars?: number } = {}): Tool {
  const k = o.k ?? 1;
  const maxChars = o.maxChars ?? 200;
  return {
    spec: {
      type: 'function',
      function: {
        name: 'search',
        description: `Searches a local corpus of ${index.size} short documents (BM25) and returns the best ${k === 1 ? 'match' : `${k} matches`}.`,
        parameters: {
          type: 'object',
          properties: { query: { type: 'string', description: 'keywords' } },
          required: ['query'],
          additionalProperties: false,
        },
      },
    },
    timeoutMs: 1000,
    async run(args) {
      const query = String(args.query).slice(0, 200);
      if (query.trim() === '') throw new ToolError('empty query');
      const hits = index.search(query, k);
      if (hits.length === 0) return 'no results';
      return hits.map((h) => (h.text.length > maxChars ? `${h.text.slice(0, maxChars)}...` : h.text)).join('\n');
    },
  };
}
