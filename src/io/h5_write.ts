// Writes Keras 2.3 HDF5 weight files with h5wasm, the layout Keras itself reads back
// (docs/keras-compatibility.md, "Files"): `save_weights` (layer groups at the root) or, with a
// model config, `model.save` (root JSON attributes, model_weights, optimizer_weights). Writes are
// atomic: a temp file in the same folder is written, checked by reading it back, synced and
// renamed over the target, so a failure never leaves a half-written or damaged weights file.
import fs from 'node:fs';
import { resolve } from 'node:path';
import * as hdf5 from 'jsfive';
import type { Group as H5wGroup } from 'h5wasm/node';
import { describeThrown, h5Error, isH5Error } from './h5_error.js';
import { writeAtomicWith } from '../util/atomic_write.js';
import { H5Bytes, MAX_ELEMENTS, nullTermStringTypes } from './h5_low.js';
import { pyJsonDumps } from './py_json.js';
import { ownArrayBuffer, readKerasH5Bytes, type H5Layer, type H5Weight, type KerasWeightsFile } from './h5_read.js';

export interface WriteOptions {
  /** Default '2.3.1' (none with legacyLayout). */
  kerasVersion?: string;
  /** Default 'tensorflow' (none with legacyLayout). */
  backend?: string;
  /** Given (not null): a `model.save` file (root model_config JSON, weights in model_weights). */
  modelConfig?: unknown;
  /** Root training_config JSON, written with a modelConfig. */
  trainingConfig?: unknown;
  /** Written to the optimizer_weights group when non-empty. */
  optimizerWeights?: H5Weight[];
  /** Keras 1 layout (like the VGG16 release files): no keras_version/backend unless given. */
  legacyLayout?: boolean;
}

/** Keras splits a list attribute above this many bytes (the HDF5 object-header limit). */
const ATTR_LIMIT = 64512;
const FIX_INPUT = 'fix the layers passed to writeKerasH5';

type H5wasm = typeof import('h5wasm/node');
let h5wasmModule: Promise<H5wasm> | null = null;

// h5wasm loads a 4 MB WebAssembly HDF5; only writers pay for it, once.
function loadH5wasm(): Promise<H5wasm> {
  h5wasmModule ??= import('h5wasm/node').then(async (m) => {
    await m.ready;
    return m;
  });
  return h5wasmModule;
}

/** Writes `layers` (and options) to `path` atomically; throws one-line `dawnflow: ` Errors. */
export async function writeKerasH5(path: string, layers: H5Layer[], o: WriteOptions = {}): Promise<void> {
  validate(path, layers, o);
  const h5 = await loadH5wasm();
  const target = resolve(path);
  try {
    writeAtomicWith(
      target,
      (tmp) => {
        // Creating the file first turns a missing or read-only folder into a plain fs error, before
        // HDF5 (which would print its own error stack) is involved.
        fs.closeSync(fs.openSync(tmp, 'wx'));
        writeHdf5(h5, tmp, layers, o);
        verify(path, padNamesWithNulls(tmp, layers, o), layers, o);
      },
      { durable: true, fault: 'checkpoint-write' },
    );
  } catch (e) {
    if (isH5Error(e)) throw e;
    throw h5Error(
      path,
      `cannot write the file (${describeThrown(e)})`,
      'check that the folder exists and is writable and that the disk has space',
      e,
    );
  }
}

