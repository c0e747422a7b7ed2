/**
 * Reads and checks a GGUF file's header (metadata and tensor table) without loading the weights.
 * The GGUF backend runs it before handing a file to llama.cpp, because llama.cpp can hang or abort
 * on a truncated file; tests use it to read back what `rlmkit export gguf` wrote.
 */
import * as fs from 'node:fs';
import { fsError, inputError } from '../core/errors.js';
import { checkInputFile } from '../core/input.js';

export interface GgufTensorInfo {
  name: string;
  dims: number[];
  type: number;
  offset: number;
}

export interface GgufHeader {
  version: number;
  metadata: Record<string, unknown>;
  tensors: GgufTensorInfo[];
  /** Byte offset where tensor data starts. */
  dataOffset: number;
  /** File size the tensor table implies (null when a tensor type's size is unknown here). */
  expectedBytes: number | null;
}

/** ggml type -> [block size in elements, bytes per block] (ggml.c type traits). */
const TYPE_SIZES: Record<number, [number, number]> = {
  0: [1, 4],
  1: [1, 2],
  2: [32, 18],
  3: [32, 20],
  6: [32, 22],
  7: [32, 24],
  8: [32, 34],
  9: [32, 36],
  10: [256, 84],
  11: [256, 110],
  12: [256, 144],
  13: [256, 176],
  14: [256, 210],
  15: [256, 292],
  24: [1, 1],
  25: [1, 2],
  26: [1, 4],
  27: [1, 8],
  28: [1, 8],
  30: [1, 2],
};

/** Buffered little-endian reads from a file descriptor. */
class FileReader {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;
  constructor(
    private readonly fd: number,
    readonly size: number,
    private readonly file: string,
  ) {}

  private need(n: number): void {
    if (this.pos + n > this.size)
      throw inputError(
        `${this.file} is truncated: its header runs past the end of the file`,
        'the file is incomplete; export or download it again',
      );
    if (this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.length) return;
    const len = Math.min(this.size - this.pos, Math.max(n, 1 << 20));
    this.buf = Buffer.alloc(len);
    fs.readSync(this.fd, this.buf, 0, len, this.pos);
    this.bufStart = this.pos;
  }
  private at(): number {
    return this.pos - this.bufStart;
  }
  u8(): number {
    this.need(1);
    const v = this.buf[this.at()];
    this.pos += 1;
    return v;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.at());
    this.pos += 2;
    return v;
  }
  i16(): number {
    this.need(2);
    const v = this.buf.readInt16LE(this.at());
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.at());
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.at());
    this.pos += 4;
    return v;
  }
  f32(): number {
    this.need(4);
    const v = this.buf.readFloatLE(this.at());
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.at());
    this.pos += 8;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.at());
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER))
      throw inputError(`${this.file} is not a valid GGUF file: a length field is absurdly large`, 'the file is corrupt');
    return Number(v);
  }
  i64(): number {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.at());
    this.pos += 8;
    return Number(v);
  }
  str(): string {
    const n = this.u64();
    this.need(n);
    const s = this.buf.toString('utf8', this.at(), this.at() + n);
    this.pos += n;
    return s;
  }
}

function readValue(r: FileReader, type: number, file: string): unknown {
  switch (type) {
    case 0:
      return r.u8();
    case 1:
      return (r.u8() << 24) >> 24;
    case 2:
      return r.u16();
    case 3:
      return r.i16();
    case 4:
      return r.u32();
    case 5:
      return r.i32();
    case 6:
      return r.f32();
    case 7:
      return r.u8() !== 0;
    case 8:
      return r.str();
    case 9: {
      const elem = r.u32();
      const n = r.u64();
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(readValue(r, elem, file));
      return out;
    }
    case 10:
      return r.u64();
    case 11:
      return r.i64();
    case 12:
      return r.f64();
    default:
      throw inputError(
        `${file} is not a valid GGUF file: unknown metadata type ${type}`,
        'the file is corrupt or from a newer GGUF version',
      );
  }
}

export function readGgufHeader(file: string): GgufHeader {
  // A regular file (not a FIFO or device that would block or never end); GGUF files are mapped, not read whole.
  checkInputFile(file, { maxBytes: Number.MAX_SAFE_INTEGER, what: 'GGUF model' });
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw fsError(e, file, 'open');
  }
  try {
    const size = fs.fstatSync(fd).size;
    const r = new FileReader(fd, size, file);
    if (size < 24 || r.u32() !== 0x46554747) throw inputError(`${file} is not a GGUF file (no "GGUF" magic)`, 'give a .gguf model file');
    const version = r.u32();
    if (version !== 2 && version !== 3)
      throw inputError(`${file} is GGUF version ${version}; only versions 2 and 3 are supported`, 'convert it with a current llama.cpp');
    const tensorCount = r.u64();
    const kvCount = r.u64();
    const metadata: Record<string, unknown> = {};
    for (let i = 0; i < kvCount; i++) {
      const key = r.str();
      metadata[key] = readValue(r, r.u32(), file);
    }
    const tensors: GgufTensorInfo[] = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = r.str();
      const nDims = r.u32();
      if (nDims > 8) throw inputError(`${file} is not a valid GGUF file: tensor ${name} has ${nDims} dimensions`, 'the file is corrupt');
      const dims = Array.from({ length: nDims }, () => r.u64());
      tensors.push({ name, dims, type: r.u32(), offset: r.u64() });
    }
    const alignment = typeof metadata['general.alignment'] === 'number' ? (metadata['general.alignment'] as number) : 32;
    const dataOffset = Math.ceil(r.pos / alignment) * alignment;
    let expectedBytes: number | null = dataOffset;
    for (const t of tensors) {
      const ts = TYPE_SIZES[t.type];
      if (!ts || expectedBytes === null) {
        expectedBytes = null;
        continue;
      }
      const elements = t.dims.reduce((a, b) => a * b, 1);
      expectedBytes = Math.max(expectedBytes, dataOffset + t.offset + Math.ceil(elements / ts[0]) * ts[1]);
    }
    if (expectedBytes !== null && size < expectedBytes)
      throw inputError(
        `${file} is truncated: its tensors need ${expectedBytes} bytes but the file has ${size}`,
        'the file is incomplete; export or download it again',
      );
    return { version, metadata, tensors, dataOffset, expectedBytes };
  } finally {
    fs.closeSync(fd);
  }
}
