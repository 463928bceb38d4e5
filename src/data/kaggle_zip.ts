// The Kaggle Dogs-vs-Cats archive (Microsoft's kagglecatsanddogs_5340.zip) read through yauzl:
// the member list comes from the central directory alone, and each chosen member is streamed
// and inflated on its own, so the ~790 MB archive is never held in memory (one photo at a time
// is). yauzl checks the sizes but not the CRC-32, which is checked here.
//
// Which members count, after TFDS (tensorflow_datasets/image_classification/cats_vs_dogs.py):
// * only `PetImages/(Cat|Dog)/<digits>.jpg` (its _NAME_RE); the readme, the licence PDF and
//   the Thumbs.db files are ignored;
// * a photo is dropped unless `b"JFIF" in fobj.peek(10)`. fobj is CPython's ZipExtFile, whose
//   peek(n) returns whatever it has buffered, up to 512 bytes (zipfile.py: "Return up to 512
//   bytes to reduce allocation overhead"), so TFDS really looks for JFIF in the first 512
//   bytes; so does this. TFDS counts 1738 such photos in the whole archive.
// * TFDS then decodes every photo (tf.image.decode_image) and would fail on one it cannot
//   read; here a member that does not inflate, fails its CRC or does not decode is skipped as
//   damaged instead.
import type { Readable } from 'node:stream';
import yauzl, { type Entry, type ZipFile } from 'yauzl';

export type PetClass = 'cat' | 'dog';

export interface PetMember {
  cls: PetClass;
  /** The number in PetImages/Cat/<n>.jpg. */
  n: number;
  entry: Entry;
}

export interface PetListing {
  cat: PetMember[];
  dog: PetMember[];
  /** Members that are not PetImages/(Cat|Dog)/<n>.jpg: folders, readme, Thumbs.db, ... */
  ignored: number;
}

/** A member name that would land outside the folder it is unpacked into. */
export class UnsafeArchiveError extends Error {}

const NAME_RE = /^PetImages\/(Cat|Dog)\/(\d+)\.jpg$/;
/** How far into a photo TFDS's peek(10) sees (see above). */
export const JFIF_WINDOW = 512;
/** No photo in the archive comes near this; a member claiming more is damaged. */
const MAX_MEMBER_BYTES = 64 * 2 ** 20;

export async function openZip(path: string): Promise<ZipFile> {
  // strictFileNames: a backslash is an error rather than silently a separator; yauzl then
  // refuses absolute names and `..` segments too, before the entry reaches us.
  const opts = {
    lazyEntries: true,
    autoClose: false,
    decodeStrings: true,
    validateEntrySizes: true,
    strictFileNames: true,
  };
  return await new Promise<ZipFile>((resolve, reject) => {
    yauzl.open(path, opts, (err, zip) =>
      err ? reject(new Error(`${path} is not a readable zip archive (${err.message})`)) : resolve(zip),
    );
  });
}

/**
 * Every member of the central directory, sorted into cats and dogs by number (one member per
 * number; the others count as ignored); refuses the whole archive (UnsafeArchiveError) at the
 * first name that is absolute, has a `..` segment or a backslash, before anything is extracted.
 */
export async function listPets(zip: ZipFile, label: string): Promise<PetListing> {
  const out: PetListing = { cat: [], dog: [], ignored: 0 };
  await new Promise<void>((resolve, reject) => {
    const fail = (e: Error): void => {
      zip.removeAllListeners('entry');
      reject(
        unsafeName(e.message)
          ? refusal(label, e.message)
          : new Error(`${label}: damaged zip directory (${oneLine(e.message)})`),
      );
    };
    zip.on('error', fail);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: Entry) => {
      const why = checkName(entry.fileName);
      if (why) return fail(new Error(why));
      const m = NAME_RE.exec(entry.fileName);
      if (m) out[m[1] === 'Cat' ? 'cat' : 'dog'].push({ cls: m[1] === 'Cat' ? 'cat' : 'dog', n: Number(m[2]), entry });
      else out.ignored++;
      zip.readEntry();
    });
    zip.readEntry();
  });
  for (const cls of ['cat', 'dog'] as const) {
    // One photo per number (5.jpg before a 005.jpg further on): the output is named by number.
    const sorted = out[cls].sort((a, b) => a.n - b.n);
    out[cls] = sorted.filter((m, i) => i === 0 || sorted[i - 1].n !== m.n);
    out.ignored += sorted.length - out[cls].length;
  }
  return out;
}

/** yauzl's own messages for the names it refuses (validateFileName). */
function unsafeName(message: string): boolean {
  return /^(invalid characters in fileName|absolute path|invalid relative path): /.test(message);
}

/** The same rules checked here too, so a lax reader could not let one through. */
export function checkName(name: string): string | null {
  if (name.includes('\\')) return `invalid characters in fileName: ${name}`;
  if (name.includes('\0')) return `invalid characters in fileName: ${name}`;
  if (/^[a-zA-Z]:/.test(name) || name.startsWith('/')) return `absolute path: ${name}`;
  if (name.split('/').includes('..')) return `invalid relative path: ${name}`;
  return null;
}

function refusal(label: string, message: string): UnsafeArchiveError {
  const [why, ...rest] = message.split(': ');
  const name = JSON.stringify(rest.join(': '));
  return new UnsafeArchiveError(
    `refusing ${label}: member ${name} would be written outside the target folder (${why}); nothing was extracted`,
  );
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export interface MemberRead {
  /** What was read: the whole member, or as far as it inflated when `error` is set. */
  bytes: Buffer;
  /** Why the member is damaged (does not open or inflate, wrong size or CRC-32); null when whole. */
  error: string | null;
}

/** A member's bytes, inflated and checked against its CRC-32 and size. */
export async function readMember(zip: ZipFile, entry: Entry): Promise<MemberRead> {
  if (entry.uncompressedSize > MAX_MEMBER_BYTES)
    return { bytes: Buffer.alloc(0), error: `claims ${entry.uncompressedSize} bytes` };
  const chunks: Buffer[] = [];
  let error: string | null = null;
  try {
    const stream = await new Promise<Readable>((resolve, reject) => {
      zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s)));
    });
    try {
      for await (const c of stream) chunks.push(c as Buffer);
    } finally {
      stream.destroy();
    }
  } catch (e) {
    error = oneLine(e instanceof Error ? e.message : String(e));
  }
  const bytes = Buffer.concat(chunks);
  if (!error && crc32(bytes) !== entry.crc32 >>> 0) error = 'CRC-32 mismatch';
  return { bytes, error };
}

/** TFDS's test: "JFIF" among the first bytes its peek(10) returns (512, see above). */
export function hasJfif(b: Uint8Array): boolean {
  return Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, JFIF_WINDOW)).includes('JFIF');
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
