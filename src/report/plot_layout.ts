// Where a plot's frame, tick labels and axis labels go, from the widths of the labels themselves:
// the y-axis label sits left of the widest tick label, so a long tick ("0.0005") pushes the
// frame right instead of running into the label. Widths are estimated from DejaVu Sans's advance
// widths (the font the PNGs are rendered with, see svg_png.ts), rounded up: browsers drawing the
// inline SVG with a narrower sans-serif only leave more room.
import { tickLabel, type Rect, type Scale } from './axes.js';

export const FONT = 12;
export const TITLE_FONT = 13;
const TICK = 4;
const GAP = 3;
const PAD = 6;

/** Advance widths in em, DejaVu Sans rounded up; anything else counts as a wide letter. */
function advance(ch: string): number {
  if (/[0-9]/.test(ch)) return 0.64;
  if (/[.,:;!|il' ]/.test(ch)) return 0.33;
  if (ch === '-' || ch === '(' || ch === ')') return 0.4;
  if (/[mwMW]/.test(ch)) return 1.0;
  if (/[A-Z]/.test(ch)) return 0.75;
  return 0.62;
}

/** The rendered width of `s` at `size` px, an upper estimate. */
export function textWidth(s: string, size = FONT): number {
  let w = 0;
  for (const ch of s) w += advance(ch);
  return w * size;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface PlotLayout {
  frame: Rect;
  /** Right edge of the y tick labels (text-anchor end). */
  tickRight: number;
  /** Centre x of the rotated y-axis label. */
  yLabelX: number;
  /** Baselines: the x tick labels, the x-axis label, and each title line. */
  xTickY: number;
  xLabelY: number;
  titleY: number[];
}

/** Lays out a width x height plot whose y ticks are `ys` and whose title has `titleLines`. */
export function plotLayout(ys: Scale, titleLines: number, width: number, height: number): PlotLayout {
  const widest = Math.max(0, ...ys.ticks.map((t) => textWidth(tickLabel(t, ys))));
  const yLabelX = PAD + FONT / 2;
  const tickRight = yLabelX + FONT / 2 + GAP * 2 + widest;
  const titleY = Array.from({ length: titleLines }, (_, i) => PAD + TITLE_FONT + i * (TITLE_FONT + 4));
  const top = (titleY[titleY.length - 1] ?? PAD) + 12;
  const bottom = height - PAD - FONT - GAP - FONT - TICK - GAP * 2;
  const frame = { left: tickRight + GAP + TICK, top, right: width - 14, bottom };
  return { frame, tickRight, yLabelX, xTickY: bottom + TICK + GAP + FONT, xLabelY: height - PAD - 2, titleY };
}

/**
 * The boxes the y-axis text covers: the rotated label (`label` long, centred on the frame) and
 * one box per tick label. Tests check that none overlap.
 */
export function yTextBoxes(l: PlotLayout, ys: Scale, label: string, project: (v: number) => number): Box[] {
  const lw = textWidth(label);
  const midY = (l.frame.top + l.frame.bottom) / 2;
  const boxes: Box[] = [{ x: l.yLabelX - FONT / 2, y: midY - lw / 2, w: FONT, h: lw }];
  for (const t of ys.ticks) {
    const w = textWidth(tickLabel(t, ys));
    boxes.push({ x: l.tickRight - w, y: project(t) - FONT / 2, w, h: FONT });
  }
  return boxes;
}

export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}
