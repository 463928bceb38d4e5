// Winograd convolution F(m x m, 3x3) (Lavin & Gray 2015), the 'wino' (m = 2) and 'wino4' (m = 4)
// conv variants for 3x3 stride-1 convolutions on adapters where the sg kernels run (where legal
// and paying: plan_legal.ts). The output is cut into m x m tiles; per tile and channel the 3x3
// correlation over the a x a input patch d (a = m + 2) becomes
//   Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A,
// a^2 multiplies instead of 9 m^2 (16 for 4 outputs, 36 for 16). Summed over channels, the
// elementwise products become a^2 independent matrix products M_e = V_e . U_e ([T, CI] x
// [CI, CO], T tiles), which carry all the arithmetic: 16/36 (m = 2) or 36/144 (m = 4) of the
// direct conv's multiply-adds when m divides the output size (more otherwise: partial tiles).
// Four launches per conv, each reading its operands through textures
// (shaders/conv2d_winograd_*.wgsl):
//   weight: U [a^2][CI][CO] = G g G^T  (per call: weights change during training)
//   input:  V [a^2][CI/4][T] vec4s = B^T d B  (zero outside the image)
//   gemm:   M [a^2][T][CO]  = V_e . U_e, one launch over the a^2 slabs (grid z), as the sg kernel
//   output: y = act(A^T M A + bias), partial tiles clipped
// The three transforms are one shader each for both tile sizes: their arithmetic is generated
// from the matrices below (winogradWgsl), which the float64 host reference uses too. V and M
// are (a/m)^2 times the input and output: 4x for m = 2, 2.25x for m = 4 (plus texture copies).
// The input gradient of a 3x3 stride-1 conv runs through the same kernels as the forward conv
// of dz with the kernel rotated by 180 degrees and CI and CO swapped (winogradGeometry); the
// weight transform reads w that way (FLIP), so no extra pass builds the rotated kernel.
import { dispatcher } from '../gpu/engine.js';
import { grid1d, type KernelSpec, u32Uniforms } from '../gpu/program.js';
import { TEXTURE_WIDTH_LOG2 } from '../gpu/texture_pool.js';
import type { TexturePrecision } from '../gpu/texture_precision.js';
import { Tensor } from '../tensor/tensor.js';
import { ACT_CODE, type Activation } from './activation.js';
import { derived } from './derived.js';
import type { ConvGeometry } from './conv_types.js';
import { perShare, type SgShare, sgDefines, sgGrid, sgTripCounts, sgWorkgroup } from './sg_lanes.js';

/** Output tile side m of F(m x m, 3x3). */
export type WinoTile = 2 | 4;

/** The transform matrices of one tile size: B^T (a x a), G (a x 3), A^T (m x a). */
export interface WinoMatrices {
  BT: number[][];
  G: number[][];
  AT: number[][];
}

/**
 * F(2, 3) interpolates at 0, 1, -1 and infinity; F(4, 3) at 0, 1, -1, 2, -2 and infinity. The
 * larger tile's entries (up to 8 in A^T, 5 in B^T, 1/24 in G) are what make its f32 error larger.
 */
export const WINO_MATRICES: Record<WinoTile, WinoMatrices> = {
  2: {
    BT: [
      [1, 0, -1, 0],
      [0, 1, 1, 0],
      [0, -1, 1, 0],
      [0, 1, 0, -1],
    ],
    G: [
      [1, 0, 0],
      [0.5, 0.5, 0.5],
      [0.5, -0.5, 0.5],
      [0, 0, 1],
    ],
    AT: [
      [1, 1, 1, 0],
      [0, 1, -1, -1],
    ],
  },
  4: {
    BT: [
      [4, 0, -5, 0, 1, 0],
      [0, -4, -4, 1, 1, 0],
      [0, 4, -4, -1, 1, 0],
      [0, -2, -1, 2, 1, 0],
      [0, 2, -1, -2, 1, 0],
      [0, 4, 0, -5, 0, 1],
    ],
    G: [
      [1 / 4, 0, 0],
      [-1 / 6, -1 / 6, -1 / 6],
      [-1 / 6, 1 / 6, -1 / 6],
      [1 / 24, 1 / 12, 1 / 6],
      [1 / 24, -1 / 12, 1 / 6],
      [0, 0, 1],
    ],
    AT: [
      [1, 1, 1, 1, 1, 0],
      [0, 1, -1, 2, -2, 0],
      [0, 1, 1, 4, 4, 0],
      [0, 1, -1, 8, -8, 1],
    ],
  },
};

