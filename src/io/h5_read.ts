// Reads Keras HDF5 weight files (Keras 1 and 2 `save_weights`, and `model.save` files) with
// jsfive, model-agnostically: layers in file order, each with its named float32 weights, and
// the optimizer's state (any numeric type: Keras stores `iterations` as int64).
// Layouts: docs/keras-compatibility.md, "Files". Every structure jsfive would trust
// is bounded first (h5_low), the whole parse runs under a deadline (deadline.ts), and every
// failure is one line: `dawnflow: <file>: <what is wrong>; <the fix>`.
import fs from 'node:fs';
import * as hdf5 from 'jsfive';
import { runWithDeadline } from './deadline.js';
import { describeThrown, FIX_REDOWNLOAD, h5Error, isH5Error } from './h5_error.js';
import { libraryReason } from '../util/errors.js';
import {
  checkAttributes,
  checkSuperblock,
  describeDataset,
  dtypeName,
  H5Bytes,
  H5Problem,
  hasDenseAttributes,
  MAX_ELEMENTS,
  MSG,
  readStored,
  type DatasetInfo,
  type Decoded,
} from './h5_low.js';
import { fromJsValues } from './h5_values.js';
import { checkChunks, checkObjectHeader, checkSymbolTable } from './h5_structure.js';
import { quietly } from '../util/quietly.js';

/** One weight; name as listed in weight_names, e.g. 'block1_conv1_W_1:0' or 'dense_1/kernel:0'. */
export interface H5Weight {
  name: string;
  shape: number[];
  /** The values as float32, whatever the stored type. */
  data: Float32Array;
  /** The stored type in NumPy's words when it is not float32: 'int64' (Keras's iterations). */
  dtype?: string;
  /** The exact values of an integer or bool dataset (float32 is exact only up to 2^24). */
  integers?: Float64Array;
}

/** One entry of layer_names, in file order; weightless layers have `weights: []`. */
export interface H5Layer {
  name: string;
  weights: H5Weight[];
}

export interface KerasWeightsFile {
  path: string;
  /** keras_version of the root (or model_weights); null when absent, as in Keras 1 files. */
  kerasVersion: string | null;
  backend: string | null;
  layers: H5Layer[];
  /** Parsed JSON of the root attribute model_config (model.save files), else null. */
  modelConfig: unknown | null;
  trainingConfig: unknown | null;
  /** Datasets of the optimizer_weights group in weight_names order (any numeric type); [] when absent. */
  optimizerWeights: H5Weight[];
}

/** Larger files are refused: a Buffer this size is the most Node reads comfortably at once. */
export const MAX_FILE_BYTES = 2 ** 31;

/**
 * Reads a Keras weights or model file; throws a one-line `dawnflow: ` Error on any problem. Each
 * weight's data is an array of its own (its `.buffer` holds just its values).
 */
export function readKerasH5(path: string): KerasWeightsFile {
  return ownArrays(readKerasH5Shared(path));
}

/**
 * readKerasH5 for callers that only read the values before dropping the file: float32 data at
 * aligned offsets stays a view of the file's bytes (h5_values.ts decodeFloats), so mind
 * byteOffset. No copy of a 122 MB checkpoint, whose fresh pages cost ~3 ms per MB on the
 * development VM.
 */
export function readKerasH5Shared(path: string): KerasWeightsFile {
  return withFile(path, (h) => readKeras(h, path));
}

/** readKerasH5Shared on a file's bytes already in memory (`path` names it in messages). */
export function readKerasH5Bytes(buffer: ArrayBuffer, path: string): KerasWeightsFile {
  return withBytes(path, buffer, (h) => readKeras(h, path));
}

/** The weight with its data in an array of its own where it was a view of the file's bytes. */
export function ownWeight(w: H5Weight): H5Weight {
  return w.data.byteLength === w.data.buffer.byteLength ? w : { ...w, data: w.data.slice() };
}

