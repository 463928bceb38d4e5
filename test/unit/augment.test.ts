// ImageDataGenerator augmentation on the CPU: keras-preprocessing 1.1's draw order and ranges
// (with a stub generator), the affine matrix, and the float64 warp against SciPy's numbers.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  CHAPTER_AUGMENTATION,
  isIdentity,
  randomTransform,
  transformMatrix,
  warpReference,
  type TransformParams,
} from '../../src/data/augment.js';
import type { FillMode } from '../../src/kernels/augment.js';
import { Rng } from '../../src/tensor/random.js';
import { expectClose } from '../helpers/allclose.js';

/** Returns the given uniforms in order and counts them; throws when they run out. */
class StubRng extends Rng {
  used = 0;
  constructor(private values: number[]) {
    super(0);
  }
  override next(): number {
    if (this.used >= this.values.length) throw new Error('stub generator exhausted');
    return this.values[this.used++];
  }
}

const NO_FLIP = { flipHorizontal: false, flipVertical: false };
const params = (p: Partial<TransformParams>): TransformParams => ({
  theta: 0,
  tx: 0,
  ty: 0,
  shear: 0,
  zx: 1,
  zy: 1,
  ...NO_FLIP,
  ...p,
});

describe('randomTransform', () => {
  test('chapter settings: theta, tx (height), ty (width), shear, zx, zy, flipH, flipV in order', () => {
    const u = [0.9, 0.25, 0.6, 0.1, 0.3, 0.75, 0.2, 0.1];
    const rng = new StubRng(u);
    const p = randomTransform(CHAPTER_AUGMENTATION, 150, 100, rng);
    expect(rng.used).toBe(8);
    expect(p.theta).toBeCloseTo((2 * u[0] - 1) * 40, 12);
    expect(p.tx).toBeCloseTo((2 * u[1] - 1) * 0.2 * 150, 12);
    expect(p.ty).toBeCloseTo((2 * u[2] - 1) * 0.2 * 100, 12);
    expect(p.shear).toBeCloseTo((2 * u[3] - 1) * 2, 12);
    expect(p.zx).toBeCloseTo(0.8 + 0.4 * u[4], 12);
    expect(p.zy).toBeCloseTo(0.8 + 0.4 * u[5], 12);
    // u < 0.5 flips; the vertical draw is made but vertical_flip is off.
    expect(p.flipHorizontal).toBe(true);
    expect(p.flipVertical).toBe(false);
    const noFlip = new StubRng([...u.slice(0, 6), 0.5, 0]);
    expect(randomTransform(CHAPTER_AUGMENTATION, 150, 100, noFlip).flipHorizontal).toBe(false);
  });

  test('the two flip draws are always consumed, even with flips off; zero ranges draw nothing', () => {
    const rng = new StubRng([0.1, 0.1]);
    const p = randomTransform({}, 10, 10, rng);
    expect(rng.used).toBe(2);
    expect(isIdentity(p)).toBe(true);
    const r2 = new StubRng([0.75, 0.2, 0.3]);
    const q = randomTransform({ rotationRange: 10, zoomRange: 0, verticalFlip: true }, 10, 10, r2);
    expect(r2.used).toBe(3);
    expect(q.theta).toBeCloseTo(5, 12);
    expect([q.flipHorizontal, q.flipVertical]).toEqual([false, true]);
  });

  test('pixel shift ranges >= 1 are not scaled; zoom [lo, hi] draws zx then zy; [1, 1] draws none', () => {
    const rng = new StubRng([1, 0, 0.5, 0.25, 0.5, 0.5]);
    const p = randomTransform({ heightShiftRange: 2.5, widthShiftRange: 3.5, zoomRange: [0.5, 2] }, 40, 30, rng);
    // np.random.uniform(lo, hi) = lo + (hi - lo) * u, even for u = 1 (the stub allows it).
    expect([p.tx, p.ty, p.zx, p.zy]).toEqual([2.5, -3.5, 1.25, 0.875]);
    const r2 = new StubRng([0.5, 0.5]);
    expect(randomTransform({ zoomRange: [1, 1] }, 5, 5, r2)).toMatchObject({ zx: 1, zy: 1 });
    expect(r2.used).toBe(2);
  });

  test('integer and list shift ranges, bad zoom ranges and fill modes throw', () => {
    const rng = new Rng(1);
    expect(() => randomTransform({ widthShiftRange: 2 }, 5, 5, rng)).toThrow(/widthShiftRange=2.*not supported/);
    const list = { heightShiftRange: [1, 2] as unknown as number };
    expect(() => randomTransform(list, 5, 5, rng)).toThrow(/heightShiftRange=\[1,2\].*not supported/);
    const zoom = { zoomRange: [1, 2, 3] as unknown as [number, number] };
    expect(() => randomTransform(zoom, 5, 5, rng)).toThrow(/zoomRange/);
    expect(() => randomTransform({ fillMode: 'mirror' as FillMode }, 5, 5, rng)).toThrow(/fillMode/);
  });
});

