/**
 * A small deterministic Policy for tests: it "generates" characters from a seeded stream derived
 * from the prompt, so answers are reproducible and differ between prompts. It honours n, maxTokens,
 * stop, logprobs and seed like a real backend, and records every batch it receives.
 */
import { Rng, hashString } from '../../src/core/rng.js';
import { requestText, truncateAtStop } from '../../src/models/text.js';
import type { Completion, GenerateOptions, GenerateRequest, Policy, PolicyCapabilities } from '../../src/models/types.js';

const ALPHABET = 'abcdefghij klmnop\n.';

export class ToyPolicy implements Policy {
  readonly id: string;
  readonly capabilities: PolicyCapabilities;
  readonly batches: number[] = [];
  calls = 0;
  constructor(
    id = 'toy',
    readonly delayMs = 0,
    nativeN = true,
    maxBatch = 64,
  ) {
    this.id = id;
    this.capabilities = { logprobs: true, n: nativeN, tokenIds: true, prefixCaching: false, chat: false, maxBatch };
  }

  countTokens(text: string): number {
    return text.length;
  }

  async generate(requests: GenerateRequest[], o: GenerateOptions = {}): Promise<Completion[][]> {
    this.calls++;
    this.batches.push(requests.length);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (o.signal?.aborted) throw new Error('aborted');
    return requests.map((r) => {
      const prompt = requestText(r);
      return Array.from({ length: o.n ?? 1 }, (_, j) => toyCompletion(prompt, o, (o.temperature ?? 1) === 0 ? 0 : j));
    });
  }
}

export function toyCompletion(prompt: string, o: GenerateOptions, row: number): Completion {
  const rng = new Rng(hashString(prompt) ^ (o.seed ?? 0)).fork(row);
  const max = o.maxTokens ?? 16;
  let text = '';
  let finishReason: Completion['finishReason'] = 'length';
  for (let i = 0; i < max; i++) {
    const ch = ALPHABET[rng.int(0, ALPHABET.length - 1)];
    if (ch === '.') {
      finishReason = 'eos';
      break;
    }
    text += ch;
  }
  const cut = truncateAtStop(text, o.stop);
  const out = cut.stopSequence !== undefined ? cut.text : text;
  const tokens = [...out];
  const c: Completion = {
    text: out,
    tokenIds: tokens.map((t) => ALPHABET.indexOf(t)),
    tokens,
    finishReason: cut.stopSequence !== undefined ? 'stop' : finishReason,
    usage: { promptTokens: prompt.length, completionTokens: tokens.length },
  };
  if (cut.stopSequence !== undefined) c.stopSequence = cut.stopSequence;
  if (o.logprobs) c.logprobs = tokens.map(() => -Math.log(ALPHABET.length));
  return c;
}

/** A backend that fails (or hangs) on purpose for its first `failures` calls. */
export class FlakyPolicy implements Policy {
  readonly id = 'flaky';
  readonly capabilities: PolicyCapabilities = { logprobs: true, n: true, tokenIds: true, prefixCaching: false, chat: false, maxBatch: 64 };
  calls = 0;
  private readonly inner = new ToyPolicy('flaky-inner');
  constructor(
    readonly failures: number,
    readonly mode: 'throw' | 'hang' = 'throw',
    readonly error: () => Error = () => new Error('backend crashed on purpose'),
  ) {}

  async generate(requests: GenerateRequest[], o: GenerateOptions = {}): Promise<Completion[][]> {
    this.calls++;
    if (this.calls <= this.failures) {
      if (this.mode === 'throw') throw this.error();
      // Hang until the scheduler's timeout aborts this attempt.
      await new Promise<void>((_, reject) => o.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    }
    return this.inner.generate(requests, o);
  }
}