function writeHdf5(h5: H5wasm, tmp: string, layers: H5Layer[], o: WriteOptions): void {
  // 'earliest' gives the superblock-0 layout that h5py, Keras and jsfive all read.
  const f = new h5.File(tmp, 'w', { libver: ['earliest', 'latest'] });
  if (f.file_id < 0n) throw new Error('HDF5 could not create the file');
  try {
    const versions = versionAttrs(o);
    let top: H5wGroup = f;
    if (isModelFile(o)) {
      for (const [k, v] of versions) setText(f, k, v);
      setText(f, 'model_config', pyJsonDumps(o.modelConfig));
      if (o.trainingConfig != null) {
        setText(f, 'training_config', pyJsonDumps(o.trainingConfig));
      }
      top = f.create_group('model_weights');
    }
    setNames(
      top,
      'layer_names',
      layers.map((l) => l.name),
    );
    // Keras writes backend then keras_version here; at the root of model files the reverse.
    for (const [k, v] of [...versions].reverse()) setText(top, k, v);
    for (const layer of layers) writeWeights(top.create_group(layer.name), layer.weights);
    if (o.optimizerWeights?.length) {
      writeWeights(f.create_group('optimizer_weights'), o.optimizerWeights);
    }
  } finally {
    f.close();
  }
}

/** A model config (null counts as none) makes a `model.save` file. */
function isModelFile(o: WriteOptions): boolean {
  return o.modelConfig !== undefined && o.modelConfig !== null;
}

function versionAttrs(o: WriteOptions): [string, string][] {
  const out: [string, string][] = [];
  const version = o.kerasVersion ?? (o.legacyLayout ? undefined : '2.3.1');
  const backend = o.backend ?? (o.legacyLayout ? undefined : 'tensorflow');
  if (version !== undefined) out.push(['keras_version', version]);
  if (backend !== undefined) out.push(['backend', backend]);
  return out;
}

/** weight_names plus one float32 dataset per weight, at the weight name's nested path. */
function writeWeights(group: H5wGroup, weights: H5Weight[]): void {
  setNames(
    group,
    'weight_names',
    weights.map((w) => w.name),
  );
  const groups = new Map<string, H5wGroup>([['', group]]);
  for (const w of weights) {
    const parts = w.name.split('/');
    let parent = group;
    for (let i = 1; i < parts.length; i++) {
      const key = parts.slice(0, i).join('/');
      let g = groups.get(key);
      if (!g) groups.set(key, (g = parent.create_group(parts[i - 1])));
      parent = g;
    }
    const name = parts[parts.length - 1];
    if (w.dtype === 'int64') {
      // Keras's optimizer `iterations`: an int64 scalar (h5py's '<i8').
      const data = BigInt64Array.from(w.integers ?? w.data, (v) => BigInt(v));
      parent.create_dataset({ name, data, shape: w.shape, dtype: '<q' });
    } else {
      parent.create_dataset({ name, data: w.data, shape: w.shape, dtype: '<f4' });
    }
  }
}

/** A variable-length ASCII string attribute, as h5py stores a Python bytes value. */
function setText(g: H5wGroup, name: string, value: string): void {
  g.create_attribute(name, value, null, 'A');
}

/**
 * A fixed-length string array attribute (h5py's NumPy 'S' arrays), split like Keras into name0,
 * name1, ... when one attribute would pass the object-header limit. An empty list is an empty
 * float64 array, which is what Keras writes for a layer without weights.
 */
function setNames(g: H5wGroup, name: string, values: string[]): void {
  if (values.length === 0) {
    g.create_attribute(name, new Float64Array(0), [0], '<d');
    return;
  }
  const width = Math.max(...values.map((v) => Buffer.byteLength(v)));
  const chunks = splitLikeNumpy(values, width);
  chunks.forEach((chunk, i) => {
    const key = chunks.length === 1 ? name : `${name}${i}`;
    g.create_attribute(key, chunk, [chunk.length], `A${width}`);
  });
}

// np.array_split into the fewest near-equal parts (the first ones one longer) whose bytes fit.
function splitLikeNumpy(values: string[], width: number): string[][] {
  let parts = 1;
  while (Math.ceil(values.length / parts) * width > ATTR_LIMIT) parts++;
  const out: string[][] = [];
  const base = Math.floor(values.length / parts);
  let at = 0;
  for (let i = 0; i < parts; i++) {
    const n = base + (i < values.length % parts ? 1 : 0);
    out.push(values.slice(at, at + n));
    at += n;
  }
  return out;
}

