// fetchCatsVsDogs against small hand-built archives in the Kaggle layout, served from a loopback
// HTTP server: the split's exact files, what is skipped and counted, idempotence, refusal of
// unsafe member names, two fetches at once, and an unreachable URL. The zips are written here
// byte by byte (stored or deflated members, any name, any CRC), because a zip library would
// refuse to write the damaged and unsafe members the tests need.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as zlibCrc32, deflateRawSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { fetchCatsVsDogs, MARKER, type SplitCounts } from '../../src/data/cats_vs_dogs.js';
import { checkName, crc32, hasJfif } from '../../src/data/kaggle_zip.js';
import { DownloadError } from '../../src/io/download.js';

// ------------------------------------------------------------------ zip writer

interface Member {
  name: string;
  data: Buffer;
  deflate?: boolean;
  /** Replaces the deflated stream's first byte: BFINAL=1 with the reserved block type 11. */
  badDeflate?: boolean;
  /** A CRC-32 that does not match the data. */
  badCrc?: boolean;
}

function makeZip(members: Member[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    let body = m.deflate ? deflateRawSync(m.data) : m.data;
    if (m.badDeflate) {
      body = Buffer.from(body);
      body[0] = 0x07;
    }
    const crc = (zlibCrc32(m.data) ^ (m.badCrc ? 0x5a5a5a5a : 0)) >>> 0;
    const method = m.deflate ? 8 : 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(m.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

let basePhoto: Buffer | null = null;

/**
 * A small JPEG from jpeg-js (whose encoder writes a JFIF APP0 segment), made distinct per `seed`
 * by a comment segment after APP0: encoding is slow on a busy machine, so it is done once.
 */
function photo(seed: number): Buffer {
  if (!basePhoto) {
    const w = 16;
    const h = 12;
    const data = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) data.set([(i * 37) & 255, (i * 91) & 255, (i * 5) & 255, 255], 4 * i);
    basePhoto = Buffer.from(jpeg.encode({ width: w, height: h, data }, 90).data);
  }
  const app0 = 2 + basePhoto.readUInt16BE(4);
  const text = Buffer.from(`photo ${seed}`);
  const com = Buffer.alloc(4);
  com.writeUInt16BE(0xfffe, 0);
  com.writeUInt16BE(2 + text.length, 2);
  return Buffer.concat([basePhoto.subarray(0, 2 + app0), com, text, basePhoto.subarray(2 + app0)]);
}

/** The same JPEG without its APP0 (JFIF) segment: still a JPEG, but TFDS drops it. */
function withoutJfif(b: Buffer): Buffer {
  expect(b.subarray(6, 10).toString('latin1')).toBe('JFIF');
  const app0 = 2 + b.readUInt16BE(4);
  return Buffer.concat([b.subarray(0, 2), b.subarray(2 + app0)]);
}

// Central-directory order is the archive's (alphabetical, as in the real one: 0, 1, 10, 2, ...);
// the split must follow the numbers.
function kaggleMembers(): { members: Member[]; photos: Map<string, Buffer> } {
  const photos = new Map<string, Buffer>();
  const members: Member[] = [
    { name: 'PetImages/', data: Buffer.alloc(0) },
    { name: 'PetImages/Cat/', data: Buffer.alloc(0) },
    { name: 'PetImages/Dog/', data: Buffer.alloc(0) },
    { name: 'readme[1].txt', data: Buffer.from('Kaggle cats and dogs\n'), deflate: true },
    { name: 'CDLA-Permissive-2.0.pdf', data: Buffer.from('%PDF-1.4 not really\n') },
  ];
  const add = (cls: 'Cat' | 'Dog', n: number, m: Partial<Member> = {}): void => {
    const data = m.data ?? photo(n + (cls === 'Dog' ? 100 : 0));
    photos.set(`${cls}/${n}`, data);
    members.push({ name: `PetImages/${cls}/${n}.jpg`, deflate: true, ...m, data });
  };
  for (const n of [0, 1, 10, 2, 3, 4, 5, 6, 7, 8, 9]) {
    if (n === 1)
      add('Cat', n, { badDeflate: true }); // damaged: does not inflate
    else if (n === 3)
      add('Cat', n, { data: withoutJfif(photo(3)) }); // no JFIF: dropped as TFDS does
    else add('Cat', n, { deflate: n % 2 === 0 });
  }
  members.push({ name: 'PetImages/Cat/Thumbs.db', data: Buffer.from('thumbnail cache') });
  // A second member for number 5: the first in the archive's order is kept, this one ignored.
  members.push({ name: 'PetImages/Cat/005.jpg', data: photo(505) });
  members.push({ name: 'PetImages/Cat/11.png', data: Buffer.from('\x89PNG\r\n\x1a\n not a jpeg') });
  for (const n of [0, 1, 10, 11, 2, 3, 4, 5, 6, 7, 8, 9]) {
    if (n === 2)
      add('Dog', n, { badCrc: true, deflate: false }); // damaged: CRC-32 mismatch
    else if (n === 4)
      add('Dog', n, { data: photo(104).subarray(0, 150) }); // JFIF, but truncated: does not decode
    else add('Dog', n);
  }
  members.push({ name: 'PetImages/Dog/Thumbs.db', data: Buffer.from('thumbnail cache') });
  return { members, photos };
}

const COUNTS: SplitCounts = { train: 3, validation: 2, test: 2 };
const EXPECTED = {
  train: { cats: ['cat.0.jpg', 'cat.2.jpg', 'cat.4.jpg'], dogs: ['dog.0.jpg', 'dog.1.jpg', 'dog.3.jpg'] },
  validation: { cats: ['cat.5.jpg', 'cat.6.jpg'], dogs: ['dog.5.jpg', 'dog.6.jpg'] },
  test: { cats: ['cat.7.jpg', 'cat.8.jpg'], dogs: ['dog.7.jpg', 'dog.8.jpg'] },
};

// ------------------------------------------------------------------ server and folders

const archives = new Map<string, Buffer>();
let requests = 0;
let server: Server;
let base = '';
let work = '';
let savedKerasHome: string | undefined;

function byNumber(a: string, b: string): number {
  return Number(a.split('.')[1]) - Number(b.split('.')[1]);
}

function listing(dir: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const split of readdirSync(dir)
    .filter((n) => n !== MARKER)
    .sort()) {
    out[split] = {};
    for (const cls of readdirSync(join(dir, split)).sort())
      out[split][cls] = readdirSync(join(dir, split, cls)).sort(byNumber);
  }
  return out;
}

function serve(path: string, zip: Buffer): { url: string; sha256: string; bytes: number; counts: SplitCounts } {
  archives.set(path, zip);
  return {
    url: `${base}${path}`,
    sha256: createHash('sha256').update(zip).digest('hex'),
    bytes: zip.length,
    counts: COUNTS,
  };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    const zip = archives.get(req.url ?? '');
    if (!zip) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length });
    res.end(zip);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${addr.port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'dawnflow-cvd-'));
  savedKerasHome = process.env.KERAS_HOME;
  process.env.KERAS_HOME = join(work, 'keras');
});