export interface WinoPlan {
  /** The forward geometry the kernels run (for an input gradient: winogradGeometry's). */
  g: ConvGeometry;
  /** Output tile side m; the input patch is m + 2 square. */
  tile: WinoTile;
  /** Whether the weight transform reads w rotated by 180 degrees with CI and CO swapped. */
  flip: boolean;
  /** Tiles per image down and across, and in all (batch * TH * TW). */
  TH: number;
  TW: number;
  T: number;
  /** Transformed elements per tile, each a slab of the batched product: (m + 2)^2. */
  slabs: number;
  bias: boolean;
  act: Activation;
  /** The output max-pooled 2x2 at stride 2 as it is stored (conv_pool.ts): y [batch, OH/2, OW/2, CO]. */
  pool: boolean;
  /** Staging precision of the texture operands (the kernel plan's). */
  precision: TexturePrecision;
}

export interface WinoOptions {
  tile: WinoTile;
  /**
   * Also hand back x's transform V [a^2][CI/4][T][4] (else it is freed): the weight gradient of the
   * same conv (winograd_weight.ts) starts from it.
   */
  keep?: boolean;
  flip?: boolean;
  bias?: boolean;
  act?: Activation;
  pool?: boolean;
  /** With pool: also the blocks' winners, for the pool's backward (winogradOutputCodesKernel). */
  codes?: boolean;
  precision?: TexturePrecision;
}

export function planWinograd(g: ConvGeometry, o: WinoOptions): WinoPlan {
  const m = o.tile;
  const TH = Math.ceil(g.OH / m);
  const TW = Math.ceil(g.OW / m);
  return {
    g,
    tile: m,
    flip: o.flip ?? false,
    TH,
    TW,
    T: g.batch * TH * TW,
    slabs: (m + 2) ** 2,
    bias: o.bias ?? false,
    act: o.act ?? 'linear',
    pool: o.pool ?? false,
    precision: o.precision ?? 'f32',
  };
}

// --- the transforms' WGSL, generated from the matrices ---------------------------------------

/** A WGSL float literal (f32 rounds the long ones). */
const wgslFloat = (v: number) => (Number.isInteger(v) ? `${v}.0` : String(v));

/** sum_k c[k] * terms[k] in WGSL: zero coefficients left out, units without a multiply. */
function combination(c: number[], terms: string[]): string {
  let s = '';
  c.forEach((v, k) => {
    if (v === 0) return;
    const term = Math.abs(v) === 1 ? terms[k] : `${wgslFloat(Math.abs(v))} * ${terms[k]}`;
    s += s === '' ? (v < 0 ? `-${term}` : term) : ` ${v < 0 ? '-' : '+'} ${term}`;
  });
  return s || 'vec4f(0.0)';
}

/**
 * Statements computing out = L D L^T for the matrix of vec4 values named d(r, c): first along
 * the columns of each row (q = D L^T), then down the rows (L q), so each row's inputs can die
 * before the next row's are loaded. Returns the statements; element (i, j) is `${out}${i}_${j}`.
 */
function sandwich(L: number[][], d: (r: number, c: number) => string, out: string): string[] {
  const rows = L[0].length;
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const row = L[0].map((_, c) => d(r, c));
    L.forEach((l, j) => lines.push(`let q${r}_${j} = ${combination(l, row)};`));
  }
  L.forEach((li, i) =>
    L.forEach((_, j) => {
      const col = li.map((_, r) => `q${r}_${j}`);
      lines.push(`let ${out}${i}_${j} = ${combination(li, col)};`);
    }),
  );
  return lines;
}

