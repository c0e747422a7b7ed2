/**
 * The optimiser side of the native engine (Trainer `engine: 'onnx'`): float32 master weights, AdamW
 * moments and the NativeGrad on the host. The master weights are shared with the LlamaModel
 * (`useHostWeights`), so the model reads them without a copy and uploads them to jax-js only when
 * something asks for `model.params` (a LogprobScorer, the jax sampler).
 */
import { checkWeights } from '../model.js';
import type { LlamaModel } from '../model.js';
import type { AdamWOptions } from '../optim.js';
import type { HostWeights } from '../host-weights.js';
import type { OptimizerState, TrainBatch } from '../train-types.js';
import { adamwStep } from './adamw.js';
import type { LossResult } from './loss-eval.js';
import { type NativeChunk, NativeGrad, type NativeGradOptions } from './native-grad.js';

export class NativeTrainer {
  private master?: HostWeights;
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  private readonly grad: NativeGrad;

  constructor(
    readonly model: LlamaModel,
    readonly adam: AdamWOptions,
    o: NativeGradOptions,
  ) {
    this.grad = new NativeGrad(model.config, o);
    for (const [name, w] of this.weights()) {
      this.m.set(name, new Float32Array(w.data.length));
      this.v.set(name, new Float32Array(w.data.length));
    }
  }

  /** Gradients of the chunks, then one AdamW step at learning rate `lr` (1-based step `t`). */
  async step(chunks: NativeChunk[], lr: number, t: number): Promise<{ losses: LossResult[]; gradNorm: number }> {
    const w = this.weights();
    const { losses, grads } = await this.grad.step(w, chunks);
    const gradNorm = adamwStep(w, grads, this.m, this.v, this.adam, lr, t);
    this.model.useHostWeights(w); // the weights changed in place: drop the model's uploaded copy
    return { losses, gradNorm };
  }

  evaluate(batch: TrainBatch): Promise<LossResult> {
    return this.grad.evaluate(this.weights(), batch);
  }

  moments(): HostWeights {
    const out: HostWeights = new Map();
    for (const [prefix, tree] of [
      ['m.', this.m],
      ['v.', this.v],
    ] as const) {
      for (const [name, d] of tree) out.set(prefix + name, { shape: [...this.weights().get(name)!.shape], data: d.slice() });
    }
    return out;
  }

  loadMoments(s: OptimizerState): void {
    for (const [prefix, tree] of [
      ['m.', this.m],
      ['v.', this.v],
    ] as const) {
      const picked: HostWeights = new Map();
      for (const [k, w] of s.moments) if (k.startsWith(prefix)) picked.set(k.slice(prefix.length), w);
      checkWeights(picked, this.model.config, 'optimizer state');
      for (const [name, w] of picked) tree.get(name)!.set(w.data);
    }
  }

  dispose(): void {
    this.grad.dispose();
  }

  /** The master weights, re-read from the model when someone replaced its parameters. */
  private weights(): HostWeights {
    if (!this.master || this.model.sharedHostWeights !== this.master) {
      this.master = this.model.hostWeights();
      this.model.useHostWeights(this.master);
    }
    return this.master;
  }
}