describe('transformMatrix', () => {
  test('identity is exactly [1, 0, 0, 0, 1, 0]; flips are not part of the matrix', () => {
    expect(transformMatrix(params({}), 150, 150)).toEqual([1, 0, 0, 0, 1, 0]);
    expect(transformMatrix(params({ flipHorizontal: true, flipVertical: true }), 7, 5)).toEqual([1, 0, 0, 0, 1, 0]);
    expect(isIdentity(params({ flipHorizontal: true }))).toBe(false);
  });

  test('a pure shift is b = (tx, ty); a pure zoom is centred on (h/2 + 0.5, w/2 + 0.5)', () => {
    expect(transformMatrix(params({ tx: 3.5, ty: -2 }), 10, 8)).toEqual([1, 0, 3.5, 0, 1, -2]);
    // input = z (out - o) + o: b = o (1 - z), o = (10/2 + 0.5, 7/2 + 0.5) = (5.5, 4).
    expect(transformMatrix(params({ zx: 2, zy: 0.5 }), 10, 7)).toEqual([2, 0, -5.5, 0, 0.5, 2]);
  });
});

/** h x w single-channel image with value 10 r + c. */
const grid = (h: number, w: number): Float64Array =>
  Float64Array.from({ length: h * w }, (_, i) => 10 * Math.floor(i / w) + (i % w));
const at = (img: Float64Array, w: number, r: number, c: number): number => img[r * w + c];

describe('warpReference geometry', () => {
  test('rotation by 90 degrees: out(r, c) = in(6 - c, r) about Keras centre (3, 3); nearest clamps', () => {
    const img = grid(5, 5);
    const m = transformMatrix(params({ theta: 90 }), 5, 5);
    const out = warpReference(img, 5, 5, 1, m, NO_FLIP, 'nearest', 0);
    for (let r = 0; r < 5; r++) {
      for (let c = 0; c < 5; c++) {
        expect(at(out, 5, r, c), `(${r}, ${c})`).toBeCloseTo(at(img, 5, Math.min(6 - c, 4), r), 9);
      }
    }
  });

  test('zoom > 1 samples a wider area, so content shrinks', () => {
    const img = grid(9, 9);
    const m = transformMatrix(params({ zx: 2, zy: 2 }), 9, 9);
    const out = warpReference(img, 9, 9, 1, m, NO_FLIP, 'constant', -1);
    // Centre 5: out(r, c) = in(2r - 5, 2c - 5) where inside, so neighbours differ by 2 and 20.
    expect(at(out, 9, 4, 4)).toBe(at(img, 9, 3, 3));
    expect(at(out, 9, 4, 5) - at(out, 9, 4, 4)).toBe(2);
    expect(at(out, 9, 5, 4) - at(out, 9, 4, 4)).toBe(20);
    expect(at(out, 9, 0, 0)).toBe(-1);
  });

  test('tx > 0 moves content up, ty > 0 moves it left', () => {
    const img = grid(6, 5);
    const warp = (p: Partial<TransformParams>): Float64Array =>
      warpReference(img, 6, 5, 1, transformMatrix(params(p), 6, 5), NO_FLIP, 'nearest', 0);
    const up = warp({ tx: 2 });
    for (let r = 0; r < 6; r++) expect(at(up, 5, r, 1)).toBe(at(img, 5, Math.min(r + 2, 5), 1));
    const left = warp({ ty: 1 });
    for (let c = 0; c < 5; c++) expect(at(left, 5, 2, c)).toBe(at(img, 5, 2, Math.min(c + 1, 4)));
  });

  test('flips come after the warp and reverse columns (horizontal) and rows (vertical)', () => {
    const img = grid(3, 4);
    const id = [1, 0, 0, 0, 1, 0];
    const h = warpReference(img, 3, 4, 1, id, { ...NO_FLIP, flipHorizontal: true }, 'nearest', 0);
    const v = warpReference(img, 3, 4, 1, id, { ...NO_FLIP, flipVertical: true }, 'nearest', 0);
    expect(Array.from(h.subarray(0, 4))).toEqual([3, 2, 1, 0]);
    expect(Array.from(v.subarray(0, 4))).toEqual([20, 21, 22, 23]);
  });
});

