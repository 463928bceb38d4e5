// `dawnflow fetch data cats-vs-dogs`: the book's small split of the Kaggle Dogs-vs-Cats photos,
// made from the public Microsoft archive that TensorFlow Datasets uses.
//
// * The archive is downloaded (resumable, checksummed, see io/download.ts) into Keras's cache,
//   $KERAS_HOME/datasets (default ~/.keras/datasets), and reused from there.
// * Per class, in the numeric order of PetImages/<Class>/<N>.jpg, the first 1000 readable
//   photos go to train, the next 500 to validation and the next 500 to test, as
//   cats_and_dogs_small/<split>/<cats|dogs>/<cat|dog>.<N>.jpg: the chapter's layout, N being the
//   archive's number. "Readable" follows TFDS (see kaggle_zip.ts): photos without a JFIF header
//   are dropped as TFDS drops them, and damaged ones (do not inflate, wrong CRC, do not decode)
//   are skipped; the next number takes their place. Only the chosen photos (and those skipped
//   on the way) are read.
// * The split is built in a temporary sibling folder, with COMPLETE.json written last, and
//   renamed into place: the target is either absent or complete, also after a crash or with
//   two fetches at once (they take turns on a lock; without it, the loser of the rename sees
//   the complete folder and stops). A second fetch finds COMPLETE.json and does nothing.
//
// The archive's identity. TFDS's url_checksums entry for this URL is not in the sources this
// was written from (its stored tensorflow_datasets/url_checksums/cats_vs_dogs.txt lists only
// the older kagglecatsanddogs_3367a.zip: 824894548 bytes, sha256 f9553e42...). The size below
// is what download.microsoft.com sends (`Length: 824887076 (787M)` in two independent wget logs
// of this URL in public notebooks); the sha256 is the one gomlx checks after downloading this
// URL (github.com/gomlx/gomlx, examples/dogsvscats/dogsvscats.go, DownloadChecksum).
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { downloadFile, DownloadError, progressPrinter } from '../io/download.js';
import { withLock } from '../io/file_lock.js';
import { kerasCacheDir } from '../io/keras_home.js';
import { decodeImage } from './decode.js';
import { CATS_VS_DOGS_OUT, SMALL_DIR } from './cats_vs_dogs_names.js';
import { hasJfif, listPets, openZip, readMember, type PetClass, type PetMember } from './kaggle_zip.js';
import type { ZipFile } from 'yauzl';
import { buildFolderAtomic } from '../util/atomic_write.js';

const ARCHIVE = 'kagglecatsanddogs_5340.zip';
export const CATS_VS_DOGS_URL =
  'https://download.microsoft.com/download/3/E/1/3E1C3F21-ECDB-4869-8368-6DEBA77B919F/kagglecatsanddogs_5340.zip';
export const CATS_VS_DOGS_BYTES = 824_887_076;
export const CATS_VS_DOGS_SHA256 = 'b7974bd00a84a99921f36ee4403f089853777b5ae8d151c76a86e64900334af9';
/** TFDS's _NUM_CORRUPT_IMAGES: photos of the whole archive without a JFIF header. */
const TFDS_NO_JFIF = 1738;

export { SMALL_DIR };
export const MARKER = 'COMPLETE.json';
const SPLITS = ['train', 'validation', 'test'] as const;
type Split = (typeof SPLITS)[number];
export type SplitCounts = Record<Split, number>;
/** The book's split, per class. */
export const BOOK_COUNTS: SplitCounts = { train: 1000, validation: 500, test: 500 };

export interface FetchCatsVsDogsOptions {
  /** The folder that gets cats_and_dogs_small/ (default `data`, where `dawnflow chapter` looks). */
  out?: string;
  log: (line: string) => void;
  /** Internal, for tests only (no CLI flag sets it): another archive and smaller splits. */
  sources?: { url: string; sha256?: string; bytes?: number; counts?: SplitCounts };
}

interface Skipped {
  member: string;
  reason: string;
}

export async function fetchCatsVsDogs(o: FetchCatsVsDogsOptions): Promise<{ dir: string; created: boolean }> {
  const given = internalSource(o.sources);
  const src = given
    ? { url: given.url, sha256: given.sha256, bytes: given.bytes }
    : { url: CATS_VS_DOGS_URL, sha256: CATS_VS_DOGS_SHA256, bytes: CATS_VS_DOGS_BYTES };
  const counts = given?.counts ?? BOOK_COUNTS;
  const out = o.out ?? CATS_VS_DOGS_OUT;
  const dir = join(out, SMALL_DIR);
  if (present(dir, o.log)) return { dir, created: false };
  mkdirSync(out, { recursive: true });
  return await withLock(join(out, `.${SMALL_DIR}.lock`), async () => {
    if (present(dir, o.log)) return { dir, created: false }; // made by the fetch we waited for
    const zipPath = await fetchArchive(src, o.log);
    return await buildInPlace(zipPath, src, counts, dir, o.log);
  });
}

