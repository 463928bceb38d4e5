// What every image decoder returns (decode.ts and its per-format decoders) and the resizers take.
export interface RgbImage {
  width: number;
  height: number;
  /** RGB, row-major, 3 bytes per pixel. */
  data: Uint8Array;
}