afterEach(() => {
  if (savedKerasHome === undefined) delete process.env.KERAS_HOME;
  else process.env.KERAS_HOME = savedKerasHome;
  rmSync(work, { recursive: true, force: true });
});

/** What is in `out` besides the split itself: lock files and partial folders must be gone. */
function leftovers(out: string): string[] {
  return existsSync(out) ? readdirSync(out).filter((n) => n !== 'cats_and_dogs_small') : [];
}

// ------------------------------------------------------------------ tests

describe('fetchCatsVsDogs', () => {
  test('builds the split in numeric order, skipping damaged and non-JFIF photos, then does nothing', async () => {
    const { members, photos } = kaggleMembers();
    const src = serve('/a/kagglecatsanddogs_5340.zip', makeZip(members));
    const out = join(work, 'data');
    mkdirSync(out);
    // A partial folder left by a fetch that died (its pid does not exist) is cleaned up.
    const abandoned = join(out, '.cats_and_dogs_small.partial-999999999-deadbeef');
    mkdirSync(join(abandoned, 'train'), { recursive: true });
    const lines: string[] = [];
    const before = requests;

    const r = await fetchCatsVsDogs({ out, log: (l) => lines.push(l), sources: src });

    expect(r).toEqual({ dir: join(out, 'cats_and_dogs_small'), created: true });
    expect(requests - before).toBe(1);
    expect(listing(r.dir)).toEqual(EXPECTED);
    for (const [split, classes] of Object.entries(EXPECTED)) {
      for (const [cls, files] of Object.entries(classes)) {
        for (const f of files) {
          const n = f.split('.')[1];
          const want = photos.get(`${cls === 'cats' ? 'Cat' : 'Dog'}/${n}`);
          expect(readFileSync(join(r.dir, split, cls, f)).equals(want!)).toBe(true);
        }
      }
    }
    expect(leftovers(out)).toEqual([]);
    expect(existsSync(join(work, 'keras', 'datasets', 'kagglecatsanddogs_5340.zip'))).toBe(true);

    const text = lines.join('\n');
    expect(text).toContain('lists 11 cat and 12 dog photos (9 other members ignored)');
    // Read: cats 0-8 and dogs 0-8 (the classes were full then); skipped: cat 3 (no JFIF),
    // cat 1 (bad deflate), dog 2 (CRC), dog 4 (truncated).
    expect(text).toContain('skipped 4 of the 18 photos read: 1 without a JFIF header');
    expect(text).toContain('3 damaged');
    expect(text).toContain(`wrote 14 photos to ${r.dir}`);

    const marker = JSON.parse(readFileSync(join(r.dir, MARKER), 'utf8'));
    expect(marker.source).toEqual({
      url: src.url,
      sha256: src.sha256,
      bytes: src.bytes,
      archive: 'kagglecatsanddogs_5340.zip',
    });
    expect(marker.skipped.no_jfif).toBe(1);
    expect(marker.skipped.damaged).toBe(3);
    expect(marker.skipped.members.map((s: { member: string }) => s.member)).toEqual([
      'PetImages/Cat/1.jpg',
      'PetImages/Cat/3.jpg',
      'PetImages/Dog/2.jpg',
      'PetImages/Dog/4.jpg',
    ]);
    const reasons = marker.skipped.members.map((s: { reason: string }) => s.reason);
    expect(reasons[1]).toBe('no JFIF header');
    expect(reasons[2]).toBe('damaged: CRC-32 mismatch');
    expect(reasons[3]).toMatch(/^damaged: does not decode/);
    expect(reasons[0]).toMatch(/^damaged: /);
    expect(marker.numbers.cats).toEqual({ train: [0, 4], validation: [5, 6], test: [7, 8] });

    // Second run: the marker is there; no request, nothing rewritten.
    const again: string[] = [];
    const mtime = readFileSync(join(r.dir, MARKER), 'utf8');
    const r2 = await fetchCatsVsDogs({ out, log: (l) => again.push(l), sources: src });
    expect(r2).toEqual({ dir: r.dir, created: false });
    expect(requests - before).toBe(1);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatch(/already there \(COMPLETE\.json\); nothing to do$/);
    expect(readFileSync(join(r.dir, MARKER), 'utf8')).toBe(mtime);
  });

  test('reuses an archive already in $KERAS_HOME/datasets without the network', async () => {
    const zip = makeZip(kaggleMembers().members);
    const datasets = join(work, 'keras', 'datasets');
    mkdirSync(datasets, { recursive: true });
    writeFileSync(join(datasets, 'kagglecatsanddogs_5340.zip'), zip);
    const src = serve('/reuse/kagglecatsanddogs_5340.zip', zip);
    const before = requests;
    const lines: string[] = [];
    const r = await fetchCatsVsDogs({ out: join(work, 'data'), log: (l) => lines.push(l), sources: src });
    expect(r.created).toBe(true);
    expect(requests - before).toBe(0);
    expect(lines[0]).toBe(
      `cats-vs-dogs: checking the archive already in ${join(datasets, 'kagglecatsanddogs_5340.zip')}`,
    );
    expect(listing(r.dir)).toEqual(EXPECTED);
  });

  test('takes its source from a map keyed by file name, as the CLI passes DAWNFLOW_INTERNAL_SOURCES', async () => {
    const src = serve('/map/kagglecatsanddogs_5340.zip', makeZip(kaggleMembers().members));
    const before = requests;
    const sources = {
      'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5': { url: `${base}/nothing`, md5: '0'.repeat(32) },
      'kagglecatsanddogs_5340.zip': src,
    };
    const r = await fetchCatsVsDogs({ out: join(work, 'data'), log: () => {}, sources: sources as never });
    expect(r.created).toBe(true);
    expect(requests - before).toBe(1);
    expect(listing(r.dir)).toEqual(EXPECTED);
    expect(JSON.parse(readFileSync(join(r.dir, MARKER), 'utf8')).source.url).toBe(src.url);
  });

  test.each([
    ['../evil.jpg', 'invalid relative path'],
    ['PetImages/Cat/../../../evil.jpg', 'invalid relative path'],
    ['/tmp/evil.jpg', 'absolute path'],
    ['PetImages\\Cat\\12.jpg', 'invalid characters in fileName'],
  ])('refuses an archive with the member %s, leaving nothing behind', async (name, why) => {
    const { members } = kaggleMembers();
    members.splice(8, 0, { name, data: photo(7) });
    const src = serve(`/evil/${encodeURIComponent(name)}/kagglecatsanddogs_5340.zip`, makeZip(members));
    const out = join(work, 'data');
    const err = await fetchCatsVsDogs({ out, log: () => {}, sources: src }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).not.toContain('\n');
    expect(err!.message).toBe(
      `refusing kagglecatsanddogs_5340.zip: member ${JSON.stringify(name)} would be written outside the target folder (${why}); nothing was extracted`,
    );
    expect(existsSync(join(out, 'cats_and_dogs_small'))).toBe(false);
    expect(leftovers(out)).toEqual([]);
    expect(existsSync(join(work, 'evil.jpg'))).toBe(false);
  });

  test('two fetches at once: one builds, the other finds it complete; one download', async () => {
    const src = serve('/twice/kagglecatsanddogs_5340.zip', makeZip(kaggleMembers().members));
    const out = join(work, 'data');
    const before = requests;
    const logs: string[][] = [[], []];
    const rs = await Promise.all(logs.map((l) => fetchCatsVsDogs({ out, log: (x) => l.push(x), sources: src })));
    expect(rs.map((r) => r.created).sort()).toEqual([false, true]);
    expect(rs[0].dir).toBe(rs[1].dir);
    expect(requests - before).toBe(1);
    expect(listing(rs[0].dir)).toEqual(EXPECTED);
    expect(existsSync(join(rs[0].dir, MARKER))).toBe(true);
    expect(leftovers(out)).toEqual([]);
    const loser = logs[rs.findIndex((r) => !r.created)];
    expect(loser.at(-1)).toMatch(/already there|another fetch finished/);
  });

  test('a folder in the way that is not a complete split is refused, not overwritten', async () => {
    const src = serve('/inway/kagglecatsanddogs_5340.zip', makeZip(kaggleMembers().members));
    const out = join(work, 'data');
    mkdirSync(join(out, 'cats_and_dogs_small', 'train'), { recursive: true });
    writeFileSync(join(out, 'cats_and_dogs_small', 'train', 'mine.jpg'), 'x');
    const before = requests;
    await expect(fetchCatsVsDogs({ out, log: () => {}, sources: src })).rejects.toThrow(
      /exists but is not a complete split .*move it aside/,
    );
    expect(requests - before).toBe(0);
    expect(readdirSync(join(out, 'cats_and_dogs_small'))).toEqual(['train']);
  });

  test('an unreachable URL fails within seconds, in one line naming the URL and where to put the zip', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const url = `http://127.0.0.1:${port}/kagglecatsanddogs_5340.zip`;
    const out = join(work, 'data');
    const t0 = Date.now();
    const err = await fetchCatsVsDogs({
      out,
      log: () => {},
      sources: { url, sha256: 'ab'.repeat(32), bytes: 1234, counts: COUNTS },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(err).toBeInstanceOf(DownloadError);
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    expect(msg).toContain(`cannot download ${url}`);
    expect(msg).toContain(
      `put the archive at ${join(work, 'keras', 'datasets', 'kagglecatsanddogs_5340.zip')} yourself (1234 bytes, sha256 ${'ab'.repeat(32)})`,
    );
    expect(existsSync(join(out, 'cats_and_dogs_small'))).toBe(false);
    expect(leftovers(out)).toEqual([]);
  });
});

describe('kaggle_zip helpers', () => {
  test("hasJfif looks where TFDS's peek(10) does: the first 512 bytes (CPython ZipExtFile.peek)", () => {
    const jfifAt = (i: number, len = 1024) => {
      const b = Buffer.alloc(len, 0x20);
      b.write('JFIF', i, 'latin1');
      return b;
    };
    expect(hasJfif(photo(1))).toBe(true); // JFIF at byte 6
    expect(hasJfif(withoutJfif(photo(1)))).toBe(false);
    expect(hasJfif(jfifAt(300))).toBe(true); // e.g. after a short Exif APP1
    expect(hasJfif(jfifAt(508))).toBe(true);
    expect(hasJfif(jfifAt(509))).toBe(false);
    expect(hasJfif(Buffer.alloc(0))).toBe(false); // an empty member (the archive has some)
    expect(hasJfif(jfifAt(2, 6))).toBe(true);
  });

  test('crc32 agrees with zlib', () => {
    for (const b of [Buffer.alloc(0), Buffer.from('hello'), photo(5)]) expect(crc32(b)).toBe(zlibCrc32(b));
  });

  test("checkName refuses what would leave the folder and passes the archive's own names", () => {
    for (const ok of ['PetImages/Cat/0.jpg', 'PetImages/Dog/Thumbs.db', 'readme[1].txt', 'PetImages/', 'a..b/c.jpg'])
      expect(checkName(ok)).toBeNull();
    expect(checkName('../x')).toMatch(/^invalid relative path/);
    expect(checkName('a/../../x')).toMatch(/^invalid relative path/);
    expect(checkName('/etc/x')).toMatch(/^absolute path/);
    expect(checkName('C:/x')).toMatch(/^absolute path/);
    expect(checkName('a\\b')).toMatch(/^invalid characters/);
    expect(checkName('a\u0000b')).toMatch(/^invalid characters/);
  });
});
