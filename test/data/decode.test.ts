// decodeImage against PIL's Image.open(f).convert('RGB') rules. Every expected value below was
// also checked once against Pillow 9.4 on the same files (see the report); the files are
// built here with known samples so the tests need neither PIL nor fixtures on disk. JPEG pixels
// are also compared with PIL's own output in decode_jpeg_pil.test.ts.
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { describe, expect, test } from 'vitest';
import { decodeImage, sniffFormat } from '../../src/data/decode.js';
import type { RgbImage } from '../../src/data/rgb_image.js';
import { largestFrame } from '../../src/data/jpeg_markers.js';
import { roundHalfEven } from '../../src/data/decode_pnm.js';
import { bmpBytes, flatJpeg, pngBytes, pnmBytes, type PngSpec } from '../helpers/images.js';
import { mulberry32 } from '../helpers/random.js';

const W = 5; // odd widths exercise bit packing and BMP row padding
const H = 3;

function ints(n: number, max: number, seed: number): number[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => Math.floor(rnd() * (max + 1)));
}

type Expected = (pixel: number, channel: number) => number;

function expectRgb(img: RgbImage, w: number, h: number, rgb: Expected): void {
  expect([img.width, img.height]).toEqual([w, h]);
  const want = Array.from({ length: w * h * 3 }, (_, i) => rgb(Math.floor(i / 3), i % 3));
  expect(Array.from(img.data)).toEqual(want);
}