/** The file with every view of its bytes copied into an array of its own. */
function ownArrays(f: KerasWeightsFile): KerasWeightsFile {
  return {
    ...f,
    layers: f.layers.map((l) => ({ ...l, weights: l.weights.map(ownWeight) })),
    optimizerWeights: f.optimizerWeights.map(ownWeight),
  };
}

/** A numeric dataset, converted to float32 (dtype and integers as in H5Weight). */
export type H5Dataset = Omit<H5Weight, 'name'>;

/** Numeric datasets by absolute path (e.g. '/inputs/dense_1_input'), with readKerasH5's checks. */
export function readDatasets(path: string, names: string[]): Record<string, H5Dataset> {
  return withFile(path, (h) => {
    const out: Record<string, H5Dataset> = {};
    for (const name of names) {
      const { name: _, ...dataset } = readWeight(h, h.root, '', name, { listed: false, numeric: true });
      out[name] = dataset;
    }
    return out;
  });
}

/** An open file: its name for messages, its bytes, and jsfive's root group. */
interface Opened {
  file: string;
  bytes: H5Bytes;
  root: hdf5.Group;
  /** Object headers already checked (checkObject), by file offset. */
  checked: Set<number>;
}

function withFile<T>(file: string, body: (h: Opened) => T): T {
  return withBytes(file, readBounded(file), body);
}

function withBytes<T>(file: string, buffer: ArrayBuffer, body: (h: Opened) => T): T {
  return runWithDeadline(file, deadlineMs(buffer.byteLength), () => {
    try {
      const bytes = new H5Bytes(buffer);
      checkSuperblock(bytes);
      const h = { file, bytes, root: new hdf5.File(buffer, file), checked: new Set<number>() };
      checkObject(h, h.root);
      return body(h);
    } catch (e) {
      throw toH5Error(file, e);
    }
  });
}

function readBounded(file: string): ArrayBuffer {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw h5Error(file, 'no such file', 'check the path', e);
    const what = `cannot read the file (${code ?? describeThrown(e)})`;
    throw h5Error(file, what, 'check its permissions', e);
  }
  if (!stat.isFile()) throw h5Error(file, 'not a regular file', 'pass the path of an .h5 file');
  if (stat.size === 0) throw h5Error(file, 'empty file (0 bytes)', FIX_REDOWNLOAD);
  if (stat.size > MAX_FILE_BYTES) {
    const gib = (stat.size / 2 ** 30).toFixed(2);
    throw h5Error(
      file,
      `file is ${gib} GiB, over the 2 GiB limit of the HDF5 reader`,
      'save only the weights needed (model.save_weights) or split the file',
    );
  }
  return ownArrayBuffer(fs.readFileSync(file));
}

/**
 * The ArrayBuffer of a file read whole, as jsfive needs it: the Buffer's own where it has one (a
 * large file's), a copy where the Buffer is a slice of Node's shared pool (a small file's).
 */
