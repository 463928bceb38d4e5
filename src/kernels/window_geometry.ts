// The sliding-window part of a conv's or a pool's geometry: NHWC input, output size, window,
// strides and the top/left padding (TF's 'same' rule puts the odd pixel at the bottom/right).

/** x [batch, H, W, *] -> y [batch, OH, OW, *]; window KH x KW, strides SH/SW, padding PT/PL. */
export interface WindowGeometry {
  batch: number;
  H: number;
  W: number;
  OH: number;
  OW: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  PT: number;
  PL: number;
}