type InternalSource = NonNullable<FetchCatsVsDogsOptions['sources']>;

/**
 * The override itself, or (as the CLI's DAWNFLOW_INTERNAL_SOURCES map passes it, keyed by file
 * name) its entry for the archive; a map without one leaves the real source.
 */
function internalSource(s: unknown): InternalSource | undefined {
  if (!s || typeof s !== 'object') return undefined;
  if (typeof (s as InternalSource).url === 'string') return s as InternalSource;
  const entry = (s as Record<string, unknown>)[ARCHIVE];
  return entry && typeof (entry as InternalSource).url === 'string' ? (entry as InternalSource) : undefined;
}

/** True when `dir` is complete already (says so); throws when something else is in the way. */
function present(dir: string, log: (line: string) => void): boolean {
  if (existsSync(join(dir, MARKER))) {
    log(`cats-vs-dogs: ${resolve(dir)} is already there (${MARKER}); nothing to do`);
    return true;
  }
  if (!existsSync(dir)) return false;
  // A split made by hand (the chapter took one before this command existed) is left alone.
  if (SPLITS.every((s) => existsSync(join(dir, s)))) {
    log(
      `cats-vs-dogs: ${resolve(dir)} already has train/, validation/ and test/ (not made by this fetch: no ${MARKER}); leaving it as it is`,
    );
    return true;
  }
  throw new Error(
    `dawnflow: ${resolve(dir)} exists but is not a complete split (no ${MARKER}, and not all of train/, validation/, test/): move it aside and run again`,
  );
}

type Source = { url: string; sha256?: string; bytes?: number };

/** The archive in Keras's datasets cache: reused when there (and its checksum passes), else downloaded. */
async function fetchArchive(src: Source, log: (line: string) => void): Promise<string> {
  const zipPath = join(kerasCacheDir('datasets'), ARCHIVE);
  const cached = existsSync(zipPath);
  const size = src.bytes ? ` (${(src.bytes / 2 ** 20).toFixed(0)} MiB)` : '';
  log(
    cached
      ? `cats-vs-dogs: checking the archive already in ${zipPath}`
      : `cats-vs-dogs: downloading ${src.url}${size} to ${zipPath}`,
  );
  let bytes: number;
  try {
    bytes = (
      await downloadFile({
        url: src.url,
        dest: zipPath,
        checksum: src.sha256 ? { algo: 'sha256', hex: src.sha256 } : undefined,
        onProgress: cached ? undefined : progressPrinter('cats-vs-dogs'),
      })
    ).bytes;
  } catch (e) {
    if (!(e instanceof DownloadError) || e.aborted) throw e;
    const sum = src.sha256 ? `sha256 ${src.sha256}` : 'no checksum known';
    const size = src.bytes ? `${src.bytes} bytes, ` : '';
    throw new DownloadError(
      `dawnflow: cannot download ${src.url} (${e.reason}): check the network (or HTTPS_PROXY), ` +
        `or put the archive at ${zipPath} yourself (${size}${sum}) and run again`,
      { url: src.url, reason: e.reason, cause: e },
    );
  }
  // Only an override without a checksum can get here with another file.
  if (src.bytes !== undefined && bytes !== src.bytes) {
    throw new DownloadError(`dawnflow: ${zipPath} has ${bytes} bytes, expected ${src.bytes}: delete it and run again`, {
      url: src.url,
      reason: 'wrong size',
    });
  }
  return zipPath;
}

async function buildInPlace(
  zipPath: string,
  src: Source,
  counts: SplitCounts,
  dir: string,
  log: (line: string) => void,
): Promise<{ dir: string; created: boolean }> {
  const out = resolve(dir, '..');
  removeAbandoned(out);
  const tmp = join(out, `.${SMALL_DIR}.partial-${process.pid}-${randomUUID().slice(0, 8)}`);
  try {
    await buildFolderAtomic(
      dir,
      async (t) => {
        const made = await buildSplit(zipPath, t, counts, log);
        writeFileSync(
          join(t, MARKER),
          `${JSON.stringify(
            {
              source: {
                url: src.url,
                sha256: src.sha256 ?? null,
                bytes: src.bytes ?? null,
                archive: basename(zipPath),
              },
              made_by: 'dawnflow fetch data cats-vs-dogs',
              made_at: new Date().toISOString(),
              rule: 'per class, numeric order of PetImages/<Class>/<N>.jpg; photos without JFIF in their first 512 bytes (as TFDS) or damaged are skipped',
              counts: { cats: counts, dogs: counts },
              ...made,
            },
            null,
            2,
          )}\n`,
        );
      },
      { tmp },
    );
  } catch (e) {
    // Without the lock, two fetches may race: the loser's rename fails on the complete folder.
    if (!existsSync(join(dir, MARKER))) throw e;
    log(`cats-vs-dogs: another fetch finished ${resolve(dir)} first; using it`);
    return { dir, created: false };
  }
  const per = SPLITS.map((s) => `${s} ${counts[s]}+${counts[s]}`).join(', ');
  log(
    `cats-vs-dogs: wrote ${2 * (counts.train + counts.validation + counts.test)} photos to ${resolve(dir)} (${per} cats+dogs)`,
  );
  return { dir, created: true };
}

