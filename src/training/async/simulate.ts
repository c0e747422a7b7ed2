/**
 * Scale on paper: a discrete-event simulation of the asynchronous loop (./async-rl.ts) with N
 * rollout workers and one trainer, from measured per-step costs. Each worker has cores of its own;
 * a batch is split into N equal chunks. A worker takes the next chunk once the staleness bound
 * allows it (batch j starts when the trainer is at version >= j-1-eta), loads the newest weights if
 * they changed, generates and scores the reference; then, as ./rollout-worker.ts does, waits for
 * version j-1 and scores the proximal log-probs (skipped for chunks that version generated). The
 * trainer takes batch j when all its chunks are in, updates, and publishes version j.
 */

/** Seconds of one whole batch on one rollout worker, and of one trainer step. */
export interface StepCosts {
  /** Generating the batch. */
  generate: number;
  /** Reference forward over the batch. */
  reference: number;
  /** Proximal forward over the batch. */
  proximal: number;
  /** Building a sampler from new weights (per worker, per version change). */
  load: number;
  /** The trainer's step: rewards and the update. */
  train: number;
}

export interface SimResult {
  /** Steady-state seconds per step (mean over the second half of the steps). */
  stepS: number;
  /** Share of the trainer's time spent waiting for rollouts. */
  trainerIdle: number;
  /** Mean staleness of the batches (trainer version minus the version that started the batch). */
  staleness: number;
}

export function simulateAsync(c: StepCosts, workers: number, eta: number, steps = 200): SimResult {
  const chunks = workers;
  const published: number[] = [0]; // published[v] = time version v became available
  const workerFree = new Array<number>(workers).fill(0);
  const workerVersion = new Array<number>(workers).fill(-1);
  const trainerEnd: number[] = [0]; // trainerEnd[j] = time step j ended (= published[j])
  const startVersion: number[] = [];
  let idle = 0;
  for (let j = 1; j <= steps; j++) {
    // Batch j may start once the trainer is at version >= j-1-eta, i.e. step j-1-eta has ended.
    const allowed = trainerEnd[Math.max(0, j - 1 - eta)];
    let ready = 0;
    let oldest = Infinity;
    for (let k = 0; k < chunks; k++) {
      const w = workerFree.indexOf(Math.min(...workerFree));
      let t = Math.max(workerFree[w], allowed);
      // newest version published by t
      let v = 0;
      while (v + 1 < published.length && published[v + 1] <= t) v++;
      if (workerVersion[w] !== v) {
        t += c.load / 1;
        workerVersion[w] = v;
      }
      oldest = Math.min(oldest, v);
      t += (c.generate + c.reference) / chunks;
      if (v !== j - 1) {
        // wait for version j-1 (published when step j-1 ends), load it, score the proximal forward
        t = Math.max(t, trainerEnd[j - 1] ?? Infinity);
        t += c.load + c.proximal / chunks;
        workerVersion[w] = j - 1;
      }
      workerFree[w] = t;
      ready = Math.max(ready, t);
    }
    startVersion.push(oldest);
    const begin = Math.max(ready, trainerEnd[j - 1]);
    idle += begin - trainerEnd[j - 1];
    trainerEnd[j] = begin + c.train;
    published[j] = trainerEnd[j];
  }
  const half = Math.floor(steps / 2);
  return {
    stepS: (trainerEnd[steps] - trainerEnd[half]) / (steps - half),
    trainerIdle: idle / trainerEnd[steps],
    staleness: startVersion.reduce((s, v, i) => s + (i - v), 0) / steps,
  };
}