const range = (n: number) => [...Array(n).keys()];

/**
 * The body of each transform shader for tile side m: loads through the shader's helpers, the
 * transform, stores of slab e = a*i + j. The helpers and the indexing stay in the shaders.
 */
function transformBodies(m: WinoTile): Record<TransformKind, Transform> {
  const { BT, G, AT } = WINO_MATRICES[m];
  const a = m + 2;
  const taps3x3 = (line: (kh: number, kw: number) => string) =>
    range(3).flatMap((kh) => range(3).map((kw) => line(kh, kw)));
  const weightRow = [
    ...sandwich(G, (r, c) => `g${r}_${c}`, 'U'),
    ...range(a * a).map((e) => `put(${e}u, ci, co4, CO4, U${Math.floor(e / a)}_${e % a});`),
  ];
  const weight = [
    'let ci = row;',
    ...taps3x3((kh, kw) => `let g${kh}_${kw} = tap(${kh}u, ${kw}u, ci, co4);`),
    ...weightRow,
  ];
  // The input gradient's kernel: each rotated tap's 4 texels hold 4 input channels (row is their
  // group), fetched once and transformed channel by channel.
  const weightFlip = [
    ...taps3x3((kh, kw) => `let f${kh}_${kw} = flipTexels(${kh}u, ${kw}u, row, co4);`),
    'for (var k = 0u; k < 4u; k++) {',
    'let ci = 4u * row + k;',
    ...taps3x3((kh, kw) => `let g${kh}_${kw} = pick(f${kh}_${kw}, k);`),
    ...weightRow,
    '}',
  ];
  // The input shader's body for L (a x n): loads of an n x n patch, L d L^T, a^2 slab stores.
  const patchTransform = (L: number[][]) => {
    const n = L[0].length;
    return [
      ...range(n).map((r) => `let row${r} = rowAt(b, ih0 + ${r}, c4, CI4);`),
      ...range(n).map((c) => `let col${c} = colAt(iw0 + ${c}, CI4);`),
      ...range(n).flatMap((r) => range(n).map((c) => `let d${r}_${c} = fetch(row${r}, col${c});`)),
      ...sandwich(L, (r, c) => `d${r}_${c}`, 'V'),
      ...range(a * a).map((e) => `put(${e}u, t, c4, CI4, V${Math.floor(e / a)}_${e % a});`),
    ];
  };
  const input = patchTransform(BT);
  const yTile = [
    ...range(a * a).map((e) => `let m${Math.floor(e / a)}_${e % a} = texel(m, first + ${e}u * slab);`),
    ...sandwich(AT, (r, c) => `m${r}_${c}`, 'Y'),
  ];
  const output = [
    ...yTile,
    ...range(m * m).map((e) => {
      const [i, j] = [Math.floor(e / m), e % m];
      return `put(b, oh0 + ${i}u, ow0 + ${j}u, co4, CO4, Y${i}_${j}, bv);`;
    }),
  ];
  // Pooled (WinoPlan.pool): the tile's (m/2)^2 blocks of 2x2, each one output of the pooled map.
  const h = m / 2;
  const pooled = [
    ...yTile,
    ...range(h * h).map((e) => {
      const [i, j] = [2 * Math.floor(e / h), 2 * (e % h)];
      const block = `Y${i}_${j}, Y${i}_${j + 1}, Y${i + 1}_${j}, Y${i + 1}_${j + 1}`;
      return `putPool(b, ${h}u * ty + ${i / 2}u, ${h}u * tx + ${j / 2}u, co4, CO4, ${block}, bv);`;
    }),
  ];
  // The weight gradient's transforms (winograd_weight.ts): A dY A^T of each m x m tile of dY,
  // run by the input shader on dY as its image; G^T dU G of the summed products, to 3x3 taps.
  const grad = patchTransform(transpose(AT));
  const weightGrad = [
    ...range(a * a).map((e) => `let m${Math.floor(e / a)}_${e % a} = part(${e}u, ci, co4, CO4);`),
    ...sandwich(transpose(G), (r, c) => `m${r}_${c}`, 'W'),
    ...range(9).map((e) => `put(${Math.floor(e / 3)}u, ${e % 3}u, ci, co4, CO4, W${Math.floor(e / 3)}_${e % 3});`),
  ];
  return {
    weight: specialise(m, weight),
    weightFlip: specialise(m, weightFlip),
    input: specialise(m, input),
    output: specialise(m, output),
    outputPool: specialise(m, pooled),
    grad: specialise(m, grad),
    weightGrad: specialise(m, weightGrad),
  };
}

