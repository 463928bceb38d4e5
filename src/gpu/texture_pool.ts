// Read-only operands as rgba32float textures. On lavapipe a `textureLoad` of one texel is a
// vectorised 8-lane gather, about 5x cheaper per float than a storage-buffer load (which is a
// per-lane scalar load, bounds check and branch: ../docs in the README's kernel notes), so the
// GEMM-shaped kernels read their big operands through textures there.
//
// Layout: a flat float array of n floats (n % 4 == 0) is n/4 texels laid row-major in a texture
// TEXTURE_WIDTH texels wide: texel i sits at (i % TEXTURE_WIDTH, i / TEXTURE_WIDTH). The width is
// a power of two so the shaders split the index with a mask and a shift.
//
// Opt-in half-precision staging (src/gpu/texture_precision.ts, DAWNFLOW_F16=1) holds the same layout in
// rgba16float textures: half the memory and bandwidth. A copy cannot convert f32 to f16, so those
// are written by a compute kernel (shaders/stage_f16.wgsl) as write-only storage textures and are
// created with STORAGE_BINDING instead of COPY_DST. The kernels that read them are unchanged: a
// textureLoad of an rgba16float texture returns vec4<f32>.

export const TEXTURE_WIDTH_LOG2 = 12;
export const TEXTURE_WIDTH = 1 << TEXTURE_WIDTH_LOG2;
/** Bytes of one row of f32 source data (and of an rgba32float texture row). */
const BYTES_PER_ROW = TEXTURE_WIDTH * 16;

export type StagingFormat = 'rgba32float' | 'rgba16float';
const BYTES_PER_TEXEL: Record<StagingFormat, number> = { rgba32float: 16, rgba16float: 8 };

/** Rows of a staging texture: powers of two, so a few textures serve every shape. */
function heightClass(rows: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, rows)));
}

/** Free lists are per (format, height). */
const keyOf = (format: string, height: number) => `${format}:${height}`;

export class TexturePool {
  private free = new Map<string, GPUTexture[]>();
  private views = new WeakMap<GPUTexture, GPUTextureView>();
  private inUse = new Set<GPUTexture>();
  bytesAllocated = 0;
  /** bytesAllocated split by format. */
  readonly bytesByFormat: Record<StagingFormat, number> = { rgba32float: 0, rgba16float: 0 };

  constructor(
    private device: GPUDevice,
    private maxHeight: number,
    /** Whether kernels may read rgba32float textures as read-only storage textures (texel_access.ts). */
    private storageReads = false,
  ) {}

  /** Bytes of the largest (f32) operand a staging texture can hold, in either format. */
  get maxBytes(): number {
    return this.maxHeight * BYTES_PER_ROW;
  }

  /** A texture of `format` holding at least `texels` texels in the layout above. */
  acquire(texels: number, label: string, format: StagingFormat = 'rgba32float'): GPUTexture {
    const rows = Math.ceil(texels / TEXTURE_WIDTH);
    const height = heightClass(rows);
    if (height > this.maxHeight) {
      throw new Error(
        `dawnflow: ${label} needs a ${TEXTURE_WIDTH}x${rows} texture, more than this ` +
          `adapter's maxTextureDimension2D (${this.maxHeight}); use a smaller batch`,
      );
    }
    const tex = this.free.get(keyOf(format, height))?.pop() ?? this.create(height, label, format);
    this.inUse.add(tex);
    return tex;
  }

  /** The texture's one view: the same object every launch, so bind groups can be kept (bind_groups.ts). */
  view(tex: GPUTexture): GPUTextureView {
    let v = this.views.get(tex);
    if (!v) {
      v = tex.createView();
      this.views.set(tex, v);
    }
    return v;
  }

  release(tex: GPUTexture): void {
    if (!this.inUse.delete(tex)) throw new Error('dawnflow: texture released twice or not from the pool');
    const key = keyOf(tex.format, tex.height);
    const list = this.free.get(key);
    if (list) list.push(tex);
    else this.free.set(key, [tex]);
  }

  trim(): void {
    for (const list of this.free.values()) for (const t of list) this.destroy(t);
    this.free.clear();
  }

  private create(height: number, label: string, format: StagingFormat): GPUTexture {
    this.account(format, height, +1);
    const usage =
      format === 'rgba16float'
        ? GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.STORAGE_BINDING
        : GPUTextureUsage.TEXTURE_BINDING |
          GPUTextureUsage.COPY_DST |
          (this.storageReads ? GPUTextureUsage.STORAGE_BINDING : 0);
    return this.device.createTexture({ size: [TEXTURE_WIDTH, height], format, label: `staging ${label}`, usage });
  }

  private destroy(t: GPUTexture): void {
    this.account(t.format as StagingFormat, t.height, -1);
    t.destroy();
  }

  private account(format: StagingFormat, height: number, sign: number): void {
    const bytes = sign * height * TEXTURE_WIDTH * BYTES_PER_TEXEL[format];
    this.bytesAllocated += bytes;
    this.bytesByFormat[format] += bytes;
  }
}

/**
 * Encodes the copy of `texels` texels from the start of `src` into `dst` (rgba32float): whole
 * rows in one copy, the partial last row in a second (a copy's extent is a rectangle).
 */
export function encodeBufferToTexture(enc: GPUCommandEncoder, src: GPUBuffer, dst: GPUTexture, texels: number): void {
  const full = Math.floor(texels / TEXTURE_WIDTH);
  const rest = texels - full * TEXTURE_WIDTH;
  if (full > 0) {
    enc.copyBufferToTexture({ buffer: src, bytesPerRow: BYTES_PER_ROW }, { texture: dst }, [TEXTURE_WIDTH, full, 1]);
  }
  if (rest > 0) {
    enc.copyBufferToTexture(
      { buffer: src, offset: full * BYTES_PER_ROW, bytesPerRow: BYTES_PER_ROW },
      { texture: dst, origin: [0, full, 0] },
      [rest, 1, 1],
    );
  }
}