/** Partial folders of fetches that died (their pid is gone); a live one's is left alone. */
function removeAbandoned(out: string): void {
  const prefix = `.${SMALL_DIR}.partial-`;
  for (const name of readdirSync(out)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number.parseInt(name.slice(prefix.length), 10);
    if (pid > 0 && alive(pid)) continue;
    rmSync(join(out, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

interface Made {
  skipped: { no_jfif: number; damaged: number; read: number; members: Skipped[] };
  numbers: Record<'cats' | 'dogs', Record<Split, [number, number]>>;
}

async function buildSplit(
  zipPath: string,
  tmp: string,
  counts: SplitCounts,
  log: (line: string) => void,
): Promise<Made> {
  const label = basename(zipPath);
  const zip = await openZip(zipPath);
  try {
    const pets = await listPets(zip, label);
    log(
      `cats-vs-dogs: ${label} lists ${pets.cat.length} cat and ${pets.dog.length} dog photos (${pets.ignored} other members ignored)`,
    );
    for (const s of SPLITS) for (const c of ['cats', 'dogs']) mkdirSync(join(tmp, s, c), { recursive: true });
    const skipped: Skipped[] = [];
    let read = 0;
    const numbers = {} as Made['numbers'];
    for (const cls of ['cat', 'dog'] as const) {
      const r = await takeClass(zip, pets[cls], cls, counts, tmp, skipped, label);
      read += r.read;
      log(
        `cats-vs-dogs: ${cls}s: ${r.read} photos read to take ${counts.train + counts.validation + counts.test} (numbers ${r.ranges.train[0]} to ${r.ranges.test[1]})`,
      );
      numbers[`${cls}s`] = r.ranges;
    }
    const noJfif = skipped.filter((s) => s.reason === 'no JFIF header').length;
    const damaged = skipped.length - noJfif;
    log(
      `cats-vs-dogs: skipped ${skipped.length} of the ${read} photos read: ${noJfif} without a JFIF header ` +
        `(TFDS drops these: ${TFDS_NO_JFIF} in the whole archive), ${damaged} damaged; the list is in ${MARKER}`,
    );
    return { skipped: { no_jfif: noJfif, damaged, read, members: skipped }, numbers };
  } finally {
    zip.close();
  }
}

/** One class: its photos in numeric order until all splits are full. */
async function takeClass(
  zip: ZipFile,
  members: PetMember[],
  cls: PetClass,
  counts: SplitCounts,
  tmp: string,
  skipped: Skipped[],
  label: string,
): Promise<{ read: number; ranges: Record<Split, [number, number]> }> {
  const need = counts.train + counts.validation + counts.test;
  const kept: number[] = [];
  let read = 0;
  for (const m of members) {
    if (kept.length === need) break;
    read++;
    const r = await check(zip, m);
    if (typeof r === 'string') {
      skipped.push({ member: m.entry.fileName, reason: r });
      continue;
    }
    const i = kept.length;
    const split: Split = i < counts.train ? 'train' : i < counts.train + counts.validation ? 'validation' : 'test';
    // The name is made from the number alone, never from the member's path.
    writeFileSync(join(tmp, split, `${cls}s`, `${cls}.${m.n}.jpg`), r);
    kept.push(m.n);
  }
  if (kept.length < need) {
    throw new Error(
      `dawnflow: ${label} has only ${kept.length} readable ${cls} photos, ${need} are needed; nothing was written`,
    );
  }
  const at = (a: number, b: number): [number, number] => [kept[a], kept[b - 1]];
  const v = counts.train + counts.validation;
  return { read, ranges: { train: at(0, counts.train), validation: at(counts.train, v), test: at(v, need) } };
}

/** The member's bytes when it is a readable photo, else why it is skipped. */
async function check(zip: ZipFile, m: PetMember): Promise<Buffer | string> {
  const r = await readMember(zip, m.entry);
  const head = r.bytes.subarray(0, 512);
  // TFDS looks only at the head: a member whose head inflated without JFIF is "no JFIF" even
  // when its tail is damaged.
  const headWhole = !r.error || r.bytes.length >= Math.min(512, m.entry.uncompressedSize);
  if (headWhole && !hasJfif(head)) return 'no JFIF header';
  if (r.error) return `damaged: ${r.error}`;
  try {
    decodeImage(r.bytes, m.entry.fileName);
  } catch (e) {
    return `damaged: does not decode (${(e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ')})`;
  }
  return r.bytes;
}
