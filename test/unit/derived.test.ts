// The kept transforms of src/kernels/derived.ts: a transform is served again only while its
// source buffer has seen no write (a launch writing it, a copy into it, an upload), a trained
// weight never keeps one, and clearDerived gives every kept one back.
import { expect, test } from 'vitest';
import { dispatcher } from '../../src/gpu/engine.js';
import { clearDerived, derived, derivedBytes } from '../../src/kernels/derived.js';
import { tidy } from '../../src/tensor/scope.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { unaryKernel, unaryRaw } from '../../src/kernels/elementwise.js';
import { useGpu } from '../helpers/gpu.js';

useGpu();

/** A transform that counts its calls: 2 * source. */
function doubler() {
  const calls = { n: 0 };
  const make = (src: Tensor) => () => {
    calls.n++;
    return unaryRaw('scale', src, 2);
  };
  return { calls, make };
}

async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

test('an unchanged source keeps its transform after two calls in a row', async () => {
  const w = Tensor.fromArray(new Float32Array([1, 2, 3, 4]), [4]);
  const { calls, make } = doubler();
  const first = derived(w, 'x2', make(w));
  expect(first.owned).toBe(true);
  first.tensor.dispose();
  const second = derived(w, 'x2', make(w));
  expect(second.owned).toBe(false);
  const third = derived(w, 'x2', make(w));
  expect(third.tensor).toBe(second.tensor);
  expect(calls.n).toBe(2);
  expect(await values(third.tensor)).toEqual([2, 4, 6, 8]);
  expect(derivedBytes()).toBe(16);
  clearDerived();
  expect(derivedBytes()).toBe(0);
  w.dispose();
});

test('a write into the source is seen, whichever way it comes', async () => {
  const w = Tensor.fromArray(new Float32Array([1, 2, 3, 4]), [4]);
  const other = Tensor.fromArray(new Float32Array([5, 6, 7, 8]), [4]);
  const { make } = doubler();
  for (let i = 0; i < 2; i++) {
    const r = derived(w, 'x2', make(w));
    if (r.owned) r.tensor.dispose();
  }
  // An upload, a copy and a kernel writing the buffer each make the kept value stale.
  const writes: [string, () => void, number[]][] = [
    ['upload', () => dispatcher().write(w.buffer, new Float32Array([9, 9, 9, 9])), [18, 18, 18, 18]],
    ['copy', () => dispatcher().copy(other.buffer, w.buffer, 16), [10, 12, 14, 16]],
    [
      'kernel',
      () => dispatcher().launch(unaryKernel, { op: 'scale', n: 4, alpha: -1 }, [other.buffer, w.buffer]),
      [-10, -12, -14, -16],
    ],
  ];
  for (const [what, write, want] of writes) {
    write();
    const r = derived(w, 'x2', make(w));
    expect(r.owned, what).toBe(true);
    expect(await values(r.tensor), what).toEqual(want);
    r.tensor.dispose();
  }
  clearDerived();
  w.dispose();
  other.dispose();
});

test('a source written between every call never keeps a transform', async () => {
  const w = Tensor.fromArray(new Float32Array([1, 2]), [2]);
  const { calls, make } = doubler();
  for (let step = 0; step < 4; step++) {
    const r = derived(w, 'x2', make(w));
    expect(r.owned).toBe(true);
    expect(await values(r.tensor)).toEqual([2 * (step + 1), 4 * (step + 1)]);
    r.tensor.dispose();
    dispatcher().write(w.buffer, new Float32Array([step + 2, 2 * (step + 2)]));
  }
  expect(calls.n).toBe(4);
  expect(derivedBytes()).toBe(0);
  w.dispose();
});

test('kinds are kept apart', async () => {
  const w = Tensor.fromArray(new Float32Array([1, 2]), [2]);
  for (let i = 0; i < 2; i++) {
    for (const [kind, k] of [
      ['a', 2],
      ['b', 3],
    ] as const) {
      const r = derived(w, kind, () => unaryRaw('scale', w, k));
      if (r.owned) r.tensor.dispose();
    }
  }
  expect(await values(derived(w, 'a', () => unaryRaw('scale', w, 0)).tensor)).toEqual([2, 4]);
  expect(await values(derived(w, 'b', () => unaryRaw('scale', w, 0)).tensor)).toEqual([3, 6]);
  clearDerived();
  w.dispose();
});

test('a kept transform outlives the tidy() scope that made it', async () => {
  const w = Tensor.fromArray(new Float32Array([1, 2]), [2]);
  const call = () => tidy(() => derived(w, 'x2', () => unaryRaw('scale', w, 2)).tensor.size);
  call();
  call();
  const kept = derived(w, 'x2', () => unaryRaw('scale', w, 0));
  expect(kept.owned).toBe(false);
  expect(await values(kept.tensor)).toEqual([2, 4]);
  clearDerived();
  expect(kept.tensor.disposed).toBe(true);
  w.dispose();
});

test("a disposed weight's transform is given back at the next lookup", async () => {
  const w = Tensor.fromArray(new Float32Array([1, 2]), [2]);
  const other = Tensor.fromArray(new Float32Array([3, 4]), [2]);
  for (let i = 0; i < 2; i++) derived(w, 'x2', () => unaryRaw('scale', w, 2));
  expect(derivedBytes()).toBe(8);
  w.dispose();
  const r = derived(other, 'x2', () => unaryRaw('scale', other, 2));
  expect(derivedBytes()).toBe(0);
  r.tensor.dispose();
  other.dispose();
});
