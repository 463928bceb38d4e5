// The same chart as plot_png.ts as inline SVG for the HTML report: scalable and selectable,
// with the same scales, styles (training dots, validation line) and legend placement.
import { escapeHtml } from './escape.js';
import {
  bestCorner, finitePoints, project, seriesStyle, seriesTrace, tickLabel, toPixels, xScale, yScale,
  type PlotSeries, type Point, type Rect, type Scale,
} from './axes.js';

export interface SvgPlotOptions {
  title: string;
  yLabel: string;
  xLabel?: string;
  width?: number;
  height?: number;
}

const FONT = 12;
const CHAR_W = 6.6; // mean advance of a 12px sans-serif character, for the legend's width

const rgb = (c: readonly number[]): string => `rgb(${c.map((v) => Math.round(v)).join(',')})`;
const n1 = (v: number): string => v.toFixed(1);

/** An <svg> element (480x300 user units by default) that scales to its container's width. */
export function plotCurvesSvg(series: PlotSeries[], o: SvgPlotOptions): string {
  const width = o.width ?? 480;
  const height = o.height ?? 300;
  const f: Rect = { left: 56, top: 30, right: width - 14, bottom: height - 42 };
  const xs = xScale(series);
  const ys = yScale(series);
  const parts = [
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`,
    axes(f, xs, ys, o, width, height),
    ...series.map((s) => seriesSvg(f, xs, ys, s)),
    legend(f, series, series.flatMap((s) => seriesTrace(f, xs, ys, s))),
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 ${width} ${height}" ` +
    `role="img" aria-label="${escapeHtml(o.title)}" font-family="sans-serif" font-size="${FONT}">` +
    `<title>${escapeHtml(o.title)}</title>${parts.join('')}</svg>`;
}

function axes(f: Rect, xs: Scale, ys: Scale, o: SvgPlotOptions, w: number, h: number): string {
  const out: string[] = [];
  for (const t of ys.ticks) {
    const y = n1(project(t, ys, f.bottom, f.top));
    out.push(`<line x1="${f.left}" x2="${f.right}" y1="${y}" y2="${y}" stroke="#e8e8e8"/>`,
      `<line x1="${f.left - 4}" x2="${f.left}" y1="${y}" y2="${y}" stroke="#222"/>`,
      `<text x="${f.left - 7}" y="${y}" text-anchor="end" dominant-baseline="middle" ` +
      `fill="#222">${tickLabel(t, ys)}</text>`);
  }
  for (const t of xs.ticks) {
    const x = n1(project(t, xs, f.left, f.right));
    out.push(`<line x1="${x}" x2="${x}" y1="${f.bottom}" y2="${f.bottom + 4}" stroke="#222"/>`,
      `<text x="${x}" y="${f.bottom + 17}" text-anchor="middle" fill="#222">` +
      `${tickLabel(t, xs)}</text>`);
  }
  const midX = (f.left + f.right) / 2;
  const midY = (f.top + f.bottom) / 2;
  out.push(`<rect x="${f.left}" y="${f.top}" width="${f.right - f.left}" ` +
      `height="${f.bottom - f.top}" fill="none" stroke="#222"/>`,
    `<text x="${midX}" y="${h - 8}" text-anchor="middle">` +
      `${escapeHtml(o.xLabel ?? 'Epochs')}</text>`,
    `<text x="14" y="${midY}" text-anchor="middle" transform="rotate(-90 14 ${midY})">` +
      `${escapeHtml(o.yLabel)}</text>`,
    `<text x="${w / 2}" y="18" text-anchor="middle" font-weight="bold" font-size="13">` +
      `${escapeHtml(o.title)}</text>`);
  return out.join('');
}

// Training: dots. Validation: a polyline per run of finite values (NaN breaks the line, as in
// matplotlib); a lone finite value gets a small square so that one epoch still shows.
function seriesSvg(f: Rect, xs: Scale, ys: Scale, s: PlotSeries): string {
  const color = rgb(s.color);
  const at = (p: Point): Point => toPixels(f, xs, ys, p);
  if (seriesStyle(s) === 'dots') {
    return finitePoints(s.values).map((p) => at(p))
      .map((q) => `<circle cx="${n1(q.x)}" cy="${n1(q.y)}" r="3.5" fill="${color}"/>`).join('');
  }
  return runs(s.values).map((run) => {
    const pts = run.map(at);
    if (pts.length === 1) {
      return `<rect x="${n1(pts[0].x - 3)}" y="${n1(pts[0].y - 3)}" width="6" height="6" ` +
        `fill="${color}"/>`;
    }
    const d = pts.map((q) => `${n1(q.x)},${n1(q.y)}`).join(' ');
    return `<polyline points="${d}" fill="none" stroke="${color}" stroke-width="2"/>`;
  }).join('');
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
  const w = 44 + Math.max(...series.map((s) => s.label.length)) * CHAR_W;
  const h = rowH * series.length + 6;
  const b = bestCorner(f, w, h, 8, trace);
  const rows = series.map((s, i) => {
    const cy = b.y + 3 + rowH * i + rowH / 2;
    const color = rgb(s.color);
    const mark = seriesStyle(s) === 'dots'
      ? `<circle cx="${n1(b.x + 18)}" cy="${n1(cy)}" r="3.5" fill="${color}"/>`
      : `<line x1="${n1(b.x + 8)}" x2="${n1(b.x + 28)}" y1="${n1(cy)}" y2="${n1(cy)}" ` +
        `stroke="${color}" stroke-width="2"/>`;
    return `${mark}<text x="${n1(b.x + 36)}" y="${n1(cy)}" dominant-baseline="middle">` +
      `${escapeHtml(s.label)}</text>`;
  });
  return `<rect x="${n1(b.x)}" y="${n1(b.y)}" width="${n1(w)}" height="${h}" fill="#fff" ` +
    `fill-opacity="0.9" stroke="#ccc" rx="3"/>${rows.join('')}`;
}
