// The geometry every pooling kernel is launched with (pool.ts, pool_window.ts).

/** x [batch, H, W, C] -> y [batch, OH, OW, C]; window KH x KW, strides SH/SW, top/left padding PT/PL. */
export interface PoolGeometry {
  batch: number;
  H: number;
  W: number;
  C: number;
  OH: number;
  OW: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  PT: number;
  PL: number;
}