/**
 * Re-types the name lists from null-terminated to null-padded strings (synced by the caller), in
 * the file and in the bytes read from it, which it returns: the file as it now is on disk, for
 * verify() (one read of a large checkpoint instead of two: fresh pages cost ~3 ms per MB on the
 * development VM).
 */
function padNamesWithNulls(tmp: string, layers: H5Layer[], o: WriteOptions): ArrayBuffer {
  const ab = ownArrayBuffer(fs.readFileSync(tmp));
  const bytes = new H5Bytes(ab);
  const root = new hdf5.File(ab, tmp);
  const top = isModelFile(o) ? 'model_weights' : '';
  const paths = [top, ...layers.map((l) => (top ? `${top}/${l.name}` : l.name))];
  if (o.optimizerWeights?.length) paths.push('optimizer_weights');
  const fd = fs.openSync(tmp, 'r+');
  try {
    for (const p of paths) {
      const g = p === '' ? root : root.get(p);
      if (!(g instanceof hdf5.Group)) throw new Error(`group /${p} missing after writing`);
      for (const at of nullTermStringTypes(bytes, g._dataobjects.msgs)) {
        const padded = (bytes.u8[at] & 0xf0) | 1;
        fs.writeSync(fd, Uint8Array.of(padded), 0, 1, at);
        bytes.u8[at] = padded;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return ab;
}

/** Reads the written file's bytes with the independent reader: every name, shape and bit must match. */
function verify(path: string, written: ArrayBuffer, layers: H5Layer[], o: WriteOptions): void {
  let back: KerasWeightsFile;
  try {
    back = readKerasH5Bytes(written, path);
  } catch (e) {
    throw h5Error(
      path,
      `the written file does not read back (${describeThrown(e)})`,
      'report this as a dawnflow bug',
      e,
    );
  }
  const problem =
    compareLayers(layers, back.layers) ??
    compareWeights('optimizer_weights', o.optimizerWeights ?? [], back.optimizerWeights) ??
    (isModelFile(o) !== (back.modelConfig !== null) ? 'model_config' : null);
  if (problem) {
    const what = `the written file reads back different (${problem})`;
    throw h5Error(path, what, 'report this as a dawnflow bug');
  }
}

function compareLayers(want: H5Layer[], got: H5Layer[]): string | null {
  if (want.length !== got.length) return 'layer count';
  for (let i = 0; i < want.length; i++) {
    if (want[i].name !== got[i].name) return `layer ${i} name`;
    const p = compareWeights(want[i].name, want[i].weights, got[i].weights);
    if (p) return p;
  }
  return null;
}

function compareWeights(where: string, want: H5Weight[], got: H5Weight[]): string | null {
  if (want.length !== got.length) return `${where}: weight count`;
  for (let j = 0; j < want.length; j++) {
    const [a, b] = [want[j], got[j]];
    if (a.name !== b.name || a.shape.join() !== b.shape.join()) return `${where}: weight ${j}`;
    if ((a.dtype ?? 'float32') !== (b.dtype ?? 'float32')) return `${where}: type of '${a.name}'`;
    const exact = (w: H5Weight) => (w.integers ?? new Float64Array(0)).join();
    if (a.dtype === 'int64' && exact(a) !== exact(b)) return `${where}: values of '${a.name}'`;
    const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
    if (Buffer.compare(x, y) !== 0) return `${where}: data of '${a.name}'`;
  }
  return null;
}

// Everything is checked before the disk is touched, so bad input never costs an existing file.
function validate(path: string, layers: H5Layer[], o: WriteOptions): void {
  const fail = (what: string): never => {
    throw h5Error(path, what, FIX_INPUT);
  };
  if (!Array.isArray(layers)) fail('layers is not an array');
  const names = new Set<string>();
  layers.forEach((l, i) => {
    const where = `layer ${i}`;
    const bad = typeof l?.name !== 'string' || !/^[^/\0]+$/.test(l.name) || /^\.\.?$/.test(l.name);
    if (bad) {
      fail(`${where} has an invalid name ${JSON.stringify(l?.name)} (non-empty, no '/')`);
    }
    if (names.has(l.name)) fail(`two layers are named '${l.name}'`);
    names.add(l.name);
    if (!Array.isArray(l.weights)) fail(`layer '${l.name}' has no weights array`);
    validateWeights(`layer '${l.name}'`, l.weights, fail);
  });
  if (o.optimizerWeights !== undefined) {
    validateWeights('optimizer_weights', o.optimizerWeights, fail);
  }
  if (o.optimizerWeights?.length && !isModelFile(o) && names.has('optimizer_weights')) {
    fail("a layer named 'optimizer_weights' clashes with the optimizer_weights group");
  }
  for (const [k, v] of [
    ['kerasVersion', o.kerasVersion],
    ['backend', o.backend],
  ] as const) {
    if (v !== undefined && (typeof v !== 'string' || !/^[\x20-\x7e]*$/.test(v))) {
      fail(`${k} must be ASCII text`);
    }
  }
  const configs = [
    ['modelConfig', o.modelConfig],
    ['trainingConfig', o.trainingConfig],
  ] as const;
  for (const [k, v] of configs) {
    if (v === undefined) continue;
    try {
      pyJsonDumps(v);
    } catch (e) {
      fail(`${k} cannot be serialized to JSON (${describeThrown(e)})`);
    }
  }
}

function validateWeights(where: string, weights: H5Weight[], fail: (what: string) => never): void {
  const datasets = new Set<string>();
  const groups = new Set<string>();
  for (const w of weights) {
    const parts = typeof w?.name === 'string' ? w.name.split('/') : [''];
    if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0'))) {
      fail(`${where} has an invalid weight name ${JSON.stringify(w?.name)}`);
    }
    if (Buffer.byteLength(w.name) > ATTR_LIMIT) {
      fail(`${where}: weight name longer than ${ATTR_LIMIT} bytes`);
    }
    if (datasets.has(w.name) || groups.has(w.name)) fail(`${where} has two weights at '${w.name}'`);
    for (let i = 1; i < parts.length; i++) {
      const g = parts.slice(0, i).join('/');
      if (datasets.has(g)) fail(`${where}: '${w.name}' would sit inside the weight '${g}'`);
      groups.add(g);
    }
    datasets.add(w.name);
    validateShape(`${where} weight '${w.name}'`, w, fail);
  }
}

function validateShape(where: string, w: H5Weight, fail: (what: string) => never): void {
  if (!(w.data instanceof Float32Array)) fail(`${where}: data is not a Float32Array`);
  validateType(where, w, fail);
  const ok = Array.isArray(w.shape) && w.shape.every((d) => Number.isSafeInteger(d) && d >= 0);
  if (!ok) fail(`${where}: shape ${JSON.stringify(w.shape)} is not a list of sizes`);
  const count = w.shape.reduce((a, b) => a * b, 1);
  if (count > MAX_ELEMENTS) fail(`${where}: shape [${w.shape}] has over 2^31 elements`);
  if (count !== w.data.length) {
    fail(`${where}: shape [${w.shape}] needs ${count} values but data has ${w.data.length}`);
  }
}

/** float32 (the default) or int64 (Keras's iterations), whose values must be whole numbers. */
function validateType(where: string, w: H5Weight, fail: (what: string) => never): void {
  if (w.dtype === undefined || w.dtype === 'float32') return;
  if (w.dtype !== 'int64') fail(`${where}: dtype ${JSON.stringify(w.dtype)} is not float32 or int64`);
  const values = w.integers ?? w.data;
  if (values.length !== w.data.length || !values.every((v) => Number.isSafeInteger(v))) {
    fail(`${where}: int64 values must be whole numbers, one per element`);
  }
}
