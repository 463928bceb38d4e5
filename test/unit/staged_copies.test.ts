// Staged copies kept for reuse (src/gpu/staged_copies.ts): the cache's rules on their own (same
// write count, format and no larger a size; least recently used out first past the byte bound;
// a dropped copy goes back to the pool), then the dispatcher: a dense layer's weights staged by
// its forward are reused by the next launch that reads them unchanged, and once the buffer is
// written (an upload, a kernel) the next launch stages the new contents and computes with them.
import { describe, expect, test } from 'vitest';
import { dispatcher } from '../../src/gpu/engine.js';
import { StagedCopies } from '../../src/gpu/staged_copies.js';
import { densePlan } from '../../src/kernels/plan_context.js';
import { gemmRaw } from '../../src/kernels/matmul.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { openGpu } from '../helpers/gpu.js';
import { skipNote } from '../helpers/skip.js';
import { randomPair } from '../helpers/tensors.js';

await openGpu();

/** Stand-ins: the cache only keys by identity and reads a texture's width and height. */
const buffer = () => ({}) as GPUBuffer;
const texture = (height: number) => ({ width: 4096, height }) as GPUTexture;
const ROW = 4096 * 16;

function cache(capacity: number) {
  const released: GPUTexture[] = [];
  return { c: new StagedCopies({ release: (t) => released.push(t) }, capacity), released };
}

describe('the cache', () => {
  test('a copy serves its buffer at the same write count and format, for no more texels', () => {
    const { c, released } = cache(10 * ROW);
    const b = buffer();
    const t = texture(2);
    c.keep(b, t, 3, 8000, 'rgba32float');
    expect(c.find(b, 3, 8000, 'rgba32float')).toBe(t);
    expect(c.find(b, 3, 100, 'rgba32float')).toBe(t);
    expect(c.find(b, 4, 8000, 'rgba32float')).toBeNull();
    expect(c.find(b, 3, 8001, 'rgba32float')).toBeNull();
    expect(c.find(b, 3, 8000, 'rgba16float')).toBeNull();
    expect(c.find(buffer(), 3, 8000, 'rgba32float')).toBeNull();
    expect(c.stats).toEqual({ reused: 2, staged: 1 });
    c.drop(b);
    expect(released).toEqual([t]);
    expect(c.find(b, 3, 8000, 'rgba32float')).toBeNull();
    expect(c.keptBytes).toBe(0);
  });

  test('a newer copy of a buffer replaces the older one', () => {
    const { c, released } = cache(10 * ROW);
    const b = buffer();
    const [t1, t2] = [texture(1), texture(1)];
    c.keep(b, t1, 1, 10, 'rgba32float');
    c.keep(b, t2, 2, 10, 'rgba32float');
    expect(released).toEqual([t1]);
    expect(c.find(b, 2, 10, 'rgba32float')).toBe(t2);
    expect(c.keptBytes).toBe(ROW);
  });

  test('past the byte bound the least recently used copies go first', () => {
    const { c, released } = cache(3 * ROW);
    const [b1, b2, b3] = [buffer(), buffer(), buffer()];
    const [t1, t2, t3] = [texture(1), texture(1), texture(2)];
    c.keep(b1, t1, 0, 10, 'rgba32float');
    c.keep(b2, t2, 0, 10, 'rgba32float');
    c.find(b1, 0, 10, 'rgba32float');
    c.keep(b3, t3, 0, 10, 'rgba32float');
    // b2 was used least recently: it goes, and b1 (touched after it) stays.
    expect(released).toEqual([t2]);
    expect(c.find(b1, 0, 10, 'rgba32float')).toBe(t1);
    expect(c.find(b3, 0, 10, 'rgba32float')).toBe(t3);
    expect(c.keptBytes).toBe(3 * ROW);
    c.clear();
    expect(released).toEqual([t2, t1, t3]);
    expect(c.keptBytes).toBe(0);
  });

  test('a copy larger than the bound is still kept until the next one', () => {
    const { c, released } = cache(ROW);
    const [b1, b2] = [buffer(), buffer()];
    const [t1, t2] = [texture(4), texture(4)];
    c.keep(b1, t1, 0, 10, 'rgba32float');
    expect(c.find(b1, 0, 10, 'rgba32float')).toBe(t1);
    c.keep(b2, t2, 0, 10, 'rgba32float');
    expect(released).toEqual([t1]);
  });
});

describe('the dispatcher', () => {
  const M = 4;
  const K = 96;
  const N = 64;
  const texture = densePlan({ M, N, K, transA: false, transB: false, epilogue: false }).variant !== 'gemm';

  const name = 'reuses a staged operand until its buffer is written, then stages the new one';
  const why = 'dense products on this adapter read storage buffers, not staged textures';
  test.skipIf(!texture)(skipNote(name, texture, why), async () => {
    const d = dispatcher();
    const x = randomPair([M, K]);
    const w = randomPair([K, N]);
    const y1 = gemmRaw(x.t, w.t);
    const before = { ...d.stagedCopies.stats };
    const y2 = gemmRaw(x.t, w.t);
    // Both operands were staged by the first product and read unchanged by the second.
    expect(d.stagedCopies.stats.reused - before.reused).toBe(2);
    expect(d.stagedCopies.stats.staged - before.staged).toBe(0);
    expect(Array.from(await y2.data())).toEqual(Array.from(await y1.data()));
    // An upload into w: the next product stages w again and sees the new values.
    const w2 = randomPair([K, N]);
    d.write(w.t.buffer, Float32Array.from(w2.host));
    const y3 = gemmRaw(x.t, w.t);
    const want = gemmRaw(x.t, w2.t);
    expect(Array.from(await y3.data()), `seeds ${x.seed},${w.seed},${w2.seed}`).toEqual(Array.from(await want.data()));
    // A kernel writing into w (a copy of zeros): the same.
    const zeros = Tensor.fromArray(new Float32Array(K * N), [K, N]);
    d.copy(zeros.buffer, w.t.buffer, K * N * 4);
    const y4 = gemmRaw(x.t, w.t);
    expect(Array.from(await y4.data()).every((v) => v === 0)).toBe(true);
    for (const t of [x.t, w.t, w2.t, y1, y2, y3, want, zeros, y4]) t.dispose();
  });
});
