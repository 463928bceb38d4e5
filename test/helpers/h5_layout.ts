// The layout of an HDF5 file as the h5py dumps of test/fixtures/keras-reference show it (every
// group, dataset with shape and dtype, attribute with its text), taken two ways: from a dump
// made by scripts/h5_layout.py (h5py), and from a file through dawnflow's own reader (jsfive
// plus src/io/h5_low). CI has no h5py, so the suite compares files with committed dumps this way.
import fs from 'node:fs';
import * as hdf5 from 'jsfive';
import { describeDataset, dtypeName, H5Bytes } from '../../src/io/h5_low.js';

/** One object: a dataset's `(shape) dtype chunks=None`, or an attribute's text (strings or names). */
export interface Entry {
  desc: string;
  /** The dump cut the text short (h5py's repr past 160 characters): compare prefixes. */
  clipped?: boolean;
}

export type Layout = Map<string, Entry>;

const pyShape = (s: number[]) => (s.length === 1 ? `(${s[0]},)` : `(${s.join(', ')})`);

// ---------------------------------------------------------------- a dump made with h5py

const LINE = /^( *)(@?)([\w.-]+(?::\d+)?)(\/|: )(.*)$/;

/** Parses a dump: paths like 'model_weights/@layer_names' or 'optimizer_weights/Adam/iterations:0'. */
export function layoutOfDump(text: string): Layout {
  const out: Layout = new Map();
  const stack: string[] = [];
  let last = '';
  for (const line of text.split('\n').filter((l) => l.trim())) {
    const m = LINE.exec(line);
    if (!m) {
      out.set(last, { desc: `${out.get(last)!.desc}\n${line}` }); // a repr continued
      continue;
    }
    const [, indent, at, name, sep, rest] = m;
    stack.length = indent.length / 2;
    const path = [...stack, at + name].join('/');
    if (sep === '/') stack.push(name);
    else out.set(path, { desc: rest });
    last = path;
  }
  for (const [path, e] of out) out.set(path, path.includes('@') ? attributeText(e.desc) : datasetDesc(e.desc));
  return out;
}

// 'dataset (3, 3, 512, 512) float32 chunks=None compression=None value=...': values left out.
function datasetDesc(rest: string): Entry {
  return { desc: rest.replace(/ compression=\S+/, '').replace(/ value=.*$/s, '') };
}

// h5py's repr of the value: 'text', array(['a', 'b'], dtype=object), array([b'a'], dtype='|S1')
// or array([], dtype=float64); cut at 160 characters with '...'.
function attributeText(rest: string): Entry {
  let value = rest.slice(rest.indexOf(' = ') + 3);
  const clipped = value.endsWith('...');
  if (clipped) value = value.slice(0, -3);
  if (!value.startsWith('array(')) return { desc: value.replace(/^b?'|'$/g, ''), clipped };
  if (/^array\(\[\], dtype=float64\)$/.test(value)) return { desc: 'float64 []' };
  const names = [...value.matchAll(/b?'([^']*)'/g)].map((x) => x[1]);
  // A clipped list ends inside a name: keep only the names that are whole.
  return { desc: JSON.stringify(names).slice(0, clipped ? -1 : undefined), clipped };
}

// ---------------------------------------------------------------- a file through dawnflow's reader

/** The same view of `file`, read with jsfive and dawnflow's dataset decoder. */
export function layoutOfFile(file: string): Layout {
  const b = fs.readFileSync(file);
  const buffer = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  const out: Layout = new Map();
  walk(new hdf5.File(buffer, file), '', new H5Bytes(buffer), out);
  return out;
}

function walk(g: hdf5.Group, prefix: string, bytes: H5Bytes, out: Layout): void {
  attributes(g, prefix, out);
  for (const key of g.keys) {
    const child = g.get(key) as hdf5.Group | hdf5.Dataset;
    const path = prefix + key;
    if (child instanceof hdf5.Dataset) {
      const info = describeDataset(bytes, child._dataobjects.msgs);
      const chunks = info.storage.kind === 'chunked' ? 'chunked' : 'None';
      out.set(path, { desc: `dataset ${pyShape(info.shape)} ${dtypeName(info.type)} chunks=${chunks}` });
      attributes(child, `${path}/`, out);
    } else {
      walk(child, `${path}/`, bytes, out);
    }
  }
}

function attributes(o: hdf5.Group | hdf5.Dataset, prefix: string, out: Layout): void {
  // jsfive's datasets have attributes too; src/io/jsfive.d.ts declares only what src/io uses.
  for (const [name, v] of Object.entries((o as { attrs: Record<string, unknown> }).attrs)) {
    let desc: string;
    if (typeof v === 'string') desc = v.replace(/\0+$/, '');
    else if (Array.isArray(v) && v.length === 0) desc = 'float64 []';
    else desc = JSON.stringify((v as unknown[]).map((s) => String(s).replace(/\0+$/, '')));
    out.set(`${prefix}@${name}`, { desc });
  }
}

// ---------------------------------------------------------------- comparing

/** Every path where `got` differs from the reference `want`, with both descriptions. */
export function layoutDifferences(got: Layout, want: Layout): string[] {
  const out: string[] = [];
  for (const path of [...new Set([...want.keys(), ...got.keys()])].sort()) {
    const [g, w] = [got.get(path), want.get(path)];
    const same = g && w && (w.clipped ? g.desc.startsWith(w.desc) : g.desc === w.desc);
    const say = (e: Entry | undefined) => (e ? JSON.stringify(e.desc) : 'has none');
    if (!same) out.push(`${path}: file ${say(g)}, reference ${say(w)}`);
  }
  return out;
}
