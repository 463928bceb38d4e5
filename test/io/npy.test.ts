// .npy round trips, NumPy's exact header layout, atomic writes and one-line errors.
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { npyHeader, readNpy, writeNpy } from '../../src/io/npy.js';

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'dawnflow-npy-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('float32 and int32 arrays of any rank round-trip', () => {
  const cases: [Float32Array | Int32Array, number[]][] = [
    [Float32Array.from([0.5, -1, 3.25, Math.fround(1 / 3), -0, Infinity]), [2, 3]],
    [Int32Array.from([1, -2, 2147483647, -2147483648, 0]), [5]],
    [Float32Array.from([42]), []],
    [new Float32Array(0), [0, 4]],
    [Int32Array.from({ length: 24 }, (_, i) => i * 7), [2, 3, 4]],
  ];
  cases.forEach(([data, shape], i) => {
    const path = join(dir, `a${i}.npy`);
    writeNpy(path, data, shape);
    const back = readNpy(path);
    expect(back.shape).toEqual(shape);
    expect(back.dtype).toBe(data instanceof Float32Array ? 'float32' : 'int32');
    expect(Array.from(back.data)).toEqual(Array.from(data));
    expect(back.data.constructor).toBe(data.constructor);
  });
});

test("the header is NumPy 1.24's np.save header, byte for byte", () => {
  // np.save(f, np.zeros((2, 3), np.float32)), NumPy 1.24: dict, 20 spare spaces for the first
  // axis (21 digits minus len('2')), then padding to 128 bytes and '\n'.
  const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const text = `${dict + ' '.repeat(128 - 10 - dict.length - 1)}\n`;
  const want = Buffer.concat([
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]),
    Buffer.from(text, 'latin1'),
  ]);
  expect(npyHeader('<f4', [2, 3])).toEqual(want);
  expect(npyHeader('<i4', [7]).toString('latin1')).toContain(
    "'descr': '<i4', 'fortran_order': False, 'shape': (7,), }",
  );
  expect(npyHeader('<f4', []).toString('latin1')).toContain("'shape': (), }");
  for (const shape of [[], [1], [2000, 4, 4, 512], [123456789, 1]]) {
    const h = npyHeader('<f4', shape);
    expect(h.length % 64).toBe(0);
    expect(h[h.length - 1]).toBe(0x0a);
    expect(h.readUInt16LE(8)).toBe(h.length - 10);
  }
});

test('writes replace the target atomically and leave no temporary files', () => {
  const path = join(dir, 'features.npy');
  writeNpy(path, Float32Array.from([1, 2]), [2]);
  writeNpy(path, Float32Array.from([3, 4, 5]), [3]);
  expect(Array.from(readNpy(path).data)).toEqual([3, 4, 5]);
  expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  expect(() => writeNpy(join(dir, 'no', 'such', 'x.npy'), Float32Array.from([1]), [1])).toThrow(
    /^dawnflow: .*x\.npy: cannot write \(ENOENT\); check that the folder exists/,
  );
});

test('reads big-endian arrays and version 2.0 headers', () => {
  const dict = "{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }";
  const text = `${dict + ' '.repeat(128 - 12 - dict.length - 1)}\n`;
  const head = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, text.length, 0, 0, 0]);
  const data = Buffer.from([0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe]);
  const path = join(dir, 'v2.npy');
  fs.writeFileSync(path, Buffer.concat([head, Buffer.from(text, 'latin1'), data]));
  expect(readNpy(path)).toEqual({ dtype: 'int32', shape: [2], data: Int32Array.from([258, -2]) });
});

test('bad files and bad arguments are one-line errors naming the file', () => {
  const bad = (name: string, bytes: Buffer | string) => {
    fs.writeFileSync(join(dir, name), bytes);
    try {
      readNpy(join(dir, name));
    } catch (e) {
      const m = (e as Error).message;
      expect(m).not.toContain('\n');
      expect(m).toContain(`${name}: `);
      return m;
    }
    return '';
  };
  writeNpy(join(dir, 'g.npy'), Float32Array.from([1, 2, 3]), [3]);
  const good = fs.readFileSync(join(dir, 'g.npy'));
  expect(bad('text.npy', 'hello')).toMatch(/not a \.npy file/);
  expect(bad('cut.npy', good.subarray(0, good.length - 1))).toMatch(
    /truncated: shape \(3\) needs 12 data bytes, found 11/,
  );
  expect(bad('long.npy', Buffer.concat([good, Buffer.alloc(4)]))).toMatch(/has extra bytes/);
  expect(bad('f8.npy', Buffer.from(good.toString('latin1').replace('<f4', '<f8'), 'latin1'))).toMatch(
    /dtype '<f8' is not supported; save float32 or int32/,
  );
  expect(bad('fort.npy', Buffer.from(good.toString('latin1').replace('False', 'True '), 'latin1'))).toMatch(
    /Fortran-ordered arrays are not supported/,
  );
  expect(() => readNpy(join(dir, 'missing.npy'))).toThrow(/missing\.npy: cannot read \(ENOENT\)/);
  const x = join(dir, 'x.npy');
  expect(() => writeNpy(x, Float32Array.from([1, 2]), [3])).toThrow(/shape \[3\] holds 3 values but/);
  expect(() => writeNpy(x, Float32Array.from([1]), [-1])).toThrow(/bad shape \[-1\]/);
});
