/**
 * A SQL tool over SQLite (sql.js 1.16.0: SQLite compiled to WebAssembly, in-process, no native
 * build). Each environment gets its own in-memory database, built from a schema and rows; queries
 * are read-only by default (a statement that would change the database is refused), run with a
 * row cap, and print as `col | col` lines. SQLite cannot be interrupted from JavaScript mid-query in
 * sql.js, so long queries are bounded by SQLite's own limits: recursion depth (recursive CTEs are
 * refused) and the row cap.
 */
import { createRequire } from 'node:module';
import { type Tool, ToolError } from './types.js';

interface SqlJsStatement {
  step(): boolean;
  get(): unknown[];
  getColumnNames(): string[];
  free(): void;
}
interface SqlJsDatabase {
  run(sql: string, params?: unknown[]): void;
  exec(sql: string): unknown;
  prepare(sql: string): SqlJsStatement;
  close(): void;
}
interface SqlJsStatic {
  Database: new () => SqlJsDatabase;
}

let sqlJs: Promise<SqlJsStatic> | null = null;

/** Loads sql.js's WebAssembly build once per process. */
export function loadSqlJs(): Promise<SqlJsStatic> {
  if (!sqlJs) {
    const require = createRequire(import.meta.url);
    const init = require('sql.js') as (o?: { locateFile?: (f: string) => string }) => Promise<SqlJsStatic>;
    const wasmDir = require.resolve('sql.js/dist/sql-wasm.wasm').replace(/sql-wasm\.wasm$/, '');
    sqlJs = init({ locateFile: (f) => wasmDir + f });
  }
  return sqlJs;
}

export interface SqlDatabaseOptions {
  /** CREATE TABLE / INSERT statements that build the database. */
  setup: string;
  /** Allow statements that modify the database (default false). */
  writable?: boolean;
  /** Rows returned at most (default 20). */
  maxRows?: number;
}

const WRITE =
  /^\s*(insert|update|delete|drop|create|alter|replace|attach|detach|pragma|vacuum|reindex|begin|commit|rollback|savepoint|release)\b/i;

/** An in-memory SQLite database and the tool that queries it. */
export async function sqlTool(o: SqlDatabaseOptions): Promise<Tool> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  db.exec(o.setup);
  const maxRows = o.maxRows ?? 20;
  return {
    spec: {
      type: 'function',
      function: {
        name: 'sql',
        description: `Runs one SQLite query on the task's database${o.writable ? '' : ' (read-only)'} and returns at most ${maxRows} rows as "col | col" lines.`,
        parameters: {
          type: 'object',
          properties: { query: { type: 'string', description: 'one SQL statement' } },
          required: ['query'],
          additionalProperties: false,
        },
      },
    },
    timeoutMs: 2000,
    async run(args) {
      const query = String(args.query).trim().replace(/;\s*$/, '');
      if (!query) throw new ToolError('empty query');
      if (query.includes(';')) throw new ToolError('one statement per call');
      if (!o.writable && WRITE.test(query)) throw new ToolError('the database is read-only');
      if (/\bwith\s+recursive\b/i.test(query)) throw new ToolError('recursive queries are not allowed');
      let st: SqlJsStatement;
      try {
        st = db.prepare(query);
      } catch (e) {
        throw new ToolError(e instanceof Error ? e.message : String(e));
      }
      try {
        const lines: string[] = [st.getColumnNames().join(' | ')];
        let n = 0;
        while (st.step()) {
          if (n === maxRows) {
            lines.push(`... more rows cut (limit ${maxRows})`);
            break;
          }
          lines.push(
            st
              .get()
              .map((v) => (v === null ? 'NULL' : v instanceof Uint8Array ? `<blob ${v.length} bytes>` : String(v)))
              .join(' | '),
          );
          n++;
        }
        return n === 0 ? `${lines[0]}\n(no rows)` : lines.join('\n');
      } catch (e) {
        throw new ToolError(e instanceof Error ? e.message : String(e));
      } finally {
        st.free();
      }
    },
    close() {
      db.close();
    },
  };
}
