// The lowest layer of the HDF5 reader: bounds-checked little-endian reads over a whole file, and
// the problem type every check throws. Everything above (h5_values, h5_low, h5_structure) reads
// the file only through these, so a damaged size or offset fails as a problem, never as a crash.

/** What went wrong, in words, and which kind of fix applies. */
export class H5Problem extends Error {
  constructor(
    message: string,
    readonly kind: 'corrupt' | 'truncated' | 'unsupported' | 'not-hdf5',
  ) {
    super(message);
  }
}

/** An all-ones (undefined) address, as H5Bytes.u64 returns it. */
export const UNDEFINED = -1;

/** Bounds-checked little-endian reads over a whole file. */
export class H5Bytes {
  readonly u8: Uint8Array;
  readonly dv: DataView;
  readonly length: number;

  constructor(readonly buffer: ArrayBuffer) {
    this.u8 = new Uint8Array(buffer);
    this.dv = new DataView(buffer);
    this.length = buffer.byteLength;
  }

  need(offset: number, n: number, what: string): void {
    if (!(offset >= 0 && n >= 0 && offset + n <= this.length)) {
      throw new H5Problem(`${what} lies past the end of the file (byte ${offset})`, 'truncated');
    }
  }

  u8at(o: number): number {
    this.need(o, 1, 'a header field');
    return this.u8[o];
  }

  u16(o: number): number {
    this.need(o, 2, 'a header field');
    return this.dv.getUint16(o, true);
  }

  u32(o: number): number {
    this.need(o, 4, 'a header field');
    return this.dv.getUint32(o, true);
  }

  /** An 8-byte address or length; UNDEFINED (-1) for all ones, an error past 2^53. */
  u64(o: number): number {
    this.need(o, 8, 'a header field');
    const lo = this.dv.getUint32(o, true);
    const hi = this.dv.getUint32(o + 4, true);
    if (lo === 0xffffffff && hi === 0xffffffff) return UNDEFINED;
    if (hi > 0x1fffff) {
      throw new H5Problem(`a 64-bit field at byte ${o} is absurdly large`, 'corrupt');
    }
    return hi * 2 ** 32 + lo;
  }
}
