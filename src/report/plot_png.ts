// Training curves as a PNG, drawn the way the book's matplotlib plots look: training values as
// dots ('bo'), validation values as a line ('b'), epochs 1..n on x, a title and a legend.
import { Canvas, type Rgb } from './canvas.js';
import { ADVANCE, GLYPH_H, textWidth } from './font5x7.js';
import {
  bestCorner, finitePoints, project, seriesStyle, seriesTrace, tickLabel, toPixels, xScale, yScale,
  type PlotSeries, type Point, type Rect, type Scale,
} from './axes.js';

export type { PlotSeries } from './axes.js';

export interface PlotOptions {
  title: string;
  yLabel: string;
  xLabel?: string;
  width?: number;
  height?: number;
}

interface Frame extends Rect {
  /** Font scale: each 5x7 font pixel is ts x ts. */
  ts: number;
  pad: number;
}

const INK: Rgb = [34, 34, 34];
const GRID: Rgb = [232, 232, 232];
const LEGEND_EDGE: Rgb = [200, 200, 200];

/** A PNG line chart of `series` (640x480 by default); non-finite values are skipped. */
export function plotCurvesPng(series: PlotSeries[], o: PlotOptions): Buffer {
  const width = o.width ?? 640;
  const height = o.height ?? 480;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 160 && height >= 120)) {
    throw new RangeError(`plot size ${width}x${height}: need integers of at least 160x120`);
  }
  const xs = xScale(series);
  const ys = yScale(series);
  const f = frame(width, height, ys, o.title);
  const c = new Canvas(width, height);
  drawAxes(c, f, xs, ys, o);
  for (const s of series) drawSeries(c, f, xs, ys, s);
  drawLegend(c, f, series, series.flatMap((s) => seriesTrace(f, xs, ys, s)));
  return c.toPng();
}

// Text grows with the image: 5x7 pixels at 320x240, 10x14 at the default 640x480.
function frame(width: number, height: number, ys: Scale, title: string): Frame {
  const ts = Math.max(1, Math.round(Math.min(width / 320, height / 240)));
  const pad = 4 * ts;
  const charH = GLYPH_H * ts;
  const tickW = Math.max(...ys.ticks.map((t) => textWidth(tickLabel(t, ys), ts)), 0);
  const left = pad + charH + 2 * pad + tickW + pad;
  const top = 2 * pad + titleLines(title, width, ts).length * (charH + 2 * pad) + pad;
  const bottom = height - (pad + charH + 2 * pad + charH + pad);
  return { left, top, right: width - 4 * pad, bottom, ts, pad };
}

function drawAxes(c: Canvas, f: Frame, xs: Scale, ys: Scale, o: PlotOptions): void {
  const { ts, pad } = f;
  const tick = 2 * ts;
  for (const t of ys.ticks) {
    const y = Math.round(project(t, ys, f.bottom, f.top));
    c.fillRect(f.left + 1, y, f.right - f.left - 1, 1, GRID);
    c.fillRect(f.left - tick, y, tick, 1, INK);
    const label = tickLabel(t, ys);
    c.text(f.left - tick - pad - textWidth(label, ts), y - (GLYPH_H * ts) / 2, label, ts, INK);
  }
  for (const t of xs.ticks) {
    const x = Math.round(project(t, xs, f.left, f.right));
    c.fillRect(x, f.bottom, 1, tick, INK);
    const label = tickLabel(t, xs);
    c.text(x - textWidth(label, ts) / 2, f.bottom + tick + pad, label, ts, INK);
  }
  c.strokeRect(f.left, f.top, f.right - f.left + 1, f.bottom - f.top + 1, INK);
  const xLabel = o.xLabel ?? 'Epochs';
  const mid = (f.left + f.right) / 2;
  c.text(mid - textWidth(xLabel, ts) / 2, c.height - pad - GLYPH_H * ts, xLabel, ts, INK);
  const yMid = (f.top + f.bottom) / 2 + textWidth(o.yLabel, ts) / 2;
  c.text(pad, yMid, o.yLabel, ts, INK, true);
  drawTitle(c, f, o.title);
}

