// Read-only operands as rgba32float textures. On lavapipe a `textureLoad` of one texel is a
// vectorised 8-lane gather, about 5x cheaper per float than a storage-buffer load (which is a
// per-lane scalar load, bounds check and branch: ../docs in the README's kernel notes), so the
// GEMM-shaped kernels read their big operands through textures there.
//
// Layout: a flat float array of n floats (n % 4 == 0) is n/4 texels laid row-major in a texture
// TEXTURE_WIDTH texels wide: texel i sits at (i % TEXTURE_WIDTH, i / TEXTURE_WIDTH). The width is
// a power of two so the shaders split the index with a mask and a shift.

export const TEXTURE_WIDTH_LOG2 = 12;
export const TEXTURE_WIDTH = 1 << TEXTURE_WIDTH_LOG2;
const BYTES_PER_ROW = TEXTURE_WIDTH * 16;

/** Rows of a staging texture: powers of two, so a few textures serve every shape. */
function heightClass(rows: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, rows)));
}

export class TexturePool {
  private free = new Map<number, GPUTexture[]>();
  private inUse = new Set<GPUTexture>();
  bytesAllocated = 0;

  constructor(private device: GPUDevice, private maxHeight: number) {}

  /** Bytes of the largest operand a staging texture can hold. */
  get maxBytes(): number {
    return this.maxHeight * BYTES_PER_ROW;
  }

  /** A texture holding at least `texels` texels in the layout above. */
  acquire(texels: number, label: string): GPUTexture {
    const rows = Math.ceil(texels / TEXTURE_WIDTH);
    const height = heightClass(rows);
    if (height > this.maxHeight) {
      throw new Error(`dawnflow: ${label} needs a ${TEXTURE_WIDTH}x${rows} texture, more than this ` +
        `adapter's maxTextureDimension2D (${this.maxHeight}); use a smaller batch`);
    }
    const tex = this.free.get(height)?.pop() ?? this.create(height, label);
    this.inUse.add(tex);
    return tex;
  }

  release(tex: GPUTexture): void {
    if (!this.inUse.delete(tex)) throw new Error('dawnflow: texture released twice or not from the pool');
    const list = this.free.get(tex.height);
    if (list) list.push(tex);
    else this.free.set(tex.height, [tex]);
  }

  trim(): void {
    for (const list of this.free.values()) for (const t of list) this.destroy(t);
    this.free.clear();
  }

  private create(height: number, label: string): GPUTexture {
    this.bytesAllocated += height * BYTES_PER_ROW;
    return this.device.createTexture({
      size: [TEXTURE_WIDTH, height], format: 'rgba32float', label: `staging ${label}`,
      usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST,
    });
  }

  private destroy(t: GPUTexture): void {
    this.bytesAllocated -= t.height * BYTES_PER_ROW;
    t.destroy();
  }
}

/**
 * Encodes the copy of `texels` texels from the start of `src` into `dst`: whole rows in one
 * copy, the partial last row in a second (a copy's extent is a rectangle).
 */
export function encodeBufferToTexture(enc: GPUCommandEncoder, src: GPUBuffer, dst: GPUTexture, texels: number): void {
  const full = Math.floor(texels / TEXTURE_WIDTH);
  const rest = texels - full * TEXTURE_WIDTH;
  if (full > 0) {
    enc.copyBufferToTexture({ buffer: src, bytesPerRow: BYTES_PER_ROW }, { texture: dst },
      [TEXTURE_WIDTH, full, 1]);
  }
  if (rest > 0) {
    enc.copyBufferToTexture({ buffer: src, offset: full * BYTES_PER_ROW, bytesPerRow: BYTES_PER_ROW },
      { texture: dst, origin: [0, full, 0] }, [rest, 1, 1]);
  }
}
