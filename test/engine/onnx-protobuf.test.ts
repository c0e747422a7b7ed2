/** The hand-written protobuf encoder: wire format of the field kinds the ONNX export uses. */
import { describe, expect, it } from 'vitest';
import { ProtoWriter } from '../../src/engine/onnx/protobuf.js';

const bytes = (w: ProtoWriter) => Array.from(w.finish());

describe('ProtoWriter', () => {
  it('encodes varint fields (protobuf docs example: field 1 = 150 -> 08 96 01)', () => {
    expect(bytes(new ProtoWriter().int(1, 150))).toEqual([0x08, 0x96, 0x01]);
    expect(bytes(new ProtoWriter().int(2, 0))).toEqual([0x10, 0x00]);
    // Large int64 values and negative numbers (two's complement, 10 bytes).
    expect(bytes(new ProtoWriter().int(1, 2 ** 40))).toEqual([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
    expect(bytes(new ProtoWriter().int(1, -1))).toEqual([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });

  it('encodes strings, sub-messages and packed repeated fields with their lengths', () => {
    expect(bytes(new ProtoWriter().string(2, 'testing'))).toEqual([0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67]);
    const inner = new ProtoWriter().int(1, 150).finish();
    expect(bytes(new ProtoWriter().message(3, inner))).toEqual([0x1a, 0x03, 0x08, 0x96, 0x01]);
    expect(bytes(new ProtoWriter().packedInts(4, [3, 270, 86942]))).toEqual([0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05]);
    expect(bytes(new ProtoWriter().packedFloats(7, [1]))).toEqual([0x3a, 0x04, 0x00, 0x00, 0x80, 0x3f]);
    expect(bytes(new ProtoWriter().float(2, -2))).toEqual([0x15, 0x00, 0x00, 0x00, 0xc0]);
  });

  it('keeps large payloads intact and in order', () => {
    const payload = new Uint8Array(70000).map((_, i) => i % 251);
    const out = new ProtoWriter().int(1, 7).bytes(9, payload).string(8, 'w').finish();
    // key 9<<3|2 = 0x4a, length 70000 = varint e0 a2 04
    expect(Array.from(out.subarray(0, 6))).toEqual([0x08, 0x07, 0x4a, 0xf0, 0xa2, 0x04]);
    expect(out.subarray(6, 6 + payload.length).every((b, i) => b === payload[i])).toBe(true);
    expect(Array.from(out.subarray(6 + payload.length))).toEqual([0x42, 0x01, 0x77]);
  });
});
