/**
 * Builds ONNX models in memory: a graph of nodes, initializers (weights) and typed inputs/outputs,
 * encoded as an `onnx.ModelProto` with our own protobuf writer. Field numbers are those of
 * onnx/onnx.proto (IR version 8 = ONNX 1.12+, the IR that goes with opset 17).
 */
import { ProtoWriter } from './protobuf.js';

/** `TensorProto.DataType` values used here. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 } as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

/** `AttributeProto.AttributeType` values used here. */
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

export type Attribute =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string };

export const attr = {
  int: (value: number): Attribute => ({ kind: 'int', value }),
  float: (value: number): Attribute => ({ kind: 'float', value }),
  ints: (value: number[]): Attribute => ({ kind: 'ints', value }),
  floats: (value: number[]): Attribute => ({ kind: 'floats', value }),
  string: (value: string): Attribute => ({ kind: 'string', value }),
};

/** A dimension is a fixed size or a symbolic name (dynamic). */
export type Dim = number | string;

interface NodeSpec {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, Attribute>;
  name: string;
}

interface ValueSpec {
  name: string;
  elemType: DataType;
  dims: Dim[];
}

interface InitializerSpec {
  name: string;
  dataType: DataType;
  dims: number[];
  raw: Uint8Array;
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // TensorProto.raw_data is little-endian; we pass typed-array bytes straight through.
  throw new Error('rlmkit ONNX export needs a little-endian host');
}

function rawBytes(data: Float32Array | Int32Array | BigInt64Array | Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export class GraphBuilder {
  private nodes: NodeSpec[] = [];
  private inputs: ValueSpec[] = [];
  private outputs: ValueSpec[] = [];
  private initializers: InitializerSpec[] = [];
  private taken = new Set<string>();
  private bound = new Set<string>();
  private counter = 0;

  constructor(readonly graphName: string) {}

  /** A fresh value name with a readable prefix (bound later by the node that produces it). */
  fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.taken.has(name));
    this.taken.add(name);
    return name;
  }

  /** Binds a value name to its producer (input, initializer or node output): each at most once. */
  private claim(name: string): string {
    if (this.bound.has(name)) throw new Error(`ONNX graph: duplicate value name ${name}`);
    this.bound.add(name);
    this.taken.add(name);
    return name;
  }

  input(name: string, elemType: DataType, dims: Dim[]): string {
    this.inputs.push({ name: this.claim(name), elemType, dims });
    return name;
  }

  /** Declares an existing value as a graph output. */
  output(name: string, elemType: DataType, dims: Dim[]): void {
    this.outputs.push({ name, elemType, dims });
  }

  initializer(name: string, dataType: DataType, dims: number[], data: Float32Array | Int32Array | BigInt64Array | Uint8Array): string {
    return this.addInitializer(this.claim(name), dataType, dims, data);
  }

  private addInitializer(
    name: string,
    dataType: DataType,
    dims: number[],
    data: Float32Array | Int32Array | BigInt64Array | Uint8Array,
  ): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`ONNX initializer ${name}: ${data.length} values for shape [${dims}]`);
    this.initializers.push({ name, dataType, dims, raw: rawBytes(data) });
    return name;
  }

  floatConst(prefix: string, dims: number[], data: Float32Array | number[]): string {
    return this.addInitializer(
      this.claim(this.fresh(prefix)),
      DataType.FLOAT,
      dims,
      data instanceof Float32Array ? data : Float32Array.from(data),
    );
  }

  int64Const(prefix: string, values: number[], dims: number[] = [values.length]): string {
    return this.addInitializer(this.claim(this.fresh(prefix)), DataType.INT64, dims, BigInt64Array.from(values.map((v) => BigInt(v))));
  }

  /**
   * Adds a node and returns its output names. `outputs` is a count (fresh names) or explicit names
   * (for values that are graph outputs).
   */
  node(
    opType: string,
    inputs: string[],
    attributes: Record<string, Attribute> = {},
    outputs: number | string[] = 1,
    domain = '',
  ): string[] {
    const outNames =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, () => this.claim(this.fresh(opType.toLowerCase())))
        : outputs.map((n) => (n === '' ? n : this.claim(n))); // '' skips an optional output
    this.nodes.push({ opType, domain, inputs, outputs: outNames, attributes, name: this.fresh(`n_${opType}`) });
    return outNames;
  }

  /** Single-output shorthand for `node`. */
  op(opType: string, inputs: string[], attributes: Record<string, Attribute> = {}, outputName?: string): string {
    return this.node(opType, inputs, attributes, outputName ? [outputName] : 1)[0];
  }

  /** Encodes `onnx.GraphProto` (fields: node 1, name 2, initializer 5, input 11, output 12). */
  encodeGraph(): Uint8Array {
    const w = new ProtoWriter();
    for (const n of this.nodes) w.message(1, encodeNode(n));
    w.string(2, this.graphName);
    for (const t of this.initializers) w.message(5, encodeTensor(t));
    for (const v of this.inputs) w.message(11, encodeValueInfo(v));
    for (const v of this.outputs) w.message(12, encodeValueInfo(v));
    return w.finish();
  }

  get nodeCount(): number {
    return this.nodes.length;
  }
}

