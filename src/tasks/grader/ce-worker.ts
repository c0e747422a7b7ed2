/** Worker thread for MathGrader: runs the symbolic comparison (compute-engine is synchronous). */
import { parentPort } from 'node:worker_threads';
import { decidePair, type PreparedPair } from './grade.js';

parentPort!.on('message', (msg: { id: number; pair: PreparedPair }) => {
  let result;
  try {
    result = decidePair(msg.pair, true);
  } catch (e) {
    result = { correct: false, reason: `comparison failed: ${(e as Error).message}` };
  }
  parentPort!.postMessage({ id: msg.id, result });
});