// Ground truth from scipy 1.10.1 (numpy 1.24.2): ndimage.affine_transform(img, M[:2, :2],
// M[:2, 2], order=1, mode=mode, cval=50.0) on this 5x4 float64 image, then the flips. 'keras' is
// keras-preprocessing 1.1's matrix for theta 23, tx 0.7, ty -1.3, shear 10, zx 1.3, zy 0.8 with
// a horizontal flip; 'shift' is [[1, 0, -4], [0, 1, 2.5]] with a vertical flip: rows r - 4 put
// every row but one below 0 (cval for 'constant'; for 'wrap', period n - 1 = 4, -4 lands on row
// 4 and -3 on row 1), columns c + 2.5 run past the last column (3.5 -> 0.5 for 'wrap'). The
// image and SciPy's outputs are data: test/fixtures/scipy/affine_transform_5x4.json.
const FIXTURE = new URL('../fixtures/scipy/affine_transform_5x4.json', import.meta.url);
const SCIPY = JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
  img: number[];
  modes: Record<FillMode, { keras: number[]; shift: number[] }>;
};

describe.each(Object.keys(SCIPY.modes) as FillMode[])('warpReference vs scipy, mode %s', (mode) => {
  const img = Float64Array.from(SCIPY.img);
  test('keras matrix (transformMatrix) + horizontal flip', () => {
    const p = params({ theta: 23, tx: 0.7, ty: -1.3, shear: 10, zx: 1.3, zy: 0.8, flipHorizontal: true });
    const m = transformMatrix(p, 5, 4);
    expectClose(
      m,
      [
        1.1966563094881724, -0.43571122801202167, 1.6516130060183016, 0.507950467036056, 0.6709364543563392,
        -1.6243370565446966,
      ],
      { atol: 1e-13, rtol: 0, label: 'matrix vs numpy' },
    );
    const out = warpReference(img, 5, 4, 1, m, p, mode, 50);
    expectClose(out, SCIPY.modes[mode].keras, { atol: 1e-7, rtol: 0, label: mode });
  });

  test('shift across the edges + vertical flip', () => {
    const flip = { flipHorizontal: false, flipVertical: true };
    const out = warpReference(img, 5, 4, 1, [1, 0, -4, 0, 1, 2.5], flip, mode, 50);
    expectClose(out, SCIPY.modes[mode].shift, { atol: 1e-7, rtol: 0, label: mode });
  });
});

test('constant: no tolerance at the edges (n - 1 exactly is inside, a hair past it is cval)', () => {
  const img = grid(3, 3);
  const edge = warpReference(img, 3, 3, 1, [1, 0, 0, 0, 1, 0], NO_FLIP, 'constant', -1);
  expect(Array.from(edge)).toEqual(Array.from(img));
  const past = warpReference(img, 3, 3, 1, [1, 0, 1e-12, 0, 1, 0], NO_FLIP, 'constant', -1);
  expect(Array.from(past.subarray(6))).toEqual([-1, -1, -1]);
  const before = warpReference(img, 3, 3, 1, [1, 0, -1e-12, 0, 1, 0], NO_FLIP, 'constant', -1);
  expect(Array.from(before.subarray(0, 3))).toEqual([-1, -1, -1]);
});

test('multi-channel images warp every channel alike', () => {
  const h = 4;
  const w = 3;
  const rgb = Float64Array.from({ length: h * w * 3 }, (_, i) => (i * 37) % 256);
  const m = transformMatrix(params({ theta: 30, zx: 1.1 }), h, w);
  const out = warpReference(rgb, h, w, 3, m, NO_FLIP, 'reflect', 0);
  for (let ch = 0; ch < 3; ch++) {
    const one = warpReference(
      rgb.filter((_, i) => i % 3 === ch),
      h,
      w,
      1,
      m,
      NO_FLIP,
      'reflect',
      0,
    );
    expect(Array.from(out.filter((_, i) => i % 3 === ch)), `channel ${ch}`).toEqual(Array.from(one));
  }
});