interface Transform {
  defines: Record<string, string>;
  /** Arithmetic operations per item (vec4 lane 1 of 4), for profiles. */
  ops: number;
}

function specialise(m: WinoTile, lines: string[]): Transform {
  const body = lines.join('\n  ');
  const ops = (body.match(/ [-+*] |= -/g) ?? []).length;
  return { defines: { ...defines(), WINO_M: String(m), WINO_SOURCE: 'image', WINO_TRANSFORM: body }, ops };
}

export type TransformKind = 'weight' | 'weightFlip' | 'input' | 'output' | 'outputPool' | 'grad' | 'weightGrad';

// Built once: the specs hand the same objects to every launch.
let transforms: Record<WinoTile, Record<TransformKind, Transform>> | null = null;

export function transformOf(m: WinoTile, kind: TransformKind): Transform {
  transforms ??= { 2: transformBodies(2), 4: transformBodies(4) };
  return transforms[m][kind];
}

// --- reading a pooled gradient -------------------------------------------------------------

/**
 * The gradient of a conv output that went through a fused 2x2 max pool, as the input transforms
 * can read it in place of dz (shaders/winograd_source_pooled.wgsl): the pool's gradient dy
 * [batch, OH/2, OW/2, CO] and the forward's winners [batch, OH/2, OW/2, CO/4] (packed codes).
 */
export interface PooledGrad {
  dy: Tensor;
  codes: Tensor;
}

export function isPooledGrad(t: Tensor | PooledGrad): t is PooledGrad {
  return !(t instanceof Tensor);
}

/** The input shader's transforms that can read a pooled gradient: dx's (input) and dw's (grad). */
export type PooledKind = 'input' | 'grad';

/**
 * The loads of an n x n patch of dz from the pool's windows, then `L d L^T` and its stores, as
 * patchTransform. A tile's origin is m (even) times its index less the padding, so with the
 * padding's parity fixed every patch row r falls in window row (m/2) ty - floor(PT/2) + R(r),
 * as cell row c(r), both constants: each window is fetched once and its cells picked.
 */
function pooledPatchTransform(m: WinoTile, L: number[][], parity: number): string[] {
  const n = L[0].length;
  const a = m + 2;
  const win = (r: number) => Math.floor((r - parity) / 2);
  const cellOf = (r: number) => r - parity - 2 * win(r);
  const windows = [...new Set(range(n).map(win))];
  const name = (w: number) => w - windows[0];
  const offset = (w: number) => (w < 0 ? ` - ${-w}` : w > 0 ? ` + ${w}` : '');
  return [
    `let wr0 = i32(${m / 2}u * ty) - i32(u.PT / 2u);`,
    `let wc0 = i32(${m / 2}u * tx) - i32(u.PL / 2u);`,
    ...windows.map((w) => `let wrow${name(w)} = winRowAt(b, wr0${offset(w)}, c4, CI4);`),
    ...windows.map((w) => `let wcol${name(w)} = winColAt(wc0${offset(w)}, CI4);`),
    ...windows.flatMap((r) =>
      windows.map((c) => `let w${name(r)}_${name(c)} = window(wrow${name(r)}, wcol${name(c)});`),
    ),
    ...range(n).flatMap((r) =>
      range(n).map((c) => `let d${r}_${c} = cell(w${name(win(r))}_${name(win(c))}, ${2 * cellOf(r) + cellOf(c)}u);`),
    ),
    ...sandwich(L, (r, c) => `d${r}_${c}`, 'V'),
    ...range(a * a).map((e) => `put(${e}u, t, c4, CI4, V${Math.floor(e / a)}_${e % a});`),
  ];
}

