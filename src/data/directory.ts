// The file listing of Keras's flow_from_directory (Keras 2.3 + keras-preprocessing 1.1): one
// sub-folder per class, classes and files in Python string order, class 0's files first. Only
// the listing lives here; decoding, batching and augmentation build on top of it.
import fs from 'node:fs';
import { join } from 'node:path';
import { dataError, fsReason } from './errors.js';
import { oneLine } from '../util/errors.js';

/** keras-preprocessing 1.1's white list (tif/tiff since Keras 2.1.4), on the lowercased name. */
export const IMAGE_EXTENSIONS: readonly string[] = Object.freeze(['png', 'jpg', 'jpeg', 'bmp', 'ppm', 'tif', 'tiff']);

export interface ImageFolder {
  /** The folder as given. */
  dir: string;
  /** Class names; index i is label i. */
  classes: string[];
  /** Class name -> label, as Keras's class_indices. */
  classIndices: Record<string, number>;
  /** Paths relative to dir, like 'cats/cat.1.jpg', in Keras's order. */
  files: string[];
  /** The label of each file. */
  labels: Int32Array;
  /** Files Keras would list but dawnflow cannot decode (TIFF), left out of `files` with a warning. */
  leftOut: string[];
}

export interface ListOptions {
  /** Class sub-folders to use, in this order (Keras's `classes=`); default: all, sorted. */
  classes?: string[];
}

/**
 * Lists `dir/<class>/**` image files as flow_from_directory does. Keras skips an empty class
 * folder without a word (its class keeps its index, so the model's output count and the data
 * silently disagree); here it is an error that names the folder.
 */
export function listImageFolder(dir: string, o: ListOptions = {}): ImageFolder {
  checkFolder(dir);
  const classes = o.classes ? checkClasses(dir, o.classes) : classFolders(dir);
  const listed = classes.map((c) => listClass(dir, c));
  const perClass = listed.map((l) => l.filter((f) => !isTiffName(f)));
  const leftOut = listed.flat().filter(isTiffName);
  if (leftOut.length > 0) warnLeftOut(dir, leftOut);
  checkNotEmpty(dir, classes, perClass);
  const files = perClass.flat();
  const labels = new Int32Array(files.length);
  let at = 0;
  perClass.forEach((list, label) => {
    labels.fill(label, at, at + list.length);
    at += list.length;
  });
  const classIndices = Object.fromEntries(classes.map((c, i) => [c, i]));
  return { dir, classes, classIndices, files, labels, leftOut };
}

/**
 * TIFF is on Keras's list, but dawnflow has no TIFF decoder that matches PIL, so such files are
 * left out of the listing (and of `Found N images`) rather than failing mid-epoch. Named by the
 * same suffix rule as isImageFile.
 */
export function isTiffName(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.endsWith('tif') || lower.endsWith('tiff');
}

const warned = new Set<string>();

/** One line per folder and process (several callers list the same folder). */
function warnLeftOut(dir: string, files: string[]): void {
  if (warned.has(dir)) return;
  warned.add(dir);
  const named = files.slice(0, 10).join(', ') + (files.length > 10 ? ` and ${files.length - 10} more` : '');
  console.warn(
    oneLine(
      `dawnflow: warning: ${dir}: leaving out ${files.length} TIFF file(s), which Keras ` +
        `would read but dawnflow cannot decode: ${named}; convert them to PNG to use them`,
    ),
  );
}

/** The line Keras prints after listing, e.g. `Found 2000 images belonging to 2 classes.` */
export function foundLine(f: ImageFolder): string {
  return `Found ${f.files.length} images belonging to ${f.classes.length} classes.`;
}

/**
 * keras-preprocessing tests `fname.lower().endswith(extensions)` on the bare suffixes, so
 * 'photo.JPG' counts and so does an extension-less 'notapng'; we keep that rule so both list
 * the same files (a non-image then fails at decode time with its name).
 */
export function isImageFile(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/**
 * Python's str ordering (by code point). JS's `<` and sort() compare UTF-16 code units, which
 * put astral characters (emoji, surrogate pairs) before U+E000..U+FFFF; localeCompare is worse
 * ('a' < 'B').
 */
export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length) {
    const ca = a.codePointAt(i) as number;
    const cb = b.codePointAt(i) as number;
    if (ca !== cb) return ca < cb ? -1 : 1;
    i += ca > 0xffff ? 2 : 1;
  }
  return Math.sign(a.length - i - (b.length - i));
}

