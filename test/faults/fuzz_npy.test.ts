// Fault injection on .npy files (the cached conv-base features and labels): written by
// dawnflow's own writer, then cut, flipped and given headers with other versions, dtypes,
// shapes, orders and header lengths. Each must read back as an array whose length matches its
// shape, or be refused in one `dawnflow: <file>: ...` line; changing only the header's
// padding must read back the very same array.
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readNpy, writeNpy, type NpyArray } from '../../src/io/npy.js';
import {
  caseSeed,
  clipTail,
  concat,
  flips,
  FuzzReport,
  fuzzSeed,
  insert,
  keepCase,
  onlyCase,
  Rand,
  remove,
  runBounded,
  sameBytes,
  smear,
  truncate,
  type Mutation,
  type Outcome,
  type Verdict,
} from './fuzz_helpers.js';
import { setting } from '../../src/util/settings.js';

const CASES = setting('DAWNFLOW_FUZZ_NPY_CASES');

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'dawnflow-fuzz-npy-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Base {
  name: string;
  bytes: Uint8Array;
  want: NpyArray;
}

function bases(r: Rand): Base[] {
  const shapes = [[7], [3, 4], [2, 3, 5], [0, 4], [], [1, 1, 1, 6]];
  return shapes.flatMap((shape, i) =>
    [Float32Array, Int32Array].map((T) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const data =
        T === Float32Array
          ? Float32Array.from({ length: n }, () => r.float() * 2 - 1)
          : Int32Array.from({ length: n }, () => r.int(2 ** 31) - 2 ** 30);
      const path = join(dir, `base-${i}-${T.name}.npy`);
      writeNpy(path, data, shape);
      const bytes = new Uint8Array(fs.readFileSync(path));
      return { name: `${T.name} [${shape}]`, bytes, want: readNpy(path) };
    }),
  );
}

/** The header dict's text and where the data starts (version 1.0 files, as written). */
function header(b: Uint8Array): { text: string; start: number } {
  const len = b[8] | (b[9] << 8);
  return { text: Buffer.from(b.subarray(10, 10 + len)).toString('latin1'), start: 10 + len };
}

/** Rebuilds a 1.0 file with another header text (lengths fixed up, data kept). */
function withHeader(b: Uint8Array, text: string): Uint8Array {
  const head = Buffer.alloc(10);
  head.set(b.subarray(0, 8));
  head.writeUInt16LE(Math.min(text.length, 0xffff), 8);
  return concat(head, Buffer.from(text, 'latin1'), b.subarray(header(b).start));
}

const DESCRS = ['<f8', '|u1', '>f4', '<i8', 'O', '<U3', ''];
const SHAPES = ['', '-1,', '1099511627776,', '2147483648, 2', '99999999999999999999,', '3, 4, 5', 'a, b', '1e3,'];

const HEADER_EDITS: [string, (t: string, r: Rand) => string][] = [
  ['descr', (t, r) => t.replace(/'descr': '[^']*'/, `'descr': '${r.pick(DESCRS)}'`)],
  ['shape', (t, r) => t.replace(/'shape': \([^)]*\)/, `'shape': (${r.pick(SHAPES)})`)],
  ['fortran order', (t) => t.replace('False', 'True')],
  ['no shape', (t) => t.replace(/'shape'/, "'shap'")],
  ['padding', (t, r) => t.replace(/ +\n$/, `${' '.repeat(r.range(1, 40))}\n`)],
];

const GENERIC: [string, Mutation][] = [
  ['truncate', truncate],
  ['clip tail', clipTail],
  ['flip 1 byte', flips(1)],
  ['flip up to 8', flips(8)],
  ['smear', smear],
  ['insert', insert],
  ['delete', remove],
  ['version', (b, r) => Object.assign(b.slice(), { 6: r.pick([0, 2, 3, 4, 255]) })],
  ['header length', (b, r) => Object.assign(b.slice(), { 8: r.int(256), 9: r.pick([0, 0xff]) })],
];

function mutate(base: Base, r: Rand): { kind: string; bytes: Uint8Array } {
  if (r.chance(0.5)) {
    const [kind, m] = r.pick(GENERIC);
    return { kind, bytes: m(base.bytes, r) };
  }
  const [kind, edit] = r.pick(HEADER_EDITS);
  return { kind: `header ${kind}`, bytes: withHeader(base.bytes, edit(header(base.bytes).text, r)) };
}

function judge(o: Outcome<NpyArray>, base: Base, kind: string): Verdict {
  if (o.kind === 'error' && kind === 'header padding') {
    return { problem: `a padding change was refused: ${(o.error as Error).message}` };
  }
  if (o.kind !== 'ok') return {};
  const a = o.value;
  const n = a.shape.reduce((x, y) => x * y, 1);
  if (a.data.length !== n) return { problem: `${a.data.length} values for shape (${a.shape})` };
  const same =
    a.dtype === base.want.dtype && a.shape.join() === base.want.shape.join() && sameBytes(a.data, base.want.data);
  if (kind === 'header padding' && !same) return { problem: 'a padding change changed the array' };
  return { same };
}

test('every mutated .npy file reads back whole or is refused in one line', () => {
  const seed = fuzzSeed('fuzz_npy');
  const all = bases(new Rand(seed));
  const report = new FuzzReport('fuzz_npy', seed, 200);
  const only = onlyCase();
  const t0 = performance.now();
  for (let i = 0; i < CASES; i++) {
    if (only !== null && i !== only) continue;
    const base = all[i % all.length];
    const { kind, bytes } = mutate(base, new Rand(caseSeed(seed, i)));
    const file = join(dir, `case ${i % 3}.npy`);
    fs.writeFileSync(file, bytes);
    keepCase(file);
    const o = runBounded(2000, () => readNpy(file));
    report.record({ index: i, kind, base: base.name }, file, o, judge(o, base, kind));
  }
  console.log(report.summary((performance.now() - t0) / 1000));
  expect(report.failures.slice(0, 25)).toEqual([]);
  if (only !== null) return;
  expect(report.refused).toBeGreaterThan(CASES / 4);
  expect(report.loadedSame).toBeGreaterThan(CASES / 20);
});