function expectError(bytes: Uint8Array, name: string, pattern: RegExp): void {
  let message = '';
  try {
    decodeImage(bytes, name);
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toMatch(pattern);
  expect(message.startsWith(`dawnflow: ${name}: `)).toBe(true);
  expect(message).not.toContain('\n');
}

describe('PNG, every colour type and depth', () => {
  const png = (s: Omit<PngSpec, 'width' | 'height'>) => decodeImage(pngBytes({ width: W, height: H, ...s }), 'x.png');

  test.each([1, 2, 4, 8] as const)('gray %i-bit scales to 0..255 as PIL unpacks it', (depth) => {
    const max = 2 ** depth - 1;
    const s = ints(W * H, max, depth);
    expectRgb(png({ colorType: 0, depth, samples: s }), W, H, (p) => (s[p] * 255) / max);
  });

  test('gray 16-bit clips at 255 (PIL opens it as mode I)', () => {
    const s = [0, 200, 255, 256, 1000, 65535, ...ints(W * H - 6, 65535, 16)];
    expectRgb(png({ colorType: 0, depth: 16, samples: s }), W, H, (p) => Math.min(s[p], 255));
  });

  test.each([8, 16] as const)('gray+alpha, RGB, RGBA %i-bit: high byte, no alpha', (depth) => {
    const hi = (v: number) => (depth === 16 ? v >> 8 : v);
    const max = 2 ** depth - 1;
    const ga = ints(W * H * 2, max, 4);
    expectRgb(png({ colorType: 4, depth, samples: ga }), W, H, (p) => hi(ga[p * 2]));
    const rgb = ints(W * H * 3, max, 2);
    expectRgb(png({ colorType: 2, depth, samples: rgb }), W, H, (p, c) => hi(rgb[p * 3 + c]));
    const rgba = ints(W * H * 4, max, 6);
    expectRgb(png({ colorType: 6, depth, samples: rgba }), W, H, (p, c) => hi(rgba[p * 4 + c]));
  });

  test("16-bit takes the high byte, not pngjs's round(v / 257)", () => {
    const s = new Array(W * H * 3).fill(0x12f0); // 4848: high byte 18, 4848 / 257 = 18.9
    expect(png({ colorType: 2, depth: 16, samples: s }).data[0]).toBe(0x12);
  });

  test.each([1, 2, 4, 8] as const)('palette %i-bit maps indices through PLTE', (depth) => {
    const palette = ints(2 ** depth * 3, 255, 10 + depth);
    const idx = ints(W * H, 2 ** depth - 1, 20 + depth);
    const img = png({ colorType: 3, depth, samples: idx, palette });
    expectRgb(img, W, H, (p, c) => palette[idx[p] * 3 + c]);
  });

  test('tRNS is ignored: keyed pixels keep their colour (pngjs would blank them)', () => {
    const gray = ints(W * H, 255, 30);
    gray[3] = 77;
    const g = png({ colorType: 0, depth: 8, samples: gray, trns: [0, 77] });
    expectRgb(g, W, H, (p) => gray[p]);
    const rgb = ints(W * H * 3, 65535, 31);
    rgb.splice(6, 3, 4000, 5000, 60000);
    const key = [4000 >> 8, 4000 & 255, 5000 >> 8, 5000 & 255, 60000 >> 8, 60000 & 255];
    const c16 = png({ colorType: 2, depth: 16, samples: rgb, trns: key });
    expectRgb(c16, W, H, (p, c) => rgb[p * 3 + c] >> 8);
    const palette = ints(16 * 3, 255, 32);
    const idx = ints(W * H, 15, 33);
    const pt = png({ colorType: 3, depth: 8, samples: idx, palette, trns: [0, 128, 255] });
    expectRgb(pt, W, H, (p, c) => palette[idx[p] * 3 + c]);
  });

  test('files written by pngjs decode to their pixels', () => {
    const rgba = Buffer.from(ints(W * H * 4, 255, 40));
    const file = pngjs.PNG.sync.write(Object.assign(new pngjs.PNG({ width: W, height: H }), { data: rgba }), {
      colorType: 6,
    });
    expectRgb(decodeImage(file, 'w.png'), W, H, (p, c) => rgba[p * 4 + c]);
  });

  test('bytes after IEND and a missing IEND are accepted, as PIL does', () => {
    const samples = ints(W * H * 3, 255, 5);
    const file = pngBytes({ width: W, height: H, colorType: 2, depth: 8, samples });
    const ref = decodeImage(file, 'a.png').data;
    const trailing = Buffer.concat([file, Buffer.from('trailing junk')]);
    expect(decodeImage(trailing, 'b.png').data).toEqual(ref);
    expect(decodeImage(file.subarray(0, file.length - 12), 'c.png').data).toEqual(ref);
  });
});

describe('JPEG', () => {
  // Stored samples of the flat test blocks; the last four are extremes for the CMYK formula.
  const rnd3 = ints(18, 255, 51);
  const b3 = Array.from({ length: 6 }, (_, i) => rnd3.slice(i * 3, i * 3 + 3));
  const rnd4 = ints(24, 255, 52);
  const b4 = [
    ...Array.from({ length: 6 }, (_, i) => rnd4.slice(i * 4, i * 4 + 4)),
    [0, 0, 0, 0],
    [255, 255, 255, 255],
    [255, 0, 128, 255],
    [10, 200, 30, 128],
  ];
  const perPixel = (blocks: number[][], w: number) => (p: number) => blocks[Math.floor((p % w) / 8)];
  // libjpeg's YCbCr -> RGB (jdcolor.c): 16-bit fixed-point tables, rounded, then clamped.
  const FIX = (x: number) => Math.round(x * 65536);
  const HALF = 1 << 15;
  const yccToRgb = ([y, cb, cr]: number[]) =>
    [
      y + ((FIX(1.402) * (cr - 128) + HALF) >> 16),
      y + ((-FIX(0.34414) * (cb - 128) + HALF - FIX(0.71414) * (cr - 128)) >> 16),
      y + ((FIX(1.772) * (cb - 128) + HALF) >> 16),
    ].map((v) => Math.min(255, Math.max(0, v)));

  test("YCbCr is converted with libjpeg's own tables, exactly", () => {
    const at = perPixel(b3, 48);
    // JFIF wins over R,G,B ids, as in libjpeg.
    const specs = [{ jfif: true, ids: [1, 2, 3] }, { ids: [1, 2, 3] }, { jfif: true, ids: [82, 71, 66] }];
    for (const spec of specs) {
      const img = decodeImage(flatJpeg({ blocksWide: 6, blocks: b3, ...spec }), 'ycc.jpg');
      expectRgb(img, 48, 8, (p, c) => yccToRgb(at(p))[c]);
    }
  });

  // Pillow's CMYK;I + cmyk2rgb: r = nk - MULDIV255(c, nk), with c = 255 - stored C, nk = stored K.
  const muldiv255 = (a: number, b: number) => {
    const t = a * b + 128;
    return ((t >> 8) + t) >> 8;
  };
  const pilCmyk = (s: number[], c: number) => s[3] - muldiv255(255 - s[c], s[3]);

  test("Adobe CMYK is converted with Pillow's formula, exactly", () => {
    const file = flatJpeg({ blocksWide: 10, ids: [1, 2, 3, 4], blocks: b4, adobe: 0 });
    const img = decodeImage(file, 'cmyk.jpg');
    const at = perPixel(b4, 80);
    expectRgb(img, 80, 8, (p, c) => pilCmyk(at(p), c));
    // Plain CMYK (no Adobe marker) is read with Adobe conventions too, like libjpeg + PIL.
    const plain = decodeImage(flatJpeg({ blocksWide: 10, ids: [1, 2, 3, 4], blocks: b4 }), 'p.jpg');
    expect(plain.data).toEqual(img.data);
  });

  test("YCCK (Adobe transform 2) converts through libjpeg's YCbCr, then Pillow's CMYK rule", () => {
    const file = flatJpeg({ blocksWide: 10, ids: [1, 2, 3, 4], blocks: b4, adobe: 2 });
    const img = decodeImage(file, 'y.jpg');
    const at = perPixel(b4, 80);
    expectRgb(img, 80, 8, (p, c) => {
      const stored = yccToRgb(at(p)).map((x) => 255 - x); // libjpeg's YCCK -> CMYK output
      return pilCmyk([...stored, at(p)[3]], c);
    });
  });

  test('a jpeg-js quality-100 file decodes to its source within 4 levels (mean < 1)', () => {
    const w = 48;
    const h = 32;
    const src = Buffer.alloc(w * h * 4, 255);
    for (let p = 0; p < w * h; p++) {
      src.set([(p % w) * 5, Math.floor(p / w) * 7, 100 + (p % 37)], p * 4);
    }
    const img = decodeImage(jpeg.encode({ width: w, height: h, data: src }, 100).data, 'q.jpg');
    let sum = 0;
    img.data.forEach((v, i) => {
      const d = Math.abs(v - src[Math.floor(i / 3) * 4 + (i % 3)]);
      expect(d).toBeLessThanOrEqual(4);
      sum += d;
    });
    expect(sum / img.data.length).toBeLessThan(1);
  });

  test('the marker scan finds the largest frame before the first scan', () => {
    const file = flatJpeg({ blocksWide: 3, ids: [1], blocks: [[1], [2], [3]] });
    expect(largestFrame(file)).toEqual({ width: 24, height: 8 });
    expect(largestFrame(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).toBeNull();
  });

  test('truncated, corrupt and empty JPEGs are one-line errors; a cut scan and bytes after EOI are fine', () => {
    const noise = Buffer.from(ints(64 * 64 * 4, 255, 9));
    const file = jpeg.encode({ width: 64, height: 64, data: noise }, 90).data;
    expectError(file.subarray(0, file.length >> 1), 'half.jpg', /truncated JPEG \(no end-of-image/);
    expectError(file.subarray(0, 2), 'soi.jpg', /truncated JPEG/);
    // An FF D9 inside a comment does not make a cut file whole: libjpeg runs out of data, PIL says
    // "image file is truncated".
    const comment = Buffer.from([0xff, 0xfe, 0, 4, 0xff, 0xd9]);
    const withComment = Buffer.concat([file.subarray(0, 2), comment, file.subarray(2)]);
    expectError(
      withComment.subarray(0, withComment.length >> 1),
      'cut.jpg',
      /truncated JPEG \(libjpeg-turbo: Premature end of JPEG file\)/,
    );
    expectError(
      Buffer.from([0xff, 0xd8, 0xff, 0xd9]),
      'empty.jpg',
      /corrupt or unsupported JPEG \(libjpeg-turbo: JPEG datastream contains no image\)/,
    );
    // A scan that stops at an EOI is padded by libjpeg with a warning, and PIL returns it too.
    const stopped = Buffer.concat([file.subarray(0, file.length >> 1), Buffer.from([0xff, 0xd9])]);
    expect(decodeImage(stopped, 'stopped.jpg').width).toBe(64);
    const ok = decodeImage(file, 'a.jpg');
    expect(decodeImage(Buffer.concat([file, Buffer.alloc(50)]), 'b.jpg').data).toEqual(ok.data);
  });

  test('a JPEG header claiming gigapixels, or more pixels than its bytes hold, is refused first', () => {
    const sof = (h: number, w: number) => [0xff, 0xc0, 0, 11, 8, h >> 8, h & 255, w >> 8, w & 255, 1, 1, 0x11, 0];
    expectError(
      Buffer.from([0xff, 0xd8, ...sof(65535, 65535), 0xff, 0xd9]),
      'big.jpg',
      /claims 65535x65535 pixels, more than PIL opens/,
    );
    expectError(
      Buffer.from([0xff, 0xd8, ...sof(4000, 3000), 0xff, 0xd9]),
      'mid.jpg',
      /claims 3000x4000 pixels, which its 17 bytes cannot hold/,
    );
  });
});

describe('BMP', () => {
  const rgb = ints(W * H * 3, 255, 60);
  const direct = (p: number, c: number) => rgb[p * 3 + c];

  test.each([
    ['24-bit bottom-up', { bits: 24 }],
    ['24-bit top-down', { bits: 24, topDown: true }],
    ['32-bit BGRX', { bits: 32 }],
    ['24-bit OS/2 core header', { bits: 24, core: true }],
  ] as const)('%s', (_, spec) => {
    const file = bmpBytes({ width: W, height: H, pixels: rgb, ...spec });
    expectRgb(decodeImage(file, 'a.bmp'), W, H, direct);
  });

  test.each([1, 4, 8] as const)('%i-bit palette', (bits) => {
    const palette = ints(2 ** bits * 3, 255, 61);
    const idx = ints(W * H, 2 ** bits - 1, 62);
    const img = decodeImage(bmpBytes({ width: W, height: H, bits, pixels: idx, palette }), 'p.bmp');
    expectRgb(img, W, H, (p, c) => palette[idx[p] * 3 + c]);
  });

  test('truncated, compressed and 16-bit BMPs are one-line errors', () => {
    const file = bmpBytes({ width: W, height: H, bits: 24, pixels: rgb });
    expectError(file.subarray(0, file.length - 1), 't.bmp', /truncated BMP/);
    expectError(file.subarray(0, 20), 'h.bmp', /truncated BMP/);
    const rle = Buffer.from(file);
    rle.writeUInt32LE(1, 30);
    expectError(rle, 'rle.bmp', /compressed BMP \(compression type 1\) is not supported/);
    const b16 = Buffer.from(file);
    b16.writeUInt16LE(16, 28);
    expectError(b16, '16.bmp', /16-bit BMP is not supported yet; convert to PNG/);
  });
});

describe('PPM / PGM', () => {
  const rgb = ints(W * H * 3, 255, 70);

  test('P6 and P3 (with comments anywhere in the header) give the stored samples', () => {
    expectRgb(decodeImage(pnmBytes('P6', W, H, 255, rgb), 'a.ppm'), W, H, (p, c) => rgb[p * 3 + c]);
    const commented = `P6 #c\n${W}#x\n ${H} 255\n`;
    const p6c = decodeImage(pnmBytes('P6', W, H, 255, rgb, commented), 'b.ppm');
    expectRgb(p6c, W, H, (p, c) => rgb[p * 3 + c]);
    const p3 = pnmBytes('P3', W, H, 255, rgb, `P3\n# made by hand\n${W} ${H}\n255\n`);
    expectRgb(decodeImage(p3, 'c.ppm'), W, H, (p, c) => rgb[p * 3 + c]);
  });

  test('P5 and P2 graymaps are replicated', () => {
    const g = ints(W * H, 255, 71);
    expectRgb(decodeImage(pnmBytes('P5', W, H, 255, g), 'g.ppm'), W, H, (p) => g[p]);
    expectRgb(decodeImage(pnmBytes('P2', W, H, 255, g), 'g2.ppm'), W, H, (p) => g[p]);
  });

  test('other maxvals rescale with round-half-even; 16-bit gray clips like PIL mode I', () => {
    const s = ints(W * H * 3, 100, 72);
    const scale = (v: number, max: number) => roundHalfEven((v / max) * 255);
    const m100 = decodeImage(pnmBytes('P6', W, H, 100, s), 'm.ppm');
    expectRgb(m100, W, H, (p, c) => scale(s[p * 3 + c], 100));
    const wide = ints(W * H * 3, 1000, 73);
    const img = decodeImage(pnmBytes('P6', W, H, 1000, wide), 'w.ppm');
    expectRgb(img, W, H, (p, c) => scale(wide[p * 3 + c], 1000));
    const g16 = [0, 255, 256, ...ints(W * H - 3, 65535, 74)];
    const gray16 = decodeImage(pnmBytes('P5', W, H, 65535, g16), 'i.ppm');
    expectRgb(gray16, W, H, (p) => Math.min(g16[p], 255));
    expect([0.5, 1.5, 2.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 2, 3]);
  });

  test('truncated data, bad values and bitmaps are one-line errors', () => {
    expectError(pnmBytes('P6', W, H, 255, rgb).subarray(0, 20), 't.ppm', /truncated PPM/);
    expectError(Buffer.from('P6\n5'), 'h.ppm', /corrupt PPM header \(ends early\)/);
    expectError(Buffer.from('P3\n1 1\n255\n1 2 300\n'), 'v.ppm', /corrupt PPM value '300'/);
    expectError(Buffer.from('P4\n1 1\n\0'), 'b.ppm', /PBM bitmaps \(P1\/P4\) are not supported/);
  });
});

describe('sniffing and unusable files', () => {
  test('the content decides the format, not the extension', () => {
    const file = pngBytes({ width: 1, height: 1, colorType: 2, depth: 8, samples: [1, 2, 3] });
    expect(sniffFormat(file)).toBe('png');
    expect(Array.from(decodeImage(file, 'really_a_png.jpg').data)).toEqual([1, 2, 3]);
  });

  test('empty, non-image, TIFF, GIF and WebP files are one-line errors naming the file', () => {
    expectError(new Uint8Array(0), 'zero.jpg', /empty file \(0 bytes\)/);
    const html = Buffer.from('<html>404</html>');
    expectError(html, 'page.jpg', /not an image \(starts with 3c 68 74 6d\)/);
    const tiffLE = Buffer.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]);
    expectError(tiffLE, 'scan.tif', /TIFF is not supported yet; convert to PNG/);
    const tiffBE = Buffer.from([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8]);
    expectError(tiffBE, 'scan.tiff', /TIFF is not supported yet/);
    expectError(Buffer.from('GIF89a\x01\x00'), 'anim.jpg', /is a GIF file/);
    expectError(Buffer.from('RIFF\0\0\0\0WEBPVP8 '), 'x.png', /is a WEBP file/);
  });
});
