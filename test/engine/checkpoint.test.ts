import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRlmkitError } from '../../src/core/errors.js';
import { loadCheckpoint, saveCheckpoint, sidecarPath } from '../../src/engine/checkpoint.js';
import { validateModelConfig } from '../../src/engine/config.js';
import { initHostWeights } from '../../src/engine/model.js';
import type { HostWeights } from '../../src/engine/sampler-types.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/engine/safetensors.js';
import { CharTokenizer } from '../../src/engine/tokenizer.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlmkit-engine-ckpt-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cfg = validateModelConfig({ vocabSize: 12, dModel: 8, nLayers: 1, nHeads: 2, dFF: 16, maxSeqLen: 8, valueHead: true });
const tok = new CharTokenizer(['a', 'b', '+']);
const meta = { kind: 'value', config: cfg, tokenizer: tok.spec(), step: 7, extra: { note: 'x', nested: [1, 2] } };

function moments(w: HostWeights): HostWeights {
  const out: HostWeights = new Map();
  for (const [k, v] of w) {
    out.set(`m.${k}`, { shape: v.shape, data: v.data.map((x) => x * 0.5) });
    out.set(`v.${k}`, { shape: v.shape, data: v.data.map((x) => x * x) });
  }
  return out;
}

/** Expects `fn` to throw an RlmkitError whose message matches `re`. */
function expectRlmkitError(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(isRlmkitError(e), String(e)).toBe(true);
    expect((e as Error).message).toMatch(re);
    return;
  }
  throw new Error('expected an error');
}

describe('checkpoints', () => {
  const weights = initHostWeights(cfg, 3);
  // special values must survive too
  weights.get('norm.weight')!.data.set([Number.MIN_VALUE, -0, 1e-38, 3.4e38], 0);
  const file = path.join(tmp, 'a.safetensors');
  saveCheckpoint(file, meta, weights, { step: 7, moments: moments(weights), extra: { rng: { s: [1, 2, 3, 4], spare: null } } });

  it('round-trips weights bit for bit with metadata and the optimiser sidecar', () => {
    const ck = loadCheckpoint(file, { withOptimizer: true, expectConfig: cfg });
    expect(ck.config).toEqual(cfg);
    expect(ck.kind).toBe('value');
    expect(ck.step).toBe(7);
    expect(ck.extra).toEqual(meta.extra);
    expect(ck.tokenizer).toEqual(tok.spec());
    expect([...ck.weights.keys()].sort()).toEqual([...weights.keys()].sort());
    for (const [k, w] of weights) {
      const r = ck.weights.get(k)!;
      expect(r.shape).toEqual(w.shape);
      expect(
        Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).equals(
          Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength),
        ),
      ).toBe(true);
    }
    expect(ck.optimizer!.step).toBe(7);
    expect(ck.optimizer!.extra).toEqual({ rng: { s: [1, 2, 3, 4], spare: null } });
    const want = moments(weights);
    expect(ck.optimizer!.moments.size).toBe(want.size);
    for (const [k, w] of want) expect(Array.from(ck.optimizer!.moments.get(k)!.data)).toEqual(Array.from(w.data));
  });

  it('writes standard safetensors: u64 header length, 8-byte aligned JSON header, F32 offsets', () => {
    const buf = fs.readFileSync(file);
    const n = Number(buf.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
    expect(header.__metadata__.format).toBe('rlmkit-checkpoint/1');
    expect(JSON.parse(header.__metadata__.config)).toEqual(cfg);
    const t = header['tok_embeddings.weight'];
    expect(t.dtype).toBe('F32');
    expect(t.shape).toEqual([12, 8]);
    expect(t.data_offsets[1] - t.data_offsets[0]).toBe(12 * 8 * 4);
    const first = buf.readFloatLE(8 + n + t.data_offsets[0]);
    expect(first).toBe(weights.get('tok_embeddings.weight')!.data[0]);
    const round = decodeSafetensors(
      encodeSafetensors(new Map([['x', { shape: [2], data: new Float32Array([1.5, -2]) }]]), { a: 'b' }),
      'mem',
    );
    expect(round.metadata).toEqual({ a: 'b' });
    expect([...round.tensors.get('x')!.data]).toEqual([1.5, -2]);
  });

  it('rejects a truncated checkpoint', () => {
    const bad = path.join(tmp, 'trunc.safetensors');
    const buf = fs.readFileSync(file);
    fs.writeFileSync(bad, buf.subarray(0, buf.length - 100));
    expectRlmkitError(() => loadCheckpoint(bad), /not a valid safetensors checkpoint: .*(truncated|covers|holds)/);
    fs.writeFileSync(bad, buf.subarray(0, 5));
    expectRlmkitError(() => loadCheckpoint(bad), /only 5 bytes long/);
    fs.writeFileSync(bad, buf.subarray(0, 200));
    expectRlmkitError(() => loadCheckpoint(bad), /header claims/);
  });

  it('rejects a corrupt checkpoint (header or data)', () => {
    const bad = path.join(tmp, 'corrupt.safetensors');
    const buf = Buffer.from(fs.readFileSync(file));
    const header = Buffer.from(buf);
    header[12] = 0x7b; // '{' inside the JSON header
    header[13] = 0x7b;
    fs.writeFileSync(bad, header);
    expectRlmkitError(() => loadCheckpoint(bad), /does not parse|not a valid safetensors/);
    const data = Buffer.from(buf);
    data[data.length - 3] ^= 0xff;
    fs.writeFileSync(bad, data);
    expectRlmkitError(() => loadCheckpoint(bad), /corrupt: its tensor data does not match/);
    fs.writeFileSync(bad, 'not a checkpoint at all, just text');
    expectRlmkitError(() => loadCheckpoint(bad), /not a valid safetensors checkpoint/);
  });

  it('rejects a config mismatch, a foreign safetensors file and a mismatched sidecar', () => {
    expectRlmkitError(
      () => loadCheckpoint(file, { expectConfig: { ...cfg, dModel: 16 } }),
      /config mismatch.*dModel: checkpoint 8, expected 16/,
    );
    const foreign = path.join(tmp, 'foreign.safetensors');
    fs.writeFileSync(foreign, encodeSafetensors(new Map([['w', { shape: [1], data: new Float32Array([1]) }]])));
    expectRlmkitError(() => loadCheckpoint(foreign), /not an rlmkit checkpoint/);
    expectRlmkitError(
      () => saveCheckpoint(path.join(tmp, 'x.safetensors'), { ...meta, config: { ...cfg, valueHead: false } }, weights),
      /unexpected tensors value_head/,
    );
    const other = path.join(tmp, 'b.safetensors');
    saveCheckpoint(other, meta, weights, { step: 7, moments: moments(weights), extra: {} });
    fs.copyFileSync(sidecarPath(file), sidecarPath(other));
    saveCheckpoint(other, meta, weights); // new id, old sidecar stays
    expectRlmkitError(() => loadCheckpoint(other, { withOptimizer: true }), /belongs to a different checkpoint/);
    expectRlmkitError(() => loadCheckpoint(path.join(tmp, 'missing.safetensors')), /does not exist/);
  });
});