const pooledTransforms = new Map<string, Transform>();

/** The input shader's `kind` transform reading a pooled gradient, for padding of this parity. */
export function pooledTransformOf(m: WinoTile, kind: PooledKind, parity: number): Transform {
  const key = `${m}|${kind}|${parity}`;
  let t = pooledTransforms.get(key);
  if (!t) {
    const { BT, AT } = WINO_MATRICES[m];
    const base = specialise(m, pooledPatchTransform(m, kind === 'input' ? BT : transpose(AT), parity));
    t = { ...base, defines: { ...base.defines, WINO_SOURCE: 'pooled' } };
    pooledTransforms.set(key, t);
  }
  return t;
}

/**
 * The input shader on a pooled gradient as its image (g.H x g.W is dz's size): same launch and
 * output, the pool's dy staged instead of dz, the winners bound after V.
 */
export function pooledSourceKernel(spec: KernelSpec<WinoPlan>, kind: PooledKind): KernelSpec<WinoPlan> {
  return {
    ...spec,
    name: `${spec.name}_pooled`,
    shader: 'conv2d_winograd_input',
    bindings: ['texture', 'read_write', 'read'],
    defines: (p) => pooledTransformOf(p.tile, kind, p.g.PT % 2).defines,
    textureFloats: (p) => [p.g.batch * Math.floor(p.g.H / 2) * Math.floor(p.g.W / 2) * p.g.CI],
    flops: (p) => 4 * p.T * (p.g.CI / 4) * pooledTransformOf(p.tile, kind, p.g.PT % 2).ops,
  };
}

/** Launches the input shader's transform `spec` (its pooled twin for a pooled gradient) of image into out. */
export function launchImageTransform(
  spec: KernelSpec<WinoPlan>,
  pooled: KernelSpec<WinoPlan>,
  p: WinoPlan,
  image: Tensor | PooledGrad,
  out: Tensor,
): void {
  if (isPooledGrad(image)) dispatcher().launch(pooled, p, [image.dy.buffer, out.buffer, image.codes.buffer]);
  else dispatcher().launch(spec, p, [image.buffer, out.buffer]);
}

const UNIFORMS = u32Uniforms(['T', 'TH', 'TW', 'H', 'W', 'CI', 'OH', 'OW', 'CO', 'PT', 'PL']);

const WG = 64;
const defines = () => ({ TEX_W_LOG2: String(TEXTURE_WIDTH_LOG2) });
const values = (p: WinoPlan) => ({ ...p.g, T: p.T, TH: p.TH, TW: p.TW });
const staging = (p: WinoPlan) => p.precision;

/** The tile grid and channel vectors by which a per-(tile, c4) transform splits its index (conv2d_winograd_params.wgsl). */
const tileGrid = (p: WinoPlan, channels: 'CI' | 'CO') => ({ C4: p.g[channels] / 4, TWC: p.TW, THC: p.TH });

/**
 * One transform: one invocation per item, 1-D grid, its arithmetic generated per tile size.
 * `tiled`: the items are (tile, vector of these channels), split by pipeline constants.
 */
