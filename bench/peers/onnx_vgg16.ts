// A minimal ONNX writer, enough for the VGG16 conv base (Conv, Relu, MaxPool) with random
// weights, so the onnxruntime peer needs no Python. ONNX's ModelProto is plain protobuf; field
// numbers are from onnx/onnx.proto (IR version 8, opset 13). NCHW, as ONNX's Conv is.
import { blocksOf, convKernelHwio, hwioToOihw, type PeerModel } from './spec.js';

// --- protobuf wire format -----------------------------------------------------------------

/** Bytes of one message, built field by field. */
class Writer {
  private parts: Uint8Array[] = [];
  private length = 0;

  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }

  private varint(v: number | bigint): void {
    let n = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    do {
      const byte = Number(n & 0x7fn);
      n >>= 7n;
      out.push(n ? byte | 0x80 : byte);
    } while (n);
    this.push(Uint8Array.from(out));
  }

  private key(field: number, wire: 0 | 2 | 5): void {
    this.varint((field << 3) | wire);
  }

  /** int32/int64/enum (wire type 0). */
  int(field: number, v: number): this {
    this.key(field, 0);
    this.varint(v);
    return this;
  }

  /** float (wire type 5). */
  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }

  /** bytes / string / sub-message (wire type 2). */
  bytes(field: number, b: Uint8Array | string | Writer): this {
    const data = typeof b === 'string' ? new TextEncoder().encode(b) : b instanceof Writer ? b.finish() : b;
    this.key(field, 2);
    this.varint(data.length);
    this.push(data);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

// --- ONNX messages ------------------------------------------------------------------------

const FLOAT = 1; // TensorProto.DataType
const ATTR_INTS = 7; // AttributeProto.AttributeType

/** AttributeProto { name = 1; type = 20; ints = 8 } (repeated, unpacked as proto2 writes them). */
function intsAttr(name: string, values: number[]): Writer {
  const a = new Writer().bytes(1, name).int(20, ATTR_INTS);
  for (const v of values) a.int(8, v);
  return a;
}

/** NodeProto { input = 1; output = 2; name = 3; op_type = 4; attribute = 5 }. */
function node(op: string, name: string, inputs: string[], outputs: string[], attrs: Writer[] = []): Writer {
  const n = new Writer();
  for (const i of inputs) n.bytes(1, i);
  for (const o of outputs) n.bytes(2, o);
  n.bytes(3, name).bytes(4, op);
  for (const a of attrs) n.bytes(5, a);
  return n;
}

/** TensorProto { dims = 1; data_type = 2; name = 8; raw_data = 9 (little-endian) }. */
function initializer(name: string, dims: number[], data: Float32Array): Writer {
  const t = new Writer();
  for (const d of dims) t.int(1, d);
  t.int(2, FLOAT).bytes(8, name);
  return t.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** ValueInfoProto { name = 1; type = 2 { tensor_type = 1 { elem_type = 1; shape = 2 { dim = 1 } } } }. */
function valueInfo(name: string, dims: (number | string)[]): Writer {
  const shape = new Writer();
  for (const d of dims) shape.bytes(1, typeof d === 'number' ? new Writer().int(1, d) : new Writer().bytes(2, d));
  const tensor = new Writer().int(1, FLOAT).bytes(2, shape);
  return new Writer().bytes(1, name).bytes(2, new Writer().bytes(1, tensor));
}

// --- the model ----------------------------------------------------------------------------

export interface OnnxModel {
  bytes: Uint8Array;
  input: string;
  output: string;
  outputShape: number[];
}

/**
 * The conv base as ONNX: per conv `Conv` (3x3, pads 1, bias) + `Relu`, per block a 2x2 stride-2
 * `MaxPool`. Input 'input' [N, 3, size, size] with a symbolic batch. Weights are the shared
 * seeded glorot-uniform kernels (convKernelHwio, transposed to OIHW), biases zero.
 */
export function vgg16Onnx(model: PeerModel, size: number, seed: number): OnnxModel {
  const graph = new Writer();
  const inits: Writer[] = [];
  let prev = 'input';
  let ci = 3;
  let hw = size;
  let k = 0;
  blocksOf(model).forEach((block, b) => {
    block.forEach((co, i) => {
      const name = `block${b + 1}_conv${i + 1}`;
      inits.push(initializer(`${name}_W`, [co, ci, 3, 3], hwioToOihw(convKernelHwio(seed, k++, ci, co), ci, co)));
      inits.push(initializer(`${name}_B`, [co], new Float32Array(co)));
      graph.bytes(
        1,
        node(
          'Conv',
          name,
          [prev, `${name}_W`, `${name}_B`],
          [`${name}_conv`],
          [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1]), intsAttr('strides', [1, 1])],
        ),
      );
      graph.bytes(1, node('Relu', `${name}_relu`, [`${name}_conv`], [name]));
      prev = name;
      ci = co;
    });
    const pool = `block${b + 1}_pool`;
    graph.bytes(
      1,
      node('MaxPool', pool, [prev], [pool], [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])]),
    );
    prev = pool;
    hw = Math.floor(hw / 2);
  });
  graph.bytes(2, `dawnflow_${model}_conv_base`);
  for (const t of inits) graph.bytes(5, t);
  graph.bytes(11, valueInfo('input', ['N', 3, size, size]));
  graph.bytes(12, valueInfo(prev, ['N', ci, hw, hw]));
  // ModelProto { ir_version = 1; producer_name = 2; graph = 7; opset_import = 8 { domain = 1; version = 2 } }
  const m = new Writer()
    .int(1, 8)
    .bytes(2, 'dawnflow-bench')
    .bytes(7, graph)
    .bytes(8, new Writer().bytes(1, '').int(2, 13));
  return { bytes: m.finish(), input: 'input', output: prev, outputShape: [ci, hw, hw] };
}
