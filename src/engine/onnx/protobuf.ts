/**
 * A minimal protocol-buffers writer, enough to encode an ONNX ModelProto by hand (no protobuf
 * dependency). Wire format (https://protobuf.dev/programming-guides/encoding/): every field is a
 * key `(fieldNumber << 3) | wireType` followed by a varint (wire type 0), 8 or 4 little-endian
 * bytes (1 or 5), or a varint length and that many bytes (2: strings, bytes, sub-messages and
 * packed repeated scalars).
 *
 * Messages are built bottom-up: a sub-message is finished into bytes before its parent writes it
 * as a length-delimited field, so no back-patching of lengths is needed.
 */

const enum WireType {
  Varint = 0,
  LengthDelimited = 2,
  Fixed32 = 5,
}

const textEncoder = new TextEncoder();

export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];
  private length = 0;

  /** Moves the pending scalar bytes into the chunk list (keeps large payloads uncopied). */
  private flushScratch(): void {
    if (this.scratch.length === 0) return;
    this.chunks.push(Uint8Array.from(this.scratch));
    this.length += this.scratch.length;
    this.scratch = [];
  }

  private pushBytes(bytes: Uint8Array): void {
    this.flushScratch();
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  /**
   * Unsigned or non-negative varint, 7 bits per byte, least significant group first. Negative
   * int64 values are encoded as their 64-bit two's complement (10 bytes), as protobuf requires.
   */
  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    if (v < 0x80n) {
      this.scratch.push(Number(v));
      return;
    }
    while (v >= 0x80n) {
      this.scratch.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.scratch.push(Number(v));
  }

  private key(field: number, wire: WireType): void {
    this.varint((field << 3) | wire);
  }

  /** int32 / int64 / enum / bool field. */
  int(field: number, value: number | bigint): this {
    this.key(field, WireType.Varint);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, WireType.Fixed32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    for (const x of b) this.scratch.push(x);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, WireType.LengthDelimited);
    this.varint(value.length);
    this.pushBytes(value);
    return this;
  }

  /** A sub-message, already encoded. */
  message(field: number, encoded: Uint8Array): this {
    return this.bytes(field, encoded);
  }

  /** A packed repeated varint field (int64 dims, ints attributes). */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: readonly number[]): this {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }

  finish(): Uint8Array {
    this.flushScratch();
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}
