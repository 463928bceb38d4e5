// Axis ranges and ticks shared by the PNG and the SVG plots, so that both draw the same chart:
// epochs 1..n on x (as the book's `range(1, len(acc) + 1)`), the data range on y with a margin.

export interface PlotSeries {
  label: string;
  values: number[];
  color: [number, number, number];
  /** 'dots' as matplotlib's 'bo', 'line' as 'b'; default: dots when the label starts "train". */
  style?: 'dots' | 'line';
}

export interface Scale {
  min: number;
  max: number;
  ticks: number[];
  /** Decimals that tell the ticks apart. */
  decimals: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export function seriesStyle(s: PlotSeries): 'dots' | 'line' {
  return s.style ?? (/^train/i.test(s.label) ? 'dots' : 'line');
}

/** (epoch, value) of the finite entries; epochs count from 1. JSON turns NaN into null. */
export function finitePoints(values: readonly (number | null)[]): Point[] {
  const out: Point[] = [];
  values.forEach((v, i) => {
    if (typeof v === 'number' && Number.isFinite(v)) out.push({ x: i + 1, y: v });
  });
  return out;
}

/** 1, 2 or 5 times a power of ten, the first that gives at most `target` intervals. */
export function niceStep(span: number, target: number): number {
  const raw = span / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw * (1 - 1e-9)) return m * mag;
  return 10 * mag;
}

function ticksIn(min: number, max: number, step: number): number[] {
  const out: number[] = [];
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max + step * 1e-9; k++) {
    out.push(Number((k * step).toPrecision(12))); // no 0.30000000000000004 labels
  }
  return out;
}

/** The y scale: the data range plus 5% each side; a flat series gets a range around it. */
export function yScale(series: readonly PlotSeries[]): Scale {
  const ys = series.flatMap((s) => finitePoints(s.values).map((p) => p.y));
  let lo = ys.length ? Math.min(...ys) : 0;
  let hi = ys.length ? Math.max(...ys) : 1;
  if (hi - lo < 1e-12) {
    const pad = Math.abs(lo) * 0.1 || 0.1;
    lo -= pad;
    hi += pad;
  }
  const margin = (hi - lo) * 0.05;
  lo -= margin;
  hi += margin;
  const step = niceStep(hi - lo, 6);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return { min: lo, max: hi, ticks: ticksIn(lo, hi, step), decimals };
}

/** The x scale for epochs 1..n, integer ticks only; one epoch sits in the middle. */
export function xScale(series: readonly PlotSeries[]): Scale {
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const pad = Math.max((n - 1) * 0.05, 0.5);
  const step = Math.max(1, niceStep(n - 1 || 1, 8));
  const ticks = ticksIn(1, n, step).filter((t) => Number.isInteger(t));
  return { min: 1 - pad, max: n + pad, ticks, decimals: 0 };
}

/** Maps a value onto [from, to] (pixels; `to` < `from` for an upward y axis). */
export function project(v: number, s: Scale, from: number, to: number): number {
  return from + ((v - s.min) / (s.max - s.min)) * (to - from);
}

export function tickLabel(v: number, s: Scale): string {
  return v.toFixed(s.decimals);
}

/** Data coordinates to pixels inside `f` (y grows downwards). */
export function toPixels(f: Rect, xs: Scale, ys: Scale, p: Point): Point {
  return { x: project(p.x, xs, f.left, f.right), y: project(p.y, ys, f.bottom, f.top) };
}

// Pixel positions the series covers, for placing the legend where it hides the least.
export function seriesTrace(f: Rect, xs: Scale, ys: Scale, s: PlotSeries): Point[] {
  const pts = finitePoints(s.values).map((p) => toPixels(f, xs, ys, p));
  if (seriesStyle(s) === 'dots') return pts;
  const out: Point[] = [...pts];
  for (let i = 1; i < pts.length; i++) {
    const [a, b] = [pts[i - 1], pts[i]];
    for (let t = 0.1; t < 1; t += 0.1) {
      out.push({ x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t });
    }
  }
  return out;
}

// matplotlib's loc='best' in small: the corner whose box covers the fewest plotted pixels,
// upper right first on ties.
export function bestCorner(f: Rect, w: number, h: number, m: number, trace: Point[]): Point {
  const corners: Point[] = [
    { x: f.right - m - w, y: f.top + m },
    { x: f.left + m, y: f.top + m },
    { x: f.left + m, y: f.bottom - m - h },
    { x: f.right - m - w, y: f.bottom - m - h },
  ];
  const under = (b: Point, p: Point): boolean =>
    p.x >= b.x - 4 && p.x <= b.x + w + 4 && p.y >= b.y - 4 && p.y <= b.y + h + 4;
  const hidden = (b: Point): number => trace.filter((p) => under(b, p)).length;
  return corners.reduce((best, b) => (hidden(b) < hidden(best) ? b : best));
}
