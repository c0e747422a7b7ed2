/**
 * The rollout worker thread of asynchronous RL (./async-rl.ts): an onnxruntime sampler that
 * generates batches with the latest published weights while the trainer updates (interruptible,
 * versions per token: ./segmented-rollout.ts), and scores them for the trainer, so the trainer's
 * thread only rewards and updates:
 *
 * - reference log-probs (frozen weights, temperature 1, as the synchronous loop's reference
 *   sampler) right after generation;
 * - proximal log-probs (AReaL eq. 5's pi_prox: the trainer's policy before the update that uses
 *   the batch, i.e. version `proxVersion`, at the trainer's temperature) as soon as that version
 *   is published. Both use onnxruntime's forward graph, whose log-probs agree with the native
 *   training graph's to 1e-4 (test/engine/native-train.test.ts).
 *
 * Thread budget: the samplers run `threads` intra-op threads (the trainer keeps its own `workers`),
 * and `nice` lowers this thread's scheduling priority (Linux: setpriority on the thread id), so
 * on few cores the rollouts can fill the trainer's idle time instead of taking cores from it.
 *
 * Messages in:  {type: 'weights', version, weights}  |  {type: 'generate', id, ...RolloutRequest}
 * Messages out: {type: 'batch', id, rows, stats} | {type: 'error', id, message}
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { HostWeights, ModelConfig } from '../../engine/index.js';
import { type OnnxSampler, createOnnxSampler } from '../../engine/index.js';
import { type RolloutBatch, type RolloutRequest, decodeSegments, responseLogprobs } from './segmented-rollout.js';

export interface RolloutWorkerData {
  config: ModelConfig;
  /** onnxruntime intra-op threads of this thread's samplers ('auto': measure 1 and 2). */
  threads: number | 'auto';
  /** Scheduling priority of this thread (0 = as the trainer; 1..19 = lower). */
  nice: number;
  /** The frozen reference policy, when the loss has a KL term. */
  refWeights: HostWeights | null;
  /** The trainer's temperature (the proximal log-probs are taken at it). */
  trainerTemperature: number;
}

export type GenerateMessage = { type: 'generate'; id: number } & RolloutRequest;

const data = workerData as RolloutWorkerData;
const config = data.config;
let pending: { version: number; weights: HostWeights } | null = null;
let sampler: OnnxSampler | null = null;
let refSampler: OnnxSampler | null = null;
let version = -1;
const queue: GenerateMessage[] = [];
let busy = false;
let loadMs = 0;
let wakeOnWeights: (() => void) | null = null;

/** Lowers this thread's priority (Linux: /proc/thread-self names the thread id). */
function lowerPriority(nice: number): void {
  if (nice <= 0) return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid)) setPriority(tid, nice);
  } catch {
    // Not Linux, or not permitted: the thread keeps the process's priority (only the speed differs).
  }
}

async function applyWeights(): Promise<void> {
  if (!pending) return;
  const next = pending;
  pending = null;
  const t = performance.now();
  sampler?.dispose();
  sampler = await createOnnxSampler(next.weights, config, { threads: data.threads });
  version = next.version;
  loadMs += performance.now() - t;
}

/** The policy for the next segment: queued 'weights' messages arrive first (the event loop runs). */
async function policyNow(): Promise<{ sampler: OnnxSampler; version: number }> {
  await new Promise<void>((r) => setImmediate(r));
  await applyWeights();
  if (!sampler) throw new Error('no weights were published before the first rollout');
  return { sampler, version };
}

async function waitForVersion(v: number): Promise<void> {
  for (;;) {
    await applyWeights();
    if (version >= v) return;
    await new Promise<void>((r) => (wakeOnWeights = r));
  }
}

async function generate(m: GenerateMessage): Promise<RolloutBatch> {
  loadMs = 0;
  const t0 = performance.now();
  const rows = await decodeSegments(policyNow, m, config);
  const genMs = performance.now() - t0;
  let scoreMs = 0;
  let waitMs = 0;
  if (refSampler) {
    const t = performance.now();
    const lp = await responseLogprobs(refSampler, m.prompts, rows, 1);
    rows.forEach((r, i) => (r.refLogprobs = lp[i]));
    scoreMs += performance.now() - t;
  }
  if (m.proxVersion !== null) {
    const tw = performance.now();
    await waitForVersion(m.proxVersion);
    waitMs = performance.now() - tw;
    // The trainer publishes version j only after it has taken batch j, so nothing newer can be here.
    if (version !== m.proxVersion)
      throw new Error(`proximal version ${m.proxVersion} was superseded by ${version} before the batch was scored`);
    // Rows that version proxVersion produced entirely, at the trainer's temperature, are on-policy:
    // pi_prox is their behaviour policy (same weights, same engine), so only the others need a forward.
    const sameTemp = m.temperature === data.trainerTemperature;
    const stale = rows.map((r, i) => i).filter((i) => !sameTemp || rows[i].versions.some((v) => v !== m.proxVersion));
    rows.forEach((r) => (r.proxLogprobs = r.logprobs));
    if (stale.length) {
      const t = performance.now();
      const lp = await responseLogprobs(
        sampler!,
        stale.map((i) => m.prompts[i]),
        stale.map((i) => rows[i]),
        data.trainerTemperature,
      );
      stale.forEach((i, k) => (rows[i].proxLogprobs = lp[k]));
      scoreMs += performance.now() - t;
    }
  }
  return { rows, stats: { genMs, loadMs, scoreMs, waitMs } };
}

async function pump(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    while (queue.length) {
      const m = queue.shift()!;
      try {
        parentPort!.postMessage({ type: 'batch', id: m.id, ...(await generate(m)) });
      } catch (e) {
        parentPort!.postMessage({ type: 'error', id: m.id, message: (e as Error).message });
      }
    }
  } finally {
    busy = false;
  }
}

lowerPriority(data.nice);
const ready = data.refWeights ? createOnnxSampler(data.refWeights, config, { threads: data.threads }).then((s) => (refSampler = s)) : null;

parentPort!.on('message', (m: { type: 'weights'; version: number; weights: HostWeights } | GenerateMessage | { type: 'close' }) => {
  if (m.type === 'weights') {
    pending = { version: m.version, weights: m.weights };
    wakeOnWeights?.();
    wakeOnWeights = null;
  } else if (m.type === 'generate') {
    queue.push(m);
    void (ready ?? Promise.resolve()).then(pump, (e: Error) =>
      parentPort!.postMessage({ type: 'error', id: m.id, message: `reference policy: ${e.message}` }),
    );
  } else if (m.type === 'close') {
    sampler?.dispose();
    refSampler?.dispose();
    parentPort!.close();
  }
});