const LAYOUT_HINT = 'it should hold one sub-folder per class, e.g. <dir>/cats/*.jpg and <dir>/dogs/*.jpg';

function checkFolder(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    const what = fsReason(e) === 'ENOENT' ? 'folder not found' : `cannot open (${fsReason(e)})`;
    throw dataError(dir, `${what}; check the path: ${LAYOUT_HINT}`, e);
  }
  if (!st.isDirectory()) {
    throw dataError(dir, `not a folder; pass the folder above the class folders: ${LAYOUT_HINT}`);
  }
}

// Immediate sub-folders (symlinks to folders count, as os.path.isdir follows them), sorted.
function classFolders(dir: string): string[] {
  const { dirs, linkedDirs } = readFolder(dir);
  const all = [...dirs, ...linkedDirs];
  if (all.length === 0) throw dataError(dir, `no class sub-folders; ${LAYOUT_HINT}`);
  return all.sort(compareCodePoints);
}

function checkClasses(dir: string, classes: string[]): string[] {
  if (!Array.isArray(classes) || classes.length === 0) {
    throw dataError(dir, 'classes is empty; pass at least one class folder name or omit it');
  }
  const seen = new Set<string>();
  for (const c of classes) {
    if (typeof c !== 'string' || c === '' || seen.has(c)) {
      throw dataError(dir, `bad classes entry ${JSON.stringify(c)}; names must be unique folder names`);
    }
    seen.add(c);
    const st = statOrNull(join(dir, c));
    if (!st?.isDirectory()) {
      throw dataError(join(dir, c), `class folder not found; create it or drop '${c}' from classes`);
    }
  }
  return [...classes];
}

function checkNotEmpty(dir: string, classes: string[], perClass: string[][]): void {
  const exts = IMAGE_EXTENSIONS.join(', ');
  if (perClass.every((l) => l.length === 0)) {
    throw dataError(dir, `no images in any class folder (looked for ${exts}); ${LAYOUT_HINT}`);
  }
  const empty = classes.filter((_, i) => perClass[i].length === 0);
  if (empty.length > 0) {
    const where = empty
      .slice(0, 5)
      .map((c) => join(dir, c))
      .join(', ');
    const more = empty.length > 5 ? ` and ${empty.length - 5} more` : '';
    throw dataError(
      where + more,
      `class folder has no images (looked for ${exts}); ` +
        'add images or remove the folder (Keras would silently skip it)',
    );
  }
}

/**
 * A class's files as Keras's _iter_valid_files lists them: os.walk (not following symlinked
 * folders), the walked folders sorted by their path string (so 'a-b' comes before 'a/b', unlike
 * a depth-first walk), and the names in each folder sorted.
 */
function listClass(dir: string, cls: string): string[] {
  const folders: { rel: string; names: string[] }[] = [];
  const pending = [cls];
  while (pending.length > 0) {
    const rel = pending.pop() as string;
    const { dirs, others } = readFolder(join(dir, rel));
    folders.push({ rel, names: others });
    for (const d of dirs) pending.push(`${rel}/${d}`);
  }
  folders.sort((a, b) => compareCodePoints(a.rel, b.rel));
  const files: string[] = [];
  for (const { rel, names } of folders) {
    for (const name of names.sort(compareCodePoints)) {
      if (isImageFile(name)) files.push(`${rel}/${name}`);
    }
  }
  return files;
}

// Splits a folder's entries like os.walk does: real folders, symlinks to folders (os.path.isdir
// follows them, so they can be classes, but os.walk does not enter them), and the rest, which
// os.walk reports as files (broken links included).
function readFolder(path: string): { dirs: string[]; linkedDirs: string[]; others: string[] } {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path, { withFileTypes: true });
  } catch (e) {
    throw dataError(path, `cannot list folder (${fsReason(e)}); check its permissions`, e);
  }
  const dirs: string[] = [];
  const linkedDirs: string[] = [];
  const others: string[] = [];
  for (const e of entries) {
    if (e.isDirectory()) dirs.push(e.name);
    else if (e.isSymbolicLink() && statOrNull(join(path, e.name))?.isDirectory()) {
      linkedDirs.push(e.name);
    } else others.push(e.name);
  }
  return { dirs, linkedDirs, others };
}

function statOrNull(path: string): fs.Stats | null {
  try {
    return fs.statSync(path);
  } catch {
    return null;
  }
}
