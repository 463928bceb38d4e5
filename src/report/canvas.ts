// A minimal RGBA raster for the PNG plots: rectangles, thick lines, discs and 5x7 bitmap text.
// No anti-aliasing: plots are meant to be read, and hard pixels keep the code small.
import { PNG } from 'pngjs';
import { ADVANCE, GLYPH_W, glyph } from './font5x7.js';

export type Rgb = readonly [number, number, number];

export class Canvas {
  readonly data: Uint8Array;

  constructor(readonly width: number, readonly height: number, background: Rgb = [255, 255, 255]) {
    this.data = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) this.data.set([...background, 255], i * 4);
  }

  set(x: number, y: number, c: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    this.data[i] = c[0];
    this.data[i + 1] = c[1];
    this.data[i + 2] = c[2];
    this.data[i + 3] = 255;
  }

  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    for (let yy = Math.round(y); yy < Math.round(y + h); yy++) {
      for (let xx = Math.round(x); xx < Math.round(x + w); xx++) this.set(xx, yy, c);
    }
  }

  /** Rectangle outline, 1 pixel wide, corners inclusive. */
  strokeRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    this.fillRect(x, y, w, 1, c);
    this.fillRect(x, y + h - 1, w, 1, c);
    this.fillRect(x, y, 1, h, c);
    this.fillRect(x + w - 1, y, 1, h, c);
  }

  /** A line `thickness` pixels wide: a square brush stepped along the longer axis. */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thickness = 1): void {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    const lo = -Math.floor((thickness - 1) / 2);
    for (let k = 0; k <= Math.ceil(steps); k++) {
      const t = k / Math.ceil(steps);
      const x = Math.round(x0 + (x1 - x0) * t);
      const y = Math.round(y0 + (y1 - y0) * t);
      this.fillRect(x + lo, y + lo, thickness, thickness, c);
    }
  }

  disc(cx: number, cy: number, r: number, c: Rgb): void {
    for (let dy = -Math.ceil(r); dy <= Math.ceil(r); dy++) {
      for (let dx = -Math.ceil(r); dx <= Math.ceil(r); dx++) {
        if (dx * dx + dy * dy <= r * r + r * 0.5) this.set(cx + dx, cy + dy, c);
      }
    }
  }

  /**
   * `text` with its top-left corner at (x, y), each font pixel `scale` pixels square. Rotated
   * text reads bottom to top (as a y-axis label) and starts at its bottom-left corner (x, y).
   */
  text(x: number, y: number, text: string, scale: number, c: Rgb, rotated = false): void {
    [...text].forEach((ch, n) => {
      const rows = glyph(ch);
      for (let gy = 0; gy < rows.length; gy++) {
        for (let gx = 0; gx < GLYPH_W; gx++) {
          if (!(rows[gy] & (0x10 >> gx))) continue;
          const along = (n * ADVANCE + gx) * scale;
          if (rotated) this.fillRect(x + gy * scale, y - along - scale, scale, scale, c);
          else this.fillRect(x + along, y + gy * scale, scale, scale, c);
        }
      }
    });
  }

  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    png.data = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    return PNG.sync.write(png);
  }
}
