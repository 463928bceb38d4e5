// resizeNearest / resizeBilinear against outputs produced once with Pillow 9.4 (hex literals
// below), so the tests pin Pillow's exact arithmetic without needing Python.
import { describe, expect, test } from 'vitest';
import type { RgbImage } from '../../src/data/rgb_image.js';
import { bilinearCoeffs, nearestIndex, resizeBilinear, resizeNearest } from '../../src/data/resize.js';

// A 7x5 image with sharp jumps: value (x * 37 + y * 91 + c * 53) mod 256.
function source(): RgbImage {
  const data = new Uint8Array(7 * 5 * 3);
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 7; x++) {
      for (let c = 0; c < 3; c++) data[(y * 7 + x) * 3 + c] = (x * 37 + y * 91 + c * 53) % 256;
    }
  }
  return { width: 7, height: 5, data };
}

// Image.fromarray(source).resize((w, h), Image.BILINEAR).tobytes().hex(), Pillow 9.4.
const PIL_BILINEAR: Record<string, string> = {
  '3x4': '376c9382a8a8a386688a9180838e635f74a95f6675608f98a9a97e75aab68c726753727d',
  '11x9':
    '00356a11467b285d924075aa578cc16fa4d987bcf19ed3c2b6eb37cd7737de13481e53882f6499467ba95e938a' +
    '75aa8a8dc2a2a5a4baa59ca287b44e966e55a731665186bb6297cc79aece91c656a8dd2ec0f546d87c5eb1406e' +
    '3858733a60884b649983b87c94958da16f97718754699e4481b65c99737489568b466ea35085ba6196cbb6eb20' +
    'c78731c713483c2b600d4277255a8f3d72a75489be6ca1d683b8ed94c9fe5a8f536b6c6478467b485e934075aa' +
    '588dc270a57f87bc629fd47ab69d91c76da21b50852c61964378ab5b90b0729dc08aa3d890bb5f9dd223b5ea3b' +
    'cc8552dd2e634e83b85f94c976abd08ec37ca59c64bd477c685f5e417656598e6e7077858161966ca1d67db2e7' +
    '94c9e7ace15cc39b2ddb104550285d0a3f7422578c396ea34a7fb4',
  '7x2': '4f847f746fa45f946084b985a9759f659a728a6297578c877c77ac679c748c6f995f895579ae7a9e6a9f',
  '4x5':
    '13487d4d82b791c6c8cb7a416ea3cca8dd45b96956325b90bd843336386d477cb181b6eb24598e5e93c8a2d754' +
    'dc8b467fb4ddb9a656453267376ca1',
  '2x1': '6f85877d8a85',
};

const hex = (img: RgbImage) => Buffer.from(img.data).toString('hex');

describe('resizeBilinear', () => {
  test.each(Object.keys(PIL_BILINEAR))('7x5 -> %s matches Pillow byte for byte', (size) => {
    const [w, h] = size.split('x').map(Number);
    const out = resizeBilinear(source(), w, h);
    expect([out.width, out.height]).toEqual([w, h]);
    expect(hex(out)).toBe(PIL_BILINEAR[size]);
  });

  test('shrinking widens the triangle filter (support = scale), weights sum to 1.0 in Q22', () => {
    const { ksize, bounds, weights } = bilinearCoeffs(499, 150);
    expect(ksize).toBe(Math.ceil(499 / 150) * 2 + 1); // 9 taps, not bilinear's usual 2
    for (let o = 0; o < 150; o++) {
      let sum = 0;
      for (let t = 0; t < bounds[o * 2 + 1]; t++) sum += weights[o * ksize + t];
      expect(Math.abs(sum - 2 ** 22)).toBeLessThanOrEqual(ksize);
    }
  });

  test('same size is an unaliased copy', () => {
    const src = source();
    const out = resizeBilinear(src, 7, 5);
    expect(out.data).toEqual(src.data);
    expect(out.data).not.toBe(src.data);
  });
});

describe('resizeNearest', () => {
  // Image.fromarray(np.arange(s).reshape(1, s)).resize((d, 1), NEAREST), Pillow 9.4.
  test.each([
    [7, 3, [1, 3, 5]],
    [3, 7, [0, 0, 1, 1, 1, 2, 2]],
    [5, 2, [1, 3]],
    [10, 4, [1, 3, 6, 8]],
    // (x + 0.5) * 2 / 7 is exactly 1 at x = 3, but Pillow's running sum lands just below it.
    [2, 7, [0, 0, 0, 0, 1, 1, 1]],
    [4, 14, [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3]],
  ])("%i -> %i picks Pillow's columns", (src, dst, want) => {
    expect(Array.from(nearestIndex(src, dst))).toEqual(want);
  });

  // The 150x150 cases of the chapter: with ratios 4/3 and 2/3 many columns are exact ties, and
  // about half of them (x = 4, 16, 19, ...) fall on the lower column in Pillow.
  test.each([
    [
      200,
      '000203040507080a0b0c0e0f10121314151718191b1c1d1f202123242627282a2b2c2e2f3032333436373' +
        '83a3b3c3e3f404243444647484a4b4c4e4f50515354555758595b5c5d5f60616364656768696b6c6d6f7071' +
        '7374757778797b7c7d7f80818384858788898b8c8d8f909193949597989a9b9c9e9fa0a2a3a4a6a7a8aaabac' +
        'aeafb0b2b3b4b6b7b8babbbcbebfc0c2c3c4c6c7',
    ],
    [
      100,
      '0001010202030405050607070809090a0a0b0c0c0d0e0e0f1010111213131415151617171819191a1b1b1c' +
        '1d1d1e1f1f2021212223232425252627272828292a2a2b2c2c2d2e2e2f30303132323334343536363738383' +
        '93a3a3b3c3c3d3e3e3f4040414242434444454646474848494a4a4b4c4d4d4e4f4f50515152535354555556' +
        '57575859595a5b5b5c5d5d5e5f5f606161626363',
    ],
  ])("%i -> 150 picks Pillow's columns, ties included", (src, want) => {
    expect(Buffer.from(nearestIndex(src, 150)).toString('hex')).toBe(want);
    expect(nearestIndex(src, 150)[4]).toBe(Math.floor((9 * src) / 300) - 1); // a tie that flips
  });

  test('without exact ties the grid is floor((x + 0.5) * src / dst) (pixel centres)', () => {
    for (const [src, dst] of [
      [499, 150],
      [375, 150],
      [255, 254],
      [150, 224],
    ]) {
      const idx = nearestIndex(src, dst);
      idx.forEach((v, x) => expect(v).toBe(Math.floor(((2 * x + 1) * src) / (2 * dst))));
    }
  });

  test('copies whole pixels from the chosen rows and columns', () => {
    const src = source();
    const out = resizeNearest(src, 3, 2);
    const cols = nearestIndex(7, 3);
    const rows = nearestIndex(5, 2);
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 3; x++) {
        const s = (rows[y] * 7 + cols[x]) * 3;
        expect(Array.from(out.data.subarray((y * 3 + x) * 3, (y * 3 + x) * 3 + 3))).toEqual(
          Array.from(src.data.subarray(s, s + 3)),
        );
      }
    }
  });

  test('bad target sizes are one-line errors', () => {
    expect(() => resizeNearest(source(), 0, 5)).toThrow(
      /^dawnflow: resize: target size 0x5 must be positive integers$/,
    );
    expect(() => resizeBilinear(source(), 2.5, 5)).toThrow(/must be positive integers/);
  });
});
