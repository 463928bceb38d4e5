// GPU-resident tensors. Images are NHWC, conv kernels HWIO (Keras order). A tensor is a handle
// on reference-counted storage (one pooled GPU buffer), so reshapes are free views.
import { dispatcher } from '../gpu/engine.js';
import { setBufferDescriber } from '../gpu/dispatcher.js';
import type { Scope } from '../gpu/profile_scope.js';
import { track } from './scope.js';
import { checkShape, fmt, sizeOf, type Shape } from './shape.js';

export type DType = 'float32' | 'int32' | 'uint32';
export type TypedArray = Float32Array | Int32Array | Uint32Array;
export type NestedArray = number | NestedArray[];

/** A recorded op's gradient: the output gradient and which inputs need one in, theirs out. */
export type BackwardFn = (grad: Tensor, needs: readonly boolean[]) => (Tensor | null)[];

/** The op that produced a tensor, as src/autograd/tape.ts records and walks it. */
export interface GradNode {
  op: string;
  inputs: Tensor[];
  backward: BackwardFn;
  /** Layer and phase at record() time (only while a profiler tracks scopes). */
  scope?: Scope;
}

class Storage {
  refs = 1;
  constructor(readonly buffer: GPUBuffer) {}
}

/** The error for a tensor larger than a limit, with the largest batch that would fit. */
function tooLarge(shape: Shape, bytes: number, limit: number, limitName: string, label: string): string {
  const perItem = shape.length > 1 && shape[0] > 0 ? bytes / shape[0] : bytes;
  const fits = Math.floor(limit / perItem);
  const hint = shape.length > 1 && fits >= 1 ? `; the largest batch that fits is ${fits}` : '';
  return (
    `dawnflow: ${label || 'a tensor'} ${fmt(shape)} needs ${bytes} bytes, more than this adapter's ` +
    `${limitName} (${limit})${hint}`
  );
}

/** Shapes of tensor buffers, so the dispatcher can say which tensor a kernel cannot bind. */
const shapes = new WeakMap<GPUBuffer, { shape: number[]; label: string }>();

export function describeOversized(buffer: GPUBuffer, limit: number): string {
  const s = shapes.get(buffer);
  if (!s)
    return `dawnflow: a ${buffer.size}-byte buffer is larger than this adapter's maxStorageBufferBindingSize (${limit})`;
  return tooLarge(s.shape, sizeOf(s.shape) * 4, limit, 'maxStorageBufferBindingSize', s.label);
}

setBufferDescriber(describeOversized);

let nextId = 1;
let live = 0;

/** Tensors created and not yet disposed (handles, not buffers: views count too). */
export function liveTensors(): number {
  return live;
}

export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly size: number;
  requiresGrad = false;
  /** Gradient accumulated by backward() for leaves that require it. */
  grad: Tensor | null = null;
  /** The op that produced this tensor, while a graph is being recorded. */
  node: GradNode | null = null;
  name = '';
  private storage: Storage | null;

  private constructor(
    shape: Shape,
    readonly dtype: DType,
    storage: Storage,
  ) {
    checkShape(shape);
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    this.storage = storage;
    live++;
    track(this);
  }

  /** An uninitialised tensor from the pool: for op outputs that a kernel writes in full. */
  static empty(shape: Shape, dtype: DType = 'float32', label = ''): Tensor {
    checkShape(shape);
    const bytes = Math.max(4, sizeOf(shape) * 4);
    const d = dispatcher();
    const limit = d.limits.maxBufferSize ?? Infinity;
    if (bytes > limit) throw new Error(tooLarge(shape, bytes, limit, 'maxBufferSize', label));
    const buffer = d.acquire(bytes, label);
    shapes.set(buffer, { shape: [...shape], label });
    return new Tensor(shape, dtype, new Storage(buffer));
  }

  static fromArray(data: ArrayLike<number>, shape: Shape, dtype: DType = 'float32'): Tensor {
    if (data.length !== sizeOf(shape)) {
      throw new Error(`dawnflow: ${data.length} values do not fill shape ${fmt(shape)}`);
    }
    const t = Tensor.empty(shape, dtype);
    const Ctor = dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : Uint32Array;
    const host = data instanceof Ctor ? data : Ctor.from(data);
    if (host.length) dispatcher().write(t.buffer, host);
    return t;
  }

  get buffer(): GPUBuffer {
    if (!this.storage) throw new Error(`dawnflow: tensor ${this.describe()} was disposed`);
    return this.storage.buffer;
  }

  get disposed(): boolean {
    return this.storage === null;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Same storage, another shape (no copy). */
  view(shape: Shape = this.shape): Tensor {
    // Validate before taking a reference: a constructor that throws would leak it.
    checkShape(shape);
    if (sizeOf(shape) !== this.size) {
      throw new Error(`dawnflow: cannot view ${fmt(this.shape)} as ${fmt(shape)}`);
    }
    const storage = this.storage;
    if (!storage) throw new Error(`dawnflow: tensor ${this.describe()} was disposed`);
    storage.refs++;
    return new Tensor(shape, this.dtype, storage);
  }

  dispose(): void {
    const s = this.storage;
    if (!s) return;
    this.storage = null;
    this.node = null;
    live--;
    if (--s.refs === 0) dispatcher().pool.release(s.buffer);
  }

  async data(): Promise<TypedArray> {
    const raw = await dispatcher().read(this.buffer, this.size * 4);
    if (this.dtype === 'int32') return new Int32Array(raw);
    if (this.dtype === 'uint32') return new Uint32Array(raw);
    return new Float32Array(raw);
  }

  async array(): Promise<NestedArray> {
    const flat = await this.data();
    const build = (axis: number, offset: number): NestedArray => {
      if (axis === this.shape.length) return flat[offset];
      const inner = sizeOf(this.shape.slice(axis + 1));
      return Array.from({ length: this.shape[axis] }, (_, i) => build(axis + 1, offset + i * inner));
    };
    return build(0, 0);
  }

  /** A single value (for losses and metrics). */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`dawnflow: item() needs one value, tensor is ${fmt(this.shape)}`);
    return (await this.data())[0];
  }

  describe(): string {
    return `${this.name || `#${this.id}`} ${this.dtype}${fmt(this.shape)}`;
  }

  toString(): string {
    return `Tensor(${this.describe()})`;
  }
}

/** `t` under another shape; the old handle is disposed (ownership moves to the result). */
export function reshapeOwned(t: Tensor, shape: readonly number[]): Tensor {
  const v = t.view(shape);
  t.dispose();
  return v;
}