export function transform(
  kind: TransformKind,
  bindings: KernelSpec<WinoPlan>['bindings'],
  items: (p: WinoPlan) => number,
  textureFloats: (p: WinoPlan) => number[],
  constants: KernelSpec<WinoPlan>['constants'],
  tiled?: 'CI' | 'CO',
): KernelSpec<WinoPlan> {
  const name = `conv2d_winograd_${kind}`;
  return {
    name,
    shader: name,
    bindings,
    uniforms: UNIFORMS,
    workgroup: [WG, 1, 1],
    defines: (p) => transformOf(p.tile, kind).defines,
    constants: (p) => ({ ...(tiled ? tileGrid(p, tiled) : {}), ...constants?.(p) }),
    values,
    textureFloats,
    staging,
    dispatch: (p) => grid1d(items(p), WG),
    flops: (p) => 4 * items(p) * transformOf(p.tile, kind).ops,
  };
}

const weightTransform = transform(
  'weight',
  ['texture', 'read_write'],
  (p) => (p.flip ? p.g.CI / 4 : p.g.CI) * (p.g.CO / 4),
  (p) => [9 * p.g.CI * p.g.CO],
  (p) => ({ FLIP: p.flip }),
);

/** The weight transform; with WinoPlan.flip one invocation per 4 input channels (FLIP). */
export const winogradWeightKernel: KernelSpec<WinoPlan> = {
  ...weightTransform,
  defines: (p) => transformOf(p.tile, p.flip ? 'weightFlip' : 'weight').defines,
  flops: (p) => 4 * ((p.g.CI * p.g.CO) / 4) * transformOf(p.tile, 'weight').ops,
};

/** V [a^2][CI/4][T], each slab's tiles consecutive per channel group (the shader's TILES_INNER). */
export const winogradInputKernel = transform(
  'input',
  ['texture', 'read_write'],
  (p) => p.T * (p.g.CI / 4),
  (p) => [p.g.batch * p.g.H * p.g.W * p.g.CI],
  () => ({ TILES_INNER: true }),
  'CI',
);

/** The input transform of dz read from a fused pool's gradient (PooledGrad): dx's Winograd. */
export const winogradInputPooledKernel = pooledSourceKernel(winogradInputKernel, 'input');

const outputTransform = transform(
  'output',
  ['texture', 'read', 'read_write'],
  (p) => p.T * (p.g.CO / 4),
  (p) => [p.slabs * p.T * p.g.CO],
  (p) => ({ HAS_BIAS: p.bias, ACT: ACT_CODE[p.act] }),
  'CO',
);

/** The output transform's defines, made once per variant (pipeline keys serialise them). */
const outputDefineSets = new Map<string, Record<string, string>>();
function outputDefines(tile: WinoTile, pool: boolean, codes: boolean): Record<string, string> {
  const key = `${tile}|${pool}|${codes}`;
  let d = outputDefineSets.get(key);
  if (!d) {
    d = {
      ...transformOf(tile, pool ? 'outputPool' : 'output').defines,
      CODE_VAR: codes ? '@group(0) @binding(3) var<storage, read_write> code: array<u32>;' : '',
      CODE_STORE: codes ? 'code[o * CO4 + co4] = quadCode(a0, a1, a2, a3, RELU_MASK);' : '',
      U_BINDING: codes ? '4' : '3',
    };
    outputDefineSets.set(key, d);
  }
  return d;
}

/** The output transform; with WinoPlan.pool its stores are putPool()'s, one per 2x2 block. */
export const winogradOutputKernel: KernelSpec<WinoPlan> = {
  ...outputTransform,
  defines: (p) => outputDefines(p.tile, p.pool, false),
};

/**
 * The pooled output transform that also writes each 2x2 block's winners [batch, OH/2, OW/2,
 * CO/4] (packed as the pool kernels keep them), for a backward through the pool; after a relu,
 * a block whose max is not positive gets none (RELU_MASK).
 */
export const winogradOutputCodesKernel: KernelSpec<WinoPlan> = {
  ...outputTransform,
  name: 'conv2d_winograd_output_codes',
  bindings: ['texture', 'read', 'read_write', 'read_write'],
  defines: (p) => outputDefines(p.tile, true, true),
  constants: (p) => ({ ...outputTransform.constants!(p), RELU_MASK: p.act === 'relu' }),
};

