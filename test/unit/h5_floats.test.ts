// Float32 datasets as the HDF5 reader decodes them (src/io/h5_values.ts): at a 4-byte aligned
// offset a view of the file's bytes (a model file is mostly such data; a copy of it cost fresh
// pages), elsewhere a copy; the same values either way, and big-endian or float64 converted.
import { describe, expect, test } from 'vitest';
import { H5Bytes } from '../../src/io/h5_bytes.js';
import { decodeValues } from '../../src/io/h5_values.js';

const F32LE = { kind: 'float', bytes: 4, littleEndian: true } as const;

/** `values` as little-endian float32 at byte `at` of a buffer with room after them. */
function fileWith(values: number[], at: number): H5Bytes {
  const buf = new ArrayBuffer(at + 4 * values.length + 8);
  const dv = new DataView(buf);
  values.forEach((v, i) => dv.setFloat32(at + 4 * i, v, true));
  return new H5Bytes(buf);
}

describe('float32 datasets', () => {
  const values = [1.5, -2.25, 3e-8, 65504, -0];

  test('aligned: a view of the file bytes, not a copy', () => {
    const b = fileWith(values, 16);
    const { data } = decodeValues(b, 16, values.length, F32LE);
    expect(Array.from(data)).toEqual(values.map((v) => Math.fround(v)));
    expect(data.buffer).toBe(b.buffer);
    expect(data.byteOffset).toBe(16);
  });

  test('unaligned: a copy with the same values', () => {
    const b = fileWith(values, 13);
    const { data } = decodeValues(b, 13, values.length, F32LE);
    expect(Array.from(data)).toEqual(values.map((v) => Math.fround(v)));
    expect(data.buffer).not.toBe(b.buffer);
    expect(data.byteOffset).toBe(0);
  });

  test('big-endian float32 and float64 are converted into a new array', () => {
    const buf = new ArrayBuffer(64);
    const dv = new DataView(buf);
    values.forEach((v, i) => dv.setFloat32(4 * i, v, false));
    const be = decodeValues(new H5Bytes(buf), 0, values.length, { kind: 'float', bytes: 4, littleEndian: false });
    expect(Array.from(be.data)).toEqual(values.map((v) => Math.fround(v)));
    values.forEach((v, i) => dv.setFloat64(8 * i, v, true));
    const f64 = decodeValues(new H5Bytes(buf), 0, values.length, { kind: 'float', bytes: 8, littleEndian: true });
    expect(Array.from(f64.data)).toEqual(values.map((v) => Math.fround(v)));
  });
});
