/** Worker thread for MathGrader: runs the symbolic comparison (compute-engine is synchronous). */
import { parentPort } from 'node:worker_threads';
import { decidePair, preparePair, type PreparedPair } from './grade.js';

// Warm up compute-engine (its first parse is slow), then tell the pool we are ready, so that the
// time limit covers comparisons only, never start-up.
decidePair(preparePair('x^2', '\\boxed{x\\cdot x}'), true);

parentPort!.on('message', (msg: { id: number; pair: PreparedPair }) => {
  let result;
  try {
    result = decidePair(msg.pair, true);
  } catch (e) {
    result = { correct: false, verdict: 'unparseable', reason: `comparison failed: ${(e as Error).message}` };
  }
  parentPort!.postMessage({ id: msg.id, result });
});
parentPort!.postMessage({ ready: true });