/**
 * The slabs' products (16 for F(2x2, 3x3), 36 for F(4x4, 3x3)) in one launch, per share: L x 64/L workgroups, an
 * invocation owning L tiles x a vec4 of CO; z = slab.
 */
export const winogradGemmKernels = perShare((s) => gemmKernel(s));

/** The lavapipe specialisation (8-lane subgroups), whose flops the benches' ceilings read. */
export const winogradGemmKernel = winogradGemmKernels.of({ lanes: 8, via: 'subgroup', wide: false });

function gemmKernel(share: SgShare): KernelSpec<WinoPlan> {
  const specialised = { ...defines(), ...sgDefines(share) };
  return {
    name: 'conv2d_winograd_gemm',
    shader: 'conv2d_winograd_gemm',
    bindings: ['texture', 'texture', 'read_write'],
    uniforms: UNIFORMS,
    workgroup: sgWorkgroup(share),
    defines: () => specialised,
    values,
    staging,
    textureFloats: (p) => [p.slabs * p.T * p.g.CI, p.slabs * p.g.CI * p.g.CO],
    constants: (p) => sgTripCounts(share, { LOOP_C4: p.g.CI / 4 }),
    // Each group owns 4 blocks of L tiles (the shader says why).
    dispatch: (p) => [...sgGrid(share, p.g.CO / 4, p.T, 4 * share.lanes), p.slabs],
    flops: (p) => 2 * p.slabs * p.T * p.g.CI * p.g.CO,
  };
}

/**
 * y = act(conv2d(x, w) + b) by Winograd F(m x m, 3x3) on a geometry the planner found it legal
 * for; with `flip`, the input gradient dx = conv2d(dz, rot180(w) with CI and CO swapped), x being
 * dz (or a fused pool's gradient, PooledGrad) and g winogradGeometry's (no bias, linear).
 */
export function winogradConv(
  x: Tensor | PooledGrad,
  w: Tensor,
  b: Tensor | null,
  g: ConvGeometry,
  o: WinoOptions,
  share: SgShare,
): { y: Tensor; v: Tensor | null; codes: Tensor | null } {
  const keep = o.keep ?? false;
  const p = planWinograd(g, { ...o, bias: !!b });
  const d = dispatcher();
  // A frozen layer's U is made once and kept (derived.ts); a trained one's is made per call.
  const u = derived(w, `winograd U F(${p.tile}) flip=${p.flip} ${g.CI}x${g.CO}`, () => {
    const t = Tensor.empty([p.slabs, g.CI, g.CO], 'float32', 'winograd U');
    d.launch(winogradWeightKernel, p, [w.buffer, t.buffer]);
    return t;
  });
  const v = Tensor.empty([p.slabs, g.CI / 4, p.T, 4], 'float32', 'winograd V');
  launchImageTransform(winogradInputKernel, winogradInputPooledKernel, p, x, v);
  const m = Tensor.empty([p.slabs, p.T, g.CO], 'float32', 'winograd M');
  d.launch(winogradGemmKernels.of(share), p, [v.buffer, u.tensor.buffer, m.buffer]);
  // Safe to recycle now: a later writer of these buffers is encoded after the launches above.
  if (u.owned) u.tensor.dispose();
  if (!keep) v.dispose();
  const label = p.flip ? 'conv2d_backward_input' : p.pool ? 'conv2d_maxpool' : 'conv2d_forward';
  const shape = p.pool ? [g.batch, Math.floor(g.OH / 2), Math.floor(g.OW / 2), g.CO] : [g.batch, g.OH, g.OW, g.CO];
  const y = Tensor.empty(shape, 'float32', label);
  const codes =
    p.pool && o.codes ? Tensor.empty([...shape.slice(0, 3), g.CO / 4], 'uint32', 'conv2d_maxpool-argmax') : null;
  // The bias binding is unread without a bias (HAS_BIAS off); x's buffer fills it.
  const operands = [m.buffer, (b ?? (isPooledGrad(x) ? x.dy : x)).buffer, y.buffer];
  if (codes) d.launch(winogradOutputCodesKernel, p, [...operands, codes.buffer]);
  else d.launch(winogradOutputKernel, p, operands);
  m.dispose();
  return { y, v: keep ? v : null, codes };
}