// The title's lines: one per '\n', long ones wrapped at spaces, at most 3 (the last one ends
// in '...' when text is left over), so that a long approach title stays readable.
function titleLines(title: string, width: number, ts: number): string[] {
  const max = Math.max(4, Math.floor((width - 16 * ts) / (ADVANCE * ts)));
  const lines: string[] = [];
  for (const para of title.split('\n')) {
    let cur = '';
    for (const word of para.split(' ').filter(Boolean)) {
      if (cur && `${cur} ${word}`.length > max) {
        lines.push(cur);
        cur = '';
      }
      cur = cur ? `${cur} ${word}` : word;
    }
    if (cur) lines.push(cur);
  }
  const clip = (s: string): string => (s.length > max ? `${s.slice(0, max - 3)}...` : s);
  if (lines.length > 3) lines.splice(2, lines.length - 2, `${lines[2]}...`);
  return lines.map(clip);
}

// Centred lines, bold by drawing twice one pixel apart.
function drawTitle(c: Canvas, f: Frame, title: string): void {
  titleLines(title, c.width, f.ts).forEach((text, n) => {
    const w = textWidth(text, f.ts);
    // Centred over the plot area when it fits there, else over the whole image.
    const centre = w <= f.right - f.left ? (f.left + f.right) / 2 : c.width / 2;
    const x = Math.max(f.pad, centre - w / 2);
    const y = 2 * f.pad + n * (GLYPH_H * f.ts + 2 * f.pad);
    c.text(x, y, text, f.ts, INK);
    c.text(x + 1, y, text, f.ts, INK);
  });
}

function drawSeries(c: Canvas, f: Frame, xs: Scale, ys: Scale, s: PlotSeries): void {
  const at = (i: number): Point => toPixels(f, xs, ys, { x: i + 1, y: s.values[i] });
  const ok = (i: number): boolean => Number.isFinite(s.values[i]);
  if (seriesStyle(s) === 'dots') {
    for (const p of finitePoints(s.values)) {
      const q = toPixels(f, xs, ys, p);
      c.disc(q.x, q.y, 1.5 * f.ts + 1, s.color);
    }
    return;
  }
  for (let i = 0; i < s.values.length; i++) {
    if (!ok(i)) continue;
    const joined = (i > 0 && ok(i - 1)) || (i + 1 < s.values.length && ok(i + 1));
    // A point with no finite neighbour (one epoch, or NaN on both sides) would vanish from a
    // line plot; a small square keeps it visible.
    const r = f.ts + 1;
    if (!joined) c.fillRect(at(i).x - r, at(i).y - r, 2 * r + 1, 2 * r + 1, s.color);
    if (i + 1 < s.values.length && ok(i + 1)) {
      const a = at(i);
      const b = at(i + 1);
      c.line(a.x, a.y, b.x, b.y, s.color, f.ts);
    }
  }
}

function drawLegend(c: Canvas, f: Frame, series: PlotSeries[], trace: Point[]): void {
  if (series.length === 0) return;
  const { ts, pad } = f;
  const sample = 8 * ts;
  const rowH = GLYPH_H * ts + 2 * pad;
  const w = 3 * pad + sample + Math.max(...series.map((s) => textWidth(s.label, ts))) + pad;
  const h = rowH * series.length + pad;
  const box = bestCorner(f, w, h, 2 * pad, trace);
  c.fillRect(box.x, box.y, w, h, [255, 255, 255]);
  c.strokeRect(box.x, box.y, w, h, LEGEND_EDGE);
  series.forEach((s, n) => {
    const cy = box.y + pad + n * rowH + rowH / 2;
    const sx = box.x + pad;
    if (seriesStyle(s) === 'dots') c.disc(sx + sample / 2, cy, 1.5 * ts + 1, s.color);
    else c.line(sx, cy, sx + sample, cy, s.color, ts);
    c.text(sx + sample + 2 * pad, cy - (GLYPH_H * ts) / 2, s.label, ts, INK);
  });
}
