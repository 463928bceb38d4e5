// The geometry every pooling kernel is launched with (pool.ts, pool_window.ts).
import type { WindowGeometry } from './window_geometry.js';

/** x [batch, H, W, C] -> y [batch, OH, OW, C]: the window geometry and the channel count. */
export interface PoolGeometry extends WindowGeometry {
  C: number;
}