/**
 * maxPool2d(act(conv2d(x, w) + b), 2) by Winograd F(tile x tile, 3x3): the output transform
 * stores each 2x2 block's maximum, y [batch, OH/2, OW/2, CO] (conv_pool.ts).
 */
export function winogradConvPooled(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  g: ConvGeometry,
  tile: number,
  act: Activation,
  precision: TexturePrecision,
  share: SgShare,
): Tensor {
  if (tile !== 2 && tile !== 4) throw new Error(`dawnflow: no Winograd F(${tile}x${tile}, 3x3) to pool`);
  return winogradConv(x, w, b, g, { tile, act, pool: true, precision }, share).y;
}

// --- host reference -----------------------------------------------------------------------

const matmul = (a: number[][], b: number[][]) =>
  a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
const transpose = (a: number[][]) => a[0].map((_, j) => a.map((r) => r[j]));
/** L D L^T, as the generated WGSL computes it. */
const sandwichHost = (L: number[][], D: number[][]) => matmul(matmul(L, D), transpose(L));

/**
 * The same algorithm in float64 on the host, with the same matrices, tiling and layouts as the
 * kernels (x NHWC, w HWIO, no bias or activation; with `flip`, w is read as the kernels read it
 * for an input gradient: [3][3][g.CO][g.CI], rotated and transposed): a check of the matrices and
 * of the tile and padding arithmetic independent of the GPU.
 */
export function winogradHost(
  x: Float64Array,
  w: Float64Array,
  g: ConvGeometry,
  tile: WinoTile,
  flip = false,
): Float64Array {
  const { TH, TW } = planWinograd(g, { tile });
  const { BT, G, AT } = WINO_MATRICES[tile];
  const a = tile + 2;
  const y = new Float64Array(g.batch * g.OH * g.OW * g.CO);
  const tap = (kh: number, kw: number, ci: number, co: number) =>
    flip ? w[(((2 - kh) * 3 + 2 - kw) * g.CO + co) * g.CI + ci] : w[((kh * 3 + kw) * g.CI + ci) * g.CO + co];
  // U[ci][co] = G g G^T
  const U = range(g.CI).map((ci) =>
    range(g.CO).map((co) =>
      sandwichHost(
        G,
        range(3).map((kh) => range(3).map((kw) => tap(kh, kw, ci, co))),
      ),
    ),
  );
  const pixel = (n: number, ih: number, iw: number, ci: number) =>
    ih < 0 || iw < 0 || ih >= g.H || iw >= g.W ? 0 : x[((n * g.H + ih) * g.W + iw) * g.CI + ci];
  for (let n = 0; n < g.batch; n++)
    for (let ty = 0; ty < TH; ty++)
      for (let tx = 0; tx < TW; tx++) {
        const M = range(g.CO).map(() => range(a).map(() => new Array<number>(a).fill(0)));
        for (let ci = 0; ci < g.CI; ci++) {
          const d = range(a).map((r) => range(a).map((c) => pixel(n, tile * ty - g.PT + r, tile * tx - g.PL + c, ci)));
          const V = sandwichHost(BT, d);
          for (let co = 0; co < g.CO; co++)
            for (let i = 0; i < a; i++) for (let j = 0; j < a; j++) M[co][i][j] += V[i][j] * U[ci][co][i][j];
        }
        for (let co = 0; co < g.CO; co++) {
          const Y = sandwichHost(AT, M[co]);
          for (let i = 0; i < tile; i++)
            for (let j = 0; j < tile; j++) {
              const oh = tile * ty + i;
              const ow = tile * tx + j;
              if (oh < g.OH && ow < g.OW) y[((n * g.OH + oh) * g.OW + ow) * g.CO + co] = Y[i][j];
            }
        }
      }
  return y;
}
