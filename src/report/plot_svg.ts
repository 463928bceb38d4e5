// A training curve chart as SVG: inline in the HTML report, and rendered to the PNG files by
// svg_png.ts, so both show the same chart. Scales come from axes.ts, positions from
// plot_layout.ts (which keeps the axis labels clear of the tick labels).
import { escapeHtml } from './escape.js';
import {
  bestCorner,
  finitePoints,
  project,
  seriesStyle,
  seriesTrace,
  tickLabel,
  toPixels,
  xScale,
  yScale,
  type PlotSeries,
  type Point,
  type Rect,
  type Scale,
} from './axes.js';
import { FONT, plotLayout, textWidth, TITLE_FONT, type PlotLayout } from './plot_layout.js';

export interface SvgPlotOptions {
  /** Lines split at '\n'. */
  title: string;
  yLabel: string;
  xLabel?: string;
  width?: number;
  height?: number;
}

/** DejaVu Sans first: the font the PNGs are rendered with, and whose widths the layout assumes. */
export const FONT_FAMILY = "'DejaVu Sans', Verdana, sans-serif";

const rgb = (c: readonly number[]): string => `rgb(${c.map((v) => Math.round(v)).join(',')})`;
const n1 = (v: number): string => v.toFixed(1);

/** An <svg> element (480x300 user units by default) that scales to its container's width. */
export function plotCurvesSvg(series: PlotSeries[], o: SvgPlotOptions): string {
  const width = o.width ?? 480;
  const height = o.height ?? 300;
  const xs = xScale(series);
  const ys = yScale(series);
  const l = plotLayout(ys, o.title.split('\n').length, width, height);
  const f = l.frame;
  const parts = [
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    axes(l, xs, ys, o, width),
    ...series.map((s) => seriesSvg(f, xs, ys, s)),
    legend(
      f,
      series,
      series.flatMap((s) => seriesTrace(f, xs, ys, s)),
    ),
  ];
  const title = o.title.replace(/\n/g, ' — ');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 ${width} ${height}" ` +
    `width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}" ` +
    `font-family="${FONT_FAMILY}" font-size="${FONT}"><title>${escapeHtml(title)}</title>${parts.join('')}</svg>`
  );
}

function axes(l: PlotLayout, xs: Scale, ys: Scale, o: SvgPlotOptions, w: number): string {
  const f = l.frame;
  const out: string[] = [];
  for (const t of ys.ticks) {
    const y = n1(project(t, ys, f.bottom, f.top));
    out.push(
      `<line x1="${f.left}" x2="${f.right}" y1="${y}" y2="${y}" stroke="#e8e8e8"/>`,
      `<line x1="${f.left - 4}" x2="${f.left}" y1="${y}" y2="${y}" stroke="#222"/>`,
      `<text x="${n1(l.tickRight)}" y="${y}" text-anchor="end" dominant-baseline="central" ` +
        `fill="#222">${tickLabel(t, ys)}</text>`,
    );
  }
  for (const t of xs.ticks) {
    const x = n1(project(t, xs, f.left, f.right));
    out.push(
      `<line x1="${x}" x2="${x}" y1="${f.bottom}" y2="${f.bottom + 4}" stroke="#222"/>`,
      `<text x="${x}" y="${n1(l.xTickY)}" text-anchor="middle" fill="#222">${tickLabel(t, xs)}</text>`,
    );
  }
  const midX = (f.left + f.right) / 2;
  const midY = n1((f.top + f.bottom) / 2);
  const yl = n1(l.yLabelX);
  const titles = o.title
    .split('\n')
    .map(
      (line, i) =>
        `<text x="${w / 2}" y="${n1(l.titleY[i])}" text-anchor="middle" font-weight="bold" ` +
        `font-size="${TITLE_FONT}">${escapeHtml(line)}</text>`,
    );
  out.push(
    `<rect x="${n1(f.left)}" y="${n1(f.top)}" width="${n1(f.right - f.left)}" ` +
      `height="${n1(f.bottom - f.top)}" fill="none" stroke="#222"/>`,
    `<text x="${n1(midX)}" y="${n1(l.xLabelY)}" text-anchor="middle">${escapeHtml(o.xLabel ?? 'Epochs')}</text>`,
    `<text x="${yl}" y="${midY}" text-anchor="middle" dominant-baseline="central" ` +
      `transform="rotate(-90 ${yl} ${midY})">${escapeHtml(o.yLabel)}</text>`,
    ...titles,
  );
  return out.join('');
}

// Training: dots. Validation: a polyline per run of finite values (NaN breaks the line, as in
// matplotlib); a lone finite value gets a small square so that one epoch still shows.
function seriesSvg(f: Rect, xs: Scale, ys: Scale, s: PlotSeries): string {
  const color = rgb(s.color);
  const at = (p: Point): Point => toPixels(f, xs, ys, p);
  if (seriesStyle(s) === 'dots') {
    return finitePoints(s.values)
      .map((p) => at(p))
      .map((q) => `<circle cx="${n1(q.x)}" cy="${n1(q.y)}" r="3.5" fill="${color}"/>`)
      .join('');
  }
  return runs(s.values)
    .map((run) => {
      const pts = run.map(at);
      if (pts.length === 1) {
        return `<rect x="${n1(pts[0].x - 3)}" y="${n1(pts[0].y - 3)}" width="6" height="6" ` + `fill="${color}"/>`;
      }
      const d = pts.map((q) => `${n1(q.x)},${n1(q.y)}`).join(' ');
      return `<polyline points="${d}" fill="none" stroke="${color}" stroke-width="2"/>`;
    })
    .join('');
}

/** Maximal runs of consecutive finite values, as (epoch, value) points. */
function runs(values: readonly number[]): Point[][] {
  const out: Point[][] = [];
  let cur: Point[] = [];
  values.forEach((v, i) => {
    if (Number.isFinite(v)) {
      cur.push({ x: i + 1, y: v });
    } else if (cur.length) {
      out.push(cur);
      cur = [];
    }
  });
  if (cur.length) out.push(cur);
  return out;
}

function legend(f: Rect, series: PlotSeries[], trace: Point[]): string {
  if (series.length === 0) return '';
  const rowH = 18;
  const w = 44 + Math.max(...series.map((s) => textWidth(s.label)));
  const h = rowH * series.length + 6;
  const b = bestCorner(f, w, h, 8, trace);
  const rows = series.map((s, i) => {
    const cy = b.y + 3 + rowH * i + rowH / 2;
    const color = rgb(s.color);
    const mark =
      seriesStyle(s) === 'dots'
        ? `<circle cx="${n1(b.x + 18)}" cy="${n1(cy)}" r="3.5" fill="${color}"/>`
        : `<line x1="${n1(b.x + 8)}" x2="${n1(b.x + 28)}" y1="${n1(cy)}" y2="${n1(cy)}" ` +
          `stroke="${color}" stroke-width="2"/>`;
    return (
      `${mark}<text x="${n1(b.x + 36)}" y="${n1(cy)}" dominant-baseline="middle">` + `${escapeHtml(s.label)}</text>`
    );
  });
  return (
    `<rect x="${n1(b.x)}" y="${n1(b.y)}" width="${n1(w)}" height="${h}" fill="#fff" ` +
    `fill-opacity="0.9" stroke="#ccc" rx="3"/>${rows.join('')}`
  );
}
