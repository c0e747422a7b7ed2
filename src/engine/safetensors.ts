/**
 * The safetensors format (https://github.com/huggingface/safetensors), written from its spec:
 *   [8 bytes: header length N, little-endian u64][N bytes: JSON header][raw tensor data]
 * The header maps each tensor name to {dtype, shape, data_offsets: [begin, end)} (offsets into the
 * data section) and may hold "__metadata__", a string -> string map. We write F32 only (the
 * engine's precision), little-endian, tensors packed in order, header padded with spaces to 8 bytes.
 * Reading checks every offset and size, so a truncated or corrupt file fails with a clear error.
 */
import { inputError } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs.js';
import { readInputFile } from '../core/input.js';
import type { HostWeights } from './host-weights.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Refuse absurd header sizes before allocating (the reference implementation caps at 100 MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsFile {
  tensors: HostWeights;
  metadata: Record<string, string>;
}

/** Serialises F32 tensors and string metadata into one safetensors buffer. */
export function encodeSafetensors(tensors: HostWeights, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`safetensors: tensor ${name} has shape [${t.shape}] but ${t.data.length} values`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  let json = JSON.stringify(header);
  const pad = (8 - (Buffer.byteLength(json, 'utf8') % 8)) % 8;
  json += ' '.repeat(pad);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const [, t] of tensors) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32(pos + 4 * i, t.data[i], true);
    pos += t.data.byteLength;
  }
  return out;
}

/** Parses a safetensors buffer; `source` names the file in error messages. */
export function decodeSafetensors(buf: Uint8Array, source: string): SafetensorsFile {
  const corrupt = (why: string) =>
    inputError(
      `${source} is not a valid safetensors checkpoint: ${why}`,
      'the file is corrupt or was cut short; restore it or use another checkpoint',
    );
  if (buf.length < 8) throw corrupt(`it is only ${buf.length} bytes long`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES) || n > BigInt(buf.length - 8))
    throw corrupt(`its header claims ${n} bytes but the file holds ${buf.length - 8} after the length field`);
  const headerLen = Number(n);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 8, headerLen).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw corrupt(`its JSON header does not parse (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw corrupt('its header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = buf.length - dataStart;
  const metadata: Record<string, string> = {};
  const rawMeta = header.__metadata__;
  if (rawMeta !== undefined) {
    if (!rawMeta || typeof rawMeta !== 'object' || Array.isArray(rawMeta)) throw corrupt('__metadata__ is not an object');
    for (const [k, v] of Object.entries(rawMeta)) {
      if (typeof v !== 'string') throw corrupt(`__metadata__.${k} is not a string`);
      metadata[k] = v;
    }
  }
  const entries: [string, number[], number, number][] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const t = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (t?.dtype !== 'F32') throw corrupt(`tensor "${name}" has dtype ${JSON.stringify(t?.dtype)}; rlmkit reads F32 only`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0))
      throw corrupt(`tensor "${name}" has a malformed shape`);
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[1] < off[0])
      throw corrupt(`tensor "${name}" has malformed data_offsets`);
    const count = (t.shape as number[]).reduce((a, b) => a * b, 1);
    if (off[1] - off[0] !== 4 * count) throw corrupt(`tensor "${name}" has shape [${t.shape}] but ${off[1] - off[0]} bytes of data`);
    if (off[1] > dataLen)
      throw corrupt(`tensor "${name}" ends at byte ${off[1]} of the data but the file holds only ${dataLen} (truncated?)`);
    entries.push([name, t.shape as number[], off[0], off[1]]);
  }
  // The spec requires the tensors to cover the data section without gaps or overlaps.
  const sorted = [...entries].sort((a, b) => a[2] - b[2]);
  let expect = 0;
  for (const [name, , begin, end] of sorted) {
    if (begin !== expect) throw corrupt(`tensor "${name}" starts at byte ${begin}, expected ${expect} (gap or overlap)`);
    expect = end;
  }
  if (expect !== dataLen) throw corrupt(`the data section holds ${dataLen} bytes but the tensors cover ${expect}`);
  const tensors: HostWeights = new Map();
  for (const [name, shape, begin, end] of entries) {
    const count = (end - begin) / 4;
    const data = new Float32Array(count);
    const base = dataStart + begin;
    if (LITTLE_ENDIAN) new Uint8Array(data.buffer).set(buf.subarray(base, base + 4 * count));
    else for (let i = 0; i < count; i++) data[i] = view.getFloat32(base + 4 * i, true);
    tensors.set(name, { shape, data });
  }
  return { tensors, metadata };
}

export function writeSafetensors(file: string, tensors: HostWeights, metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}

export function readSafetensors(file: string): SafetensorsFile {
  // A regular file under the checkpoint size limit, checked before reading (core/input.ts).
  const buf = readInputFile(file, { kind: 'checkpoint', what: 'checkpoint' });
  return decodeSafetensors(buf, file);
}
