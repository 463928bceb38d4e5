// listImageFolder reproduces flow_from_directory's listing (keras-preprocessing 1.1), with clear
// errors where Keras would silently list nothing; plus the real cats-vs-dogs folders if present.
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import {
  compareCodePoints,
  foundLine,
  IMAGE_EXTENSIONS,
  isImageFile,
  listImageFolder,
} from '../../src/data/directory.js';
import { loadImage } from '../../src/data/load_img.js';
import { skipNote } from '../helpers/skip.js';

let root = '';

function touch(...parts: string[]): void {
  const path = join(root, ...parts);
  fs.mkdirSync(join(path, '..'), { recursive: true });
  fs.writeFileSync(path, '');
}

function listError(dir: string, o?: { classes?: string[] }): string {
  try {
    listImageFolder(dir, o);
  } catch (e) {
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  return '';
}

beforeAll(() => {
  root = fs.mkdtempSync(join(os.tmpdir(), 'dawnflow-dir-'));
  // Class names whose code-point order differs from localeCompare ('a' < 'B') and from UTF-16
  // order (the astral '😀' U+1F600 sorts after U+FF5A 'ｚ' by code point, before it in UTF-16).
  for (const c of ['a', 'B', '_x', 'Z', 'é', 'ｚ', '😀']) touch('tree', c, 'img.png');
  // Inside one class: names sorted as strings, extensions case-insensitive and without a dot,
  // non-images skipped, walked folders ordered by their path string: cats/s < cats/s-t <
  // cats/s/deep (since '-' < '/'), which is not a depth-first order.
  for (const f of ['cat.999.jpg', 'cat.1000.jpg', 'UPPER.JPEG', 'notes.txt', 'notapng', 'x.tif']) {
    touch('walk', 'cats', f);
  }
  touch('walk', 'cats', 's', 'deep', 'd.bmp');
  touch('walk', 'cats', 's', 'a.ppm');
  touch('walk', 'cats', 's-t', 'b.png');
  touch('walk', 'dogs', 'dog.1.jpg');
  fs.symlinkSync(join(root, 'walk', 'dogs'), join(root, 'walk', 'cats', 'linked'));
  touch('someempty', 'cats', 'c.jpg');
  touch('someempty', 'dogs', 'readme.txt');
  touch('allempty', 'cats', 'readme.txt');
  fs.mkdirSync(join(root, 'allempty', 'dogs'));
  touch('noclasses', 'loose.jpg');
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('listImageFolder', () => {
  test('classes are the sub-folders in Python string (code point) order', () => {
    const f = listImageFolder(join(root, 'tree'));
    expect(f.classes).toEqual(['B', 'Z', '_x', 'a', 'é', 'ｚ', '😀']);
    expect(f.classIndices).toEqual({ B: 0, Z: 1, _x: 2, a: 3, é: 4, ｚ: 5, '😀': 6 });
    expect(Array.from(f.labels)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(f.files[6]).toBe('😀/img.png');
  });

  test("files follow Keras's walk: sorted names, folders by path, links not followed", () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const f = listImageFolder(join(root, 'walk'));
    expect(f.classes).toEqual(['cats', 'dogs']);
    expect(f.files).toEqual([
      'cats/UPPER.JPEG',
      'cats/cat.1000.jpg',
      'cats/cat.999.jpg',
      'cats/notapng',
      'cats/s/a.ppm',
      'cats/s-t/b.png',
      'cats/s/deep/d.bmp',
      'dogs/dog.1.jpg',
    ]);
    expect(Array.from(f.labels)).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(foundLine(f)).toBe('Found 8 images belonging to 2 classes.');
    // TIFF (on Keras's list, but not decodable here) is left out with one warning naming it.
    expect(f.leftOut).toEqual(['cats/x.tif']);
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
      expect.stringMatching(
        /^dawnflow: warning: .*walk: leaving out 1 TIFF file\(s\), which Keras would read .*: cats\/x\.tif; convert/,
      ),
    ]);
    listImageFolder(join(root, 'walk'));
    expect(warn).toHaveBeenCalledTimes(1); // once per folder, however often it is listed
    warn.mockRestore();
  });

  test('an explicit class list keeps its order and may leave folders out', () => {
    const f = listImageFolder(join(root, 'walk'), { classes: ['dogs', 'cats'] });
    expect(f.classIndices).toEqual({ dogs: 0, cats: 1 });
    expect(f.files[0]).toBe('dogs/dog.1.jpg');
    expect(Array.from(f.labels.subarray(0, 2))).toEqual([0, 1]);
    expect(listImageFolder(join(root, 'tree'), { classes: ['a'] }).files).toEqual(['a/img.png']);
  });

  test("the extension list is Keras 2.3's, matched on the lowercased name", () => {
    expect(IMAGE_EXTENSIONS).toEqual(['png', 'jpg', 'jpeg', 'bmp', 'ppm', 'tif', 'tiff']);
    expect(['a.PNG', 'b.Jpeg', 'c.TIFF', 'xjpg'].every(isImageFile)).toBe(true);
    expect(['a.gif', 'b.webp', 'c.jpg.txt', 'png.d'].some(isImageFile)).toBe(false);
  });

  test('code-point comparison', () => {
    expect(['b', 'B', 'a', '😀', 'ｚ', 'ab', ''].sort(compareCodePoints)).toEqual([
      '',
      'B',
      'a',
      'ab',
      'b',
      'ｚ',
      '😀',
    ]);
  });

  test('unusable folders are one-line errors naming the path and the fix', () => {
    const at = (...parts: string[]) => join(root, ...parts);
    expect(listError(at('missing'))).toMatch(/^dawnflow: .*missing: folder not found; check the path/);
    expect(listError(at('noclasses', 'loose.jpg'))).toMatch(/loose\.jpg: not a folder; pass the folder/);
    expect(listError(at('noclasses'))).toMatch(/noclasses: no class sub-folders; it should hold one/);
    expect(listError(at('someempty'))).toMatch(
      new RegExp(
        '^dawnflow: \\S*someempty/dogs: class folder has no images ' +
          '\\(looked for png, jpg, jpeg, bmp, ppm, tif, tiff\\); add images or remove the folder',
      ),
    );
    expect(listError(at('allempty'))).toMatch(/allempty: no images in any class folder/);
    const walk = at('walk');
    expect(listError(walk, { classes: ['cats', 'birds'] })).toMatch(/walk\/birds: class folder not found/);
    expect(listError(walk, { classes: ['cats', 'cats'] })).toMatch(/bad classes entry "cats"/);
  });
});

const SHARED = fileURLToPath(new URL('../../../shared/data/cats_and_dogs_small/', import.meta.url));
const haveData = fs.existsSync(join(SHARED, 'train'));

// The real photos are optional (not in the repository): absent, these are reported as skipped.
describe.skipIf(!haveData)(
  skipNote('cats_and_dogs_small', haveData, `the optional real photos are absent (${join(SHARED, 'train')} not found)`),
  () => {
    test('train lists 2000 files in two classes, as Keras prints', () => {
      const f = listImageFolder(join(SHARED, 'train'));
      expect(f.classes).toEqual(['cats', 'dogs']);
      expect(foundLine(f)).toBe('Found 2000 images belonging to 2 classes.');
      expect(f.files.slice(0, 3)).toEqual(['cats/cat.1.jpg', 'cats/cat.10.jpg', 'cats/cat.100.jpg']);
      expect(f.files[1000]).toBe('dogs/dog.1.jpg');
      expect(f.labels.reduce((a, b) => a + b, 0)).toBe(1000);
    });

    test('the first 20 photos decode and resize to 150x150', () => {
      const f = listImageFolder(join(SHARED, 'train'));
      for (const file of f.files.slice(0, 20)) {
        const img = loadImage(join(SHARED, 'train', file), { targetSize: [150, 150] });
        expect([img.width, img.height, img.data.length]).toEqual([150, 150, 150 * 150 * 3]);
      }
    });
  },
);
