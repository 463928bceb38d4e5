// What writeKerasH5 puts in a file beyond float32 weights: model_config / training_config as
// Python's json.dumps writes them (checked against outputs of CPython 3.11's repr and
// json.dumps), and int64 datasets (Keras's optimizer `iterations`), exact past 2^24.
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as hdf5 from 'jsfive';
import { afterAll, describe, expect, test } from 'vitest';
import { readKerasH5 } from '../../src/io/h5_read.js';
import { writeKerasH5 } from '../../src/io/h5_write.js';
import { pyFloat, pyJsonDumps } from '../../src/io/py_json.js';

const dir = fs.mkdtempSync(join(os.tmpdir(), 'dawnflow-h5-json-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// [value, Python's repr(value)], printed by /usr/bin/python3 (3.11).
const REPRS: [number, string][] = [
  [1, '1.0'],
  [0.5, '0.5'],
  [1e-7, '1e-07'],
  [1e-5, '1e-05'],
  [1e-4, '0.0001'],
  [1e15, '1000000000000000.0'],
  [1e16, '1e+16'],
  [123456789012345680, '1.2345678901234568e+17'],
  [1.5e300, '1.5e+300'],
  [-2.5e-10, '-2.5e-10'],
  [0.1, '0.1'],
  [2 ** 60, '1.152921504606847e+18'],
  [1 / 3, '0.3333333333333333'],
  [-0, '-0.0'],
  [5e-324, '5e-324'],
  [1.7976931348623157e308, '1.7976931348623157e+308'],
  [Math.fround(1e-5), '9.999999747378752e-06'],
  [100, '100.0'],
  [12345.678, '12345.678'],
  [Math.fround(2e-4), '0.00019999999494757503'],
  [Math.fround(0.9), '0.8999999761581421'],
  [NaN, 'NaN'],
  [-Infinity, '-Infinity'],
];

describe("Python's json.dumps", () => {
  test.each(REPRS)('float %s is written as repr writes it', (x, want) => {
    expect(pyFloat(x)).toBe(want);
  });

  test('separators, key order, ints, floats by key, escapes', () => {
    const value = { a: [1, 2, { b: null, c: true }], d: 'x\u00e9\u{1F600}\x7f\x01"\\/', rate: 0, scale: [1, 2], e: {} };
    // json.dumps of the same dict in CPython 3.11 (rate 0.0 and scale [1.0, 2.0] being floats there).
    expect(pyJsonDumps(value)).toBe(
      '{"a": [1, 2, {"b": null, "c": true}], ' +
        '"d": "x\\u00e9\\ud83d\\ude00\\u007f\\u0001\\"\\\\/", "rate": 0.0, "scale": [1.0, 2.0], "e": {}}',
    );
  });

  test('the configs are stored as that text', async () => {
    const path = join(dir, 'configs.h5');
    const config = { learning_rate: Math.fround(1e-5), decay: 0 };
    const trainingConfig = { optimizer_config: { class_name: 'Adam', config } };
    await writeKerasH5(path, [], { modelConfig: { class_name: 'Sequential', config: { layers: [] } }, trainingConfig });
    const b = fs.readFileSync(path);
    const attrs = new hdf5.File(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, path).attrs;
    expect(attrs.model_config).toBe('{"class_name": "Sequential", "config": {"layers": []}}');
    expect(attrs.training_config).toBe(
      '{"optimizer_config": {"class_name": "Adam", ' +
        '"config": {"learning_rate": 9.999999747378752e-06, "decay": 0.0}}}',
    );
  });
});

describe('int64 datasets', () => {
  test('are written as int64 and read back exactly, past float32 precision', async () => {
    const path = join(dir, 'int64.h5');
    const big = 2 ** 40 + 3;
    const it = {
      name: 'Adam/iterations:0',
      shape: [],
      data: Float32Array.of(big),
      dtype: 'int64',
      integers: Float64Array.of(big),
    };
    await writeKerasH5(path, [], { modelConfig: { class_name: 'Sequential', config: {} }, optimizerWeights: [it] });
    const [back] = readKerasH5(path).optimizerWeights;
    expect([back.name, back.shape, back.dtype, back.integers]).toEqual([
      'Adam/iterations:0',
      [],
      'int64',
      Float64Array.of(big),
    ]);
  });

  test('other types and fractional int64 values are refused before writing', async () => {
    const path = join(dir, 'refused.h5');
    const weight = { name: 'i:0', shape: [], data: Float32Array.of(2.5) };
    const write = (w: object) => writeKerasH5(path, [], { optimizerWeights: [{ ...weight, ...w }] });
    await expect(write({ dtype: 'int32' })).rejects.toThrow(/dtype "int32" is not float32 or int64; fix the layers/);
    await expect(write({ dtype: 'int64' })).rejects.toThrow(/int64 values must be whole numbers/);
    expect(fs.existsSync(path)).toBe(false);
  });
});