export interface ModelOptions {
  opsets: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  irVersion?: number;
  metadata?: Record<string, string>;
}

/**
 * Encodes `onnx.ModelProto`: ir_version 1, producer_name 2, producer_version 3, graph 7,
 * opset_import 8 (OperatorSetIdProto: domain 1, version 2), metadata_props 14 (key 1, value 2).
 */
export function encodeModel(graph: GraphBuilder, o: ModelOptions): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, o.irVersion ?? 8);
  w.string(2, o.producerName);
  w.string(3, o.producerVersion);
  w.message(7, graph.encodeGraph());
  for (const op of o.opsets) w.message(8, new ProtoWriter().string(1, op.domain).int(2, op.version).finish());
  for (const [k, v] of Object.entries(o.metadata ?? {})) w.message(14, new ProtoWriter().string(1, k).string(2, v).finish());
  return w.finish();
}

/** `NodeProto`: input 1, output 2, name 3, op_type 4, attribute 5, domain 7. */
function encodeNode(n: NodeSpec): Uint8Array {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const [name, a] of Object.entries(n.attributes)) w.message(5, encodeAttribute(name, a));
  if (n.domain) w.string(7, n.domain);
  return w.finish();
}

/** `AttributeProto`: name 1, f 2, i 3, s 4, floats 7, ints 8, type 20. */
function encodeAttribute(name: string, a: Attribute): Uint8Array {
  const w = new ProtoWriter().string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value).int(20, AttrType.FLOAT);
      break;
    case 'int':
      w.int(3, a.value).int(20, AttrType.INT);
      break;
    case 'string':
      w.string(4, a.value).int(20, AttrType.STRING);
      break;
    case 'floats':
      w.packedFloats(7, a.value).int(20, AttrType.FLOATS);
      break;
    case 'ints':
      w.packedInts(8, a.value).int(20, AttrType.INTS);
      break;
  }
  return w.finish();
}

/** `TensorProto`: dims 1, data_type 2, name 8, raw_data 9. */
function encodeTensor(t: InitializerSpec): Uint8Array {
  const w = new ProtoWriter();
  if (t.dims.length > 0) w.packedInts(1, t.dims);
  w.int(2, t.dataType);
  w.string(8, t.name);
  w.bytes(9, t.raw);
  return w.finish();
}

/**
 * `ValueInfoProto` (name 1, type 2) with `TypeProto` (tensor_type 1) -> `TypeProto.Tensor`
 * (elem_type 1, shape 2) -> `TensorShapeProto` (dim 1) -> `Dimension` (dim_value 1, dim_param 2).
 */
function encodeValueInfo(v: ValueSpec): Uint8Array {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim.finish());
  }
  const tensorType = new ProtoWriter().int(1, v.elemType).message(2, shape.finish()).finish();
  const type = new ProtoWriter().message(1, tensorType).finish();
  return new ProtoWriter().string(1, v.name).message(2, type).finish();
}