export function ownArrayBuffer(buf: Buffer): ArrayBuffer {
  if (buf.byteOffset === 0 && buf.buffer.byteLength === buf.byteLength) return buf.buffer as ArrayBuffer;
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

// Generous for a sound file (parsing is a small part of the reading time), short enough that a
// damaged one fails within seconds.
function deadlineMs(bytes: number): number {
  return 2000 + 20 * Math.ceil(bytes / 2 ** 20);
}

function toH5Error(file: string, e: unknown): Error {
  if (isH5Error(e)) return e;
  if (e instanceof H5Problem) {
    const fix =
      e.kind === 'unsupported' ? 're-save it with h5py/Keras defaults (contiguous float32 datasets)' : FIX_REDOWNLOAD;
    return h5Error(file, e.message, fix, e);
  }
  // jsfive's own checks fail as engine errors too (its assert() calls the falsy value: "thing
  // is not a function"), so only its plain messages are shown; the rest stays in the cause.
  return h5Error(file, `corrupt HDF5 structure (${libraryReason('jsfive', e)})`, FIX_REDOWNLOAD, e);
}

function readKeras(h: Opened, path: string): KerasWeightsFile {
  const rootAttrs = attrsOf(h, h.root, '/');
  let top = h.root;
  let topAttrs = rootAttrs;
  if (!hasAttr(rootAttrs, 'layer_names') && h.root.keys.includes('model_weights')) {
    top = groupAt(h, h.root, 'model_weights', 'the model_weights entry');
    topAttrs = attrsOf(h, top, '/model_weights');
  }
  const where = top === h.root ? 'the root group' : '/model_weights';
  const layerNames = nameList(h, topAttrs, 'layer_names', where);
  if (layerNames === null) throw missingLayerNames(h, top, where);
  const seen = new Set<string>();
  const layers = layerNames.map((name) => {
    if (seen.has(name)) throw h5Error(h.file, `layer_names lists '${name}' twice`, FIX_REDOWNLOAD);
    seen.add(name);
    return readLayer(h, top, name);
  });
  return {
    path,
    kerasVersion: text(h, rootAttrs.keras_version ?? topAttrs.keras_version, 'keras_version'),
    backend: text(h, rootAttrs.backend ?? topAttrs.backend, 'backend'),
    layers,
    modelConfig: json(h, rootAttrs.model_config, 'model_config'),
    trainingConfig: json(h, rootAttrs.training_config, 'training_config'),
    optimizerWeights: readOptimizer(h),
  };
}

function missingLayerNames(h: Opened, top: hdf5.Group, where: string): Error {
  if (hasDenseAttributes(top._dataobjects.msgs)) {
    const what = `${where} keeps its attributes in dense storage, which jsfive cannot read`;
    return h5Error(h.file, what, 're-save the file with h5py/Keras defaults (libver earliest)');
  }
  return h5Error(
    h.file,
    `no layer_names attribute in ${where}: not a Keras weights file`,
    'save it with Keras model.save_weights() or model.save()',
  );
}

function readLayer(h: Opened, top: hdf5.Group, name: string): H5Layer {
  const group = groupAt(h, top, name, `layer '${name}' (from layer_names)`);
  const path = `${top === h.root ? '' : top.name}/${name}`;
  const names = nameList(h, attrsOf(h, group, path), 'weight_names', `layer '${name}'`);
  // Keras writes weight_names for every layer, [] when it has none: without it, reading the
  // layer as weightless would silently drop its weights.
  if (names === null) throw missingWeightNames(h, path);
  return { name, weights: readWeights(h, group, path, names) };
}

function readOptimizer(h: Opened): H5Weight[] {
  if (!h.root.keys.includes('optimizer_weights')) return [];
  const group = groupAt(h, h.root, 'optimizer_weights', 'the optimizer_weights entry');
  const attrs = attrsOf(h, group, '/optimizer_weights');
  const names = nameList(h, attrs, 'weight_names', '/optimizer_weights');
  if (names === null) throw missingWeightNames(h, '/optimizer_weights');
  // Keras 2.2+ stores the optimizer's `iterations` as an int64 scalar beside float32 slots.
  return readWeights(h, group, '/optimizer_weights', names, true);
}

function missingWeightNames(h: Opened, path: string): Error {
  return h5Error(h.file, `${path} has no weight_names attribute`, FIX_REDOWNLOAD);
}

function readWeights(h: Opened, group: hdf5.Group, path: string, names: string[], numeric = false): H5Weight[] {
  const seen = new Set<string>();
  return names.map((n) => {
    if (seen.has(n)) throw h5Error(h.file, `${path} lists weight '${n}' twice`, FIX_REDOWNLOAD);
    seen.add(n);
    return readWeight(h, group, path, n, { listed: true, numeric });
  });
}

interface WeightRead {
  /** The name comes from a weight_names attribute, which the message then says. */
  listed: boolean;
  /** Any numeric type is read; otherwise only floats (a layer weight is never an integer). */
  numeric: boolean;
}

/** The dataset at `name` relative to `group` (weight names are paths: 'dense_1/kernel:0'). */
function readWeight(h: Opened, group: hdf5.Group, groupPath: string, name: string, o: WeightRead): H5Weight {
  const { listed } = o;
  const relative = name.replace(/^\/+/, '');
  const at = `${groupPath}/${relative}`;
  const obj = lookup(h, group, relative);
  if (!(obj instanceof hdf5.Dataset)) {
    const what = `the dataset ${at} is ${obj ? 'a group, not a dataset' : 'missing'}`;
    const problem = listed ? `weight '${name}' is listed but ${what}` : what;
    throw h5Error(h.file, problem, listed ? FIX_REDOWNLOAD : 'check the dataset path');
  }
  try {
    const info = describeDataset(h.bytes, obj._dataobjects.msgs);
    if (!o.numeric && info.type.kind !== 'float') {
      throw new H5Problem(`holds ${dtypeName(info.type)} values, not float32/float64`, 'unsupported');
    }
    const { data, integers } = info.storage.kind === 'chunked' ? readChunked(h, obj, info) : readStored(h.bytes, info);
    if (data.length !== info.count) {
      const what = `has ${data.length} values, its shape [${info.shape}] needs ${info.count}`;
      throw new H5Problem(what, 'corrupt');
    }
    const dtype = dtypeName(info.type);
    return { name, shape: info.shape, data, ...(dtype === 'float32' ? {} : { dtype }), ...(integers && { integers }) };
  } catch (e) {
    throw within(h, `dataset ${at}`, e);
  }
}

/**
 * The object at `path` below `group`, one link at a time so that every group passed through
 * and the object found are checked first; null when a link is missing.
 */
function lookup(h: Opened, group: hdf5.Group, path: string): hdf5.Group | hdf5.Dataset | null {
  const parts = path.split('/');
  if (parts.some((s) => s === '' || s === '.' || s === '..')) return null;
  let obj: hdf5.Group | hdf5.Dataset | null = group;
  for (const part of parts) {
    if (!(obj instanceof hdf5.Group)) return null;
    checkObject(h, obj);
    obj = child(obj, part);
  }
  if (obj) checkObject(h, obj);
  return obj;
}

/** jsfive signals a missing link by throwing a string; any other failure is corruption. */
function child(group: hdf5.Group, name: string): hdf5.Group | hdf5.Dataset | null {
  try {
    return group.get(name);
  } catch (e) {
    if (typeof e === 'string' && e.endsWith('not found in group')) return null;
    throw e;
  }
}

/** The header's message layout and, for groups, the symbol table (see h5_structure.ts). */
function checkObject(h: Opened, obj: hdf5.Group | hdf5.Dataset): void {
  const d = obj._dataobjects;
  if (h.checked.has(d.offset)) return;
  h.checked.add(d.offset);
  checkObjectHeader(h.bytes, d.offset);
  if (obj instanceof hdf5.Group) checkSymbolTable(h.bytes, d.msgs);
}

function groupAt(h: Opened, parent: hdf5.Group, name: string, what: string): hdf5.Group {
  const g = lookup(h, parent, name);
  if (g instanceof hdf5.Group) return g;
  const where = `${parent === h.root ? '' : parent.name}/${name}`;
  throw h5Error(h.file, `${what}: ${where} is ${g ? 'not a group' : 'missing'}`, FIX_REDOWNLOAD);
}

// Chunked (possibly compressed) datasets are rare in Keras files; jsfive assembles them into a
// plain array of the full shape, so the shape is first bounded by what the file could plausibly
// hold (deflate on float weights stays far below 64x).
function readChunked(h: Opened, ds: hdf5.Dataset, info: DatasetInfo): Decoded {
  const { count, shape } = info;
  if (count * info.type.bytes > 64 * h.bytes.length || count > MAX_ELEMENTS) {
    throw new H5Problem(`claims ${count} values, far more than the file can hold`, 'corrupt');
  }
  const msgs = ds._dataobjects.msgs;
  const layout = msgs.find((m) => m.get('type') === MSG.LAYOUT);
  const filtered = msgs.some((m) => m.get('type') === MSG.FILTERS);
  if (layout) checkChunks(h.bytes, layout.get('offset_to_message'), shape, filtered);
  const values = ds.value;
  if (!Array.isArray(values)) throw new H5Problem('did not decode to an array', 'corrupt');
  return fromJsValues(values, info.type);
}

function attrsOf(h: Opened, g: hdf5.Group, where: string): Record<string, unknown> {
  try {
    checkAttributes(h.bytes, g._dataobjects.msgs);
  } catch (e) {
    throw within(h, where, e);
  }
  // jsfive console.warns and stores null for attribute types it cannot decode; on a damaged file
  // that is noise, and a null where a name list is needed is reported as an error anyway.
  return quietly(() => g.attrs);
}

/** Prefixes a low-level problem with the object it was found in; passes anything else on. */
function within(h: Opened, where: string, e: unknown): unknown {
  if (!(e instanceof H5Problem)) return e;
  return toH5Error(h.file, new H5Problem(`${where}: ${e.message}`, e.kind));
}

function hasAttr(attrs: Record<string, unknown>, name: string): boolean {
  return name in attrs || `${name}0` in attrs;
}

/**
 * A list-of-names attribute: fixed- or variable-length strings, possibly split by Keras into
 * name0, name1, ... when too long for one object header; the empty float64 array Keras writes
 * for "no weights" reads as []. Null when absent.
 */
function nameList(h: Opened, attrs: Record<string, unknown>, name: string, where: string): string[] | null {
  const parts: unknown[] = [];
  if (name in attrs) parts.push(attrs[name]);
  else for (let i = 0; `${name}${i}` in attrs; i++) parts.push(attrs[`${name}${i}`]);
  if (parts.length === 0) return null;
  const out: string[] = [];
  for (const part of parts) {
    const items = typeof part === 'string' ? [part] : part;
    if (!Array.isArray(items)) throw badNames(h, name, where);
    if (!items.every((s) => typeof s === 'string')) throw badNames(h, name, where);
    for (const s of items as string[]) {
      const clean = s.replace(/\0+$/, ''); // fixed-length strings keep their NUL padding in jsfive
      if (clean === '' || clean.includes('\0')) throw badNames(h, name, where);
      out.push(clean);
    }
  }
  return out;
}

function badNames(h: Opened, name: string, where: string): Error {
  return h5Error(h.file, `${name} of ${where} is not a list of names`, FIX_REDOWNLOAD);
}

function text(h: Opened, v: unknown, name: string): string | null {
  if (v === undefined) return null;
  if (typeof v !== 'string') {
    throw h5Error(h.file, `attribute ${name} is not a string`, FIX_REDOWNLOAD);
  }
  return v.replace(/\0+$/, '');
}

// Python's json.dumps writes NaN and Infinity as bare words, which JSON.parse rejects; they
// become null (strings are matched first so that their contents stay untouched).
function json(h: Opened, v: unknown, name: string): unknown | null {
  const s = text(h, v, name);
  if (s === null) return null;
  const tokens = /"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g;
  const patched = s.replace(tokens, (m) => (m[0] === '"' ? m : 'null'));
  try {
    return JSON.parse(patched);
  } catch (e) {
    // JSON.parse's wording ("Unexpected token") reads like a dawnflow bug; the place is enough.
    const at = /position (\d+)/.exec(describeThrown(e))?.[1];
    const what = `attribute ${name} is not valid JSON${at ? ` (at character ${at})` : ''}`;
    throw h5Error(h.file, what, FIX_REDOWNLOAD, e);
  }
}
