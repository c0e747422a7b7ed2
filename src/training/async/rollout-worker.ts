/**
 * The rollout worker thread of asynchronous RL (./async-rl.ts): an onnxruntime sampler that
 * generates batches with the latest published weights while the trainer updates.
 *
 * Interruptible generation (AReaL, Fu et al. 2025, §4.1): a batch is decoded in segments of
 * `segmentTokens`; between segments the thread takes new weights if any were published, and the
 * remaining tokens come from the new policy. Every token records the policy version that produced
 * it (with its behaviour log-prob), so the decoupled objective knows its behaviour policy.
 *
 * Messages in:  {type: 'weights', version, weights}  |  {type: 'generate', id, prompts, ...}
 * Messages out: {type: 'batch', id, rows: [{tokens, logprobs, versions, finishReason}]} | {type: 'error', id, message}
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { HostWeights, ModelConfig, Sampler } from '../../engine/index.js';
import { createOnnxSampler } from '../../engine/index.js';

export interface GenerateMessage {
  type: 'generate';
  id: number;
  prompts: number[][];
  maxNewTokens: number;
  segmentTokens: number;
  temperature: number;
  topP: number;
  seed: number;
}

export interface RolloutRow {
  tokens: number[];
  logprobs: number[];
  /** The policy version behind each token. */
  versions: number[];
  finishReason: 'eos' | 'stop' | 'length';
}

const config = (workerData as { config: ModelConfig }).config;
let pending: { version: number; weights: HostWeights } | null = null;
let sampler: Sampler | null = null;
let version = -1;
const queue: GenerateMessage[] = [];
let busy = false;

async function applyWeights(): Promise<void> {
  if (!pending) return;
  const next = pending;
  pending = null;
  sampler?.dispose();
  sampler = await createOnnxSampler(next.weights, config);
  version = next.version;
}

/** Lets queued 'weights' messages arrive (the thread's event loop runs between segments). */
const yieldToMessages = () => new Promise<void>((r) => setImmediate(r));

async function generate(m: GenerateMessage): Promise<RolloutRow[]> {
  const rows: RolloutRow[] = m.prompts.map(() => ({ tokens: [], logprobs: [], versions: [], finishReason: 'length' }));
  let active = rows.map((_, i) => i);
  for (let seg = 0; active.length > 0; seg++) {
    await yieldToMessages();
    await applyWeights();
    if (!sampler) throw new Error('no weights were published before the first rollout');
    const left = m.maxNewTokens - rows[active[0]].tokens.length; // every active row has produced as many tokens
    const n = Math.min(m.segmentTokens, left, ...active.map((i) => config.maxSeqLen - m.prompts[i].length - rows[i].tokens.length));
    if (n < 1) break;
    const res = await sampler.sample(
      active.map((i) => [...m.prompts[i], ...rows[i].tokens]),
      { maxNewTokens: n, temperature: m.temperature, topP: m.topP, seed: (m.seed + Math.imul(seg, 0x9e3779b1)) >>> 0 },
    );
    const still: number[] = [];
    active.forEach((i, k) => {
      const r = rows[i];
      r.tokens.push(...res[k].tokens);
      r.logprobs.push(...res[k].logprobs);
      for (let t = 0; t < res[k].tokens.length; t++) r.versions.push(version);
      r.finishReason = res[k].finishReason;
      const roomLeft = r.tokens.length < m.maxNewTokens && m.prompts[i].length + r.tokens.length < config.maxSeqLen;
      if (res[k].finishReason === 'length' && roomLeft) still.push(i);
    });
    active = still;
  }
  return rows;
}

async function pump(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    while (queue.length) {
      const m = queue.shift()!;
      try {
        parentPort!.postMessage({ type: 'batch', id: m.id, rows: await generate(m) });
      } catch (e) {
        parentPort!.postMessage({ type: 'error', id: m.id, message: (e as Error).message });
      }
    }
  } finally {
    busy = false;
  }
}

parentPort!.on('message', (m: { type: 'weights'; version: number; weights: HostWeights } | GenerateMessage | { type: 'close' }) => {
  if (m.type === 'weights') pending = { version: m.version, weights: m.weights };
  else if (m.type === 'generate') {
    queue.push(m);
    void pump();
  } else if (m.type === 'close') {
    sampler?.dispose();
    parentPort!.close();
  }
});
