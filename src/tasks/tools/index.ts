/** Tools for multi-turn environments (README.md): declarations in OpenAI's format, safe calls. */
export * from './types.js';
export { callTool, schemaProblem, MAX_TOOL_OUTPUT } from './run.js';
export { calculate, calculatorTool } from './calculator.js';
export { pythonTool, javascriptTool, executionObservation } from './code.js';
export { Bm25Index, searchTool, type CorpusDoc, type SearchHit } from './search.js';
export { sqlTool, loadSqlJs, type SqlDatabaseOptions } from './sql.js';
