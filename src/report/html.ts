// The report of a chapter run as one self-contained HTML page: no scripts, no external fonts,
// styles or images (thumbnails are data: URIs), and a Content-Security-Policy that says so, so
// the file can be mailed or archived and opened anywhere. Every string from the run (paths,
// file names, summaries, notes, titles) is escaped: a path may contain `<script>`.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { PNG } from 'pngjs';
import { decodeImage } from '../data/decode.js';
import type { RgbImage } from '../data/rgb_image.js';
import { resizeBilinear } from '../data/resize.js';
import { escapeHtml } from './escape.js';
import { historyPath } from './history_csv.js';
import { plotCurvesSvg } from './plot_svg.js';
import type { ApproachResult, ChapterResults, Misclassified, PresetChange } from './results.js';
import { CSS } from './style.js';
import type { PlotSeries } from './axes.js';

export { escapeHtml } from './escape.js';

export interface Thumbnail {
  /** Matches Misclassified.rel. */
  rel: string;
  dataUri: string;
}

const BLUE: [number, number, number] = [31, 119, 180];
const ORANGE: [number, number, number] = [214, 96, 20];
const GREEN: [number, number, number] = [44, 160, 44];

/** The whole page. `images` are thumbnails of r.test.misclassified, by `rel`. */
export function renderReport(r: ChapterResults, images: Thumbnail[]): string {
  const body = [
    header(r),
    notes(r),
    headline(r),
    runInfo(r),
    presetTable(r),
    hyperTable(r.approaches),
    comparison(r.approaches),
    ...r.approaches.map(approachSection),
    misclassified(r, images),
    pipeline(r),
    summaries(r),
    `<footer>Written by dawnflow from results.json (format version ${escapeHtml(r.version)}).</footer>`,
  ];
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; ' +
    "img-src data:; style-src 'unsafe-inline'\">" +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(pageTitle(r))}</title><style>${CSS}</style></head>\n` +
    `<body><main>\n${body.filter(Boolean).join('\n')}\n</main></body></html>\n`
  );
}

function pageTitle(r: ChapterResults): string {
  return `dawnflow chapter run ${r.startedAt}`;
}

// ---------------------------------------------------------------- header, notes, headline

function header(r: ChapterResults): string {
  const state =
    r.finishedAt === null
      ? '<span class="badge running">in progress</span>'
      : `finished ${escapeHtml(r.finishedAt)} (${duration(r.startedAt, r.finishedAt)})`;
  return (
    '<header><h1>Using a pretrained convnet: cats vs dogs with VGG16</h1>' +
    `<p class="sub">DLwP 5.3 on dawnflow · started ${escapeHtml(r.startedAt)} · ${state}` +
    `${r.quick ? ` · <span class="badge running">${escapeHtml(presetName(r))} preset</span>` : ''}</p></header>`
  );
}

/** 'quick' or 'demo' (a run without the preset record, from before it existed, says quick). */
function presetName(r: ChapterResults): string {
  return r.preset?.name ?? 'quick';
}

/** The run's notes plus the warnings its facts imply, unless a note already says them. */
export function reportNotes(r: ChapterResults): string[] {
  const out = [...r.notes];
  const says = (word: string): boolean => out.some((n) => n.toLowerCase().includes(word));
  if (r.weights.random && !says('random')) {
    out.unshift('random weights: the conv base is untrained, so this is not transfer learning');
  }
  if (r.data.synthetic && !says('synthetic')) {
    out.push('synthetic data: the images are generated, not the Kaggle cats and dogs');
  }
  if (r.quick && !says('preset')) out.push(`${presetName(r)} preset: fewer epochs and steps than the book`);
  if (r.adapter.software && !says('software')) {
    out.push('software adapter: the GPU is emulated on the CPU, so timings are not representative');
  }
  return out;
}

function notes(r: ChapterResults): string {
  const all = reportNotes(r);
  if (all.length === 0) return '';
  const items = all.map((n) => `<li>${escapeHtml(n)}</li>`).join('');
  return `<section class="notes" role="alert"><h2>Read this first</h2><ul>${items}</ul></section>`;
}

function headline(r: ChapterResults): string {
  const test = r.test
    ? `<div class="big">${pct(r.test.acc)}</div><div>test accuracy` +
      ` · loss ${num(r.test.loss, 4)} · ${r.test.misclassified.length} misclassified</div>`
    : '<div class="big muted">—</div><div>no test evaluation yet</div>';
  const cards = r.approaches.map((a) => {
    const best = bestEpoch(a.history.val_acc);
    const value = best ? pct(best.value) : '—';
    const when = best ? `best val_acc, epoch ${best.epoch}` : statusWord(a);
    return (
      `<div class="card"><div class="mid">${value}</div><div>${escapeHtml(a.title)}</div>` +
      `<div class="muted">${when}</div></div>`
    );
  });
  return `<section class="headline"><div class="card test">${test}</div>${cards.join('')}</section>`;
}

// ---------------------------------------------------------------- run information

function runInfo(r: ChapterResults): string {
  const a = r.adapter;
  const adapter =
    [a.vendor, a.architecture, a.device].filter(Boolean).join(' · ') + (a.description ? ` — ${a.description}` : '');
  const counts = imageCounts(r);
  const weights = r.weights.random
    ? '<strong class="warn">random (no pretrained weights)</strong>'
    : `<code>${escapeHtml(r.weights.file ?? '(unknown file)')}</code>`;
  const rows: [string, string][] = [
    ['command', `<code>${escapeHtml(r.command)}</code>`],
    ['adapter', `${escapeHtml(adapter)}${flag(a.software, 'software')}`],
    ['data', `<code>${escapeHtml(r.data.dir)}</code>${flag(r.data.synthetic, 'synthetic')}`],
    ['images', counts || '—'],
    ['weights', weights],
  ];
  return (
    '<section><h2>Run</h2><table class="kv">' +
    rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('') +
    '</table></section>'
  );
}

/** Each split's folder size, and what --limit cut down: the images tested, approach 1's features. */
function imageCounts(r: ChapterResults): string {
  const tested = r.test?.images;
  const splits = Object.entries(r.data.counts).map(([k, n]) =>
    k === 'test' && tested !== undefined && tested < n
      ? `${escapeHtml(k)} ${n} (<b>${tested}</b> tested)`
      : `${escapeHtml(k)} ${n}`,
  );
  const limit = r.data.limit;
  if (limit !== undefined) {
    splits.push(`<b>--limit ${limit}</b>: approach 1's features from at most ${limit} images per split`);
  }
  return splits.join(' · ');
}

/** A preset's every departure from the book's settings, side by side with the book's value. */
function presetTable(r: ChapterResults): string {
  const p = r.preset;
  if (!p || p.changes.length === 0) return '';
  const cell = (v: PresetChange['value']): string => escapeHtml(v === null ? '—' : formatValue(v));
  const rows = p.changes.map(
    (c) => `<tr><th><code>${escapeHtml(c.setting)}</code></th><td>${cell(c.value)}</td><td>${cell(c.book)}</td></tr>`,
  );
  return (
    `<section><h2>${escapeHtml(p.name)} preset: settings changed from the book</h2>` +
    '<div class="scroll"><table class="grid"><thead><tr><th>setting</th><th>this run</th><th>book</th></tr>' +
    `</thead><tbody>${rows.join('')}</tbody></table></div></section>`
  );
}

/** Validation curves of every approach on one chart per metric. */
function comparison(approaches: ApproachResult[]): string {
  const run = approaches.filter((a) => a.history.val_loss.length + a.history.val_acc.length > 0);
  if (run.length < 2) return '';
  const chart = (metric: 'acc' | 'loss'): string => {
    const word = metric === 'acc' ? 'accuracy' : 'loss';
    return `<figure>${plotCurvesSvg(combinedSeries(run, metric), {
      title: `Validation ${word}, approaches side by side`,
      yLabel: `Validation ${word}`,
    })}</figure>`;
  };
  return `<section><h2>The approaches compared</h2><div class="charts">${chart('acc')}${chart('loss')}</div></section>`;
}

/** One validation line per approach, in the approaches' own colours. */
export function combinedSeries(approaches: ApproachResult[], metric: 'loss' | 'acc'): PlotSeries[] {
  const colours = [BLUE, ORANGE, GREEN];
  return approaches.map((a, i) => ({
    label: shortName(a),
    values: a.history[metric === 'loss' ? 'val_loss' : 'val_acc'] ?? [],
    color: colours[i % colours.length],
    style: 'line' as const,
  }));
}

/** 'Approach 1: feature extraction (…)' -> '1: feature-extraction': short, so the legend hides little. */
function shortName(a: ApproachResult): string {
  const n = /^Approach (\d+)/.exec(a.title)?.[1];
  return n ? `${n}: ${a.name}` : a.name;
}

function hyperTable(approaches: ApproachResult[]): string {
  if (approaches.length === 0) return '';
  const keys = [...new Set(approaches.flatMap((a) => Object.keys(a.hyper)))];
  const head = approaches.map((a) => `<th>${escapeHtml(a.title)}</th>`).join('');
  const row = (label: string, cell: (a: ApproachResult) => string): string =>
    `<tr><th>${escapeHtml(label)}</th>${approaches.map((a) => `<td>${cell(a)}</td>`).join('')}</tr>`;
  const rows = [
    row('status', (a) => statusBadge(a)),
    ...keys.map((k) => row(k, (a) => (k in a.hyper ? escapeHtml(formatValue(a.hyper[k])) : ''))),
    row('resumed from epoch', (a) => escapeHtml(a.resumedFromEpoch ?? '')),
  ];
  return (
    '<section><h2>Hyper-parameters</h2><div class="scroll"><table class="grid">' +
    `<thead><tr><th></th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>` +
    '</section>'
  );
}

// ---------------------------------------------------------------- approaches

function approachSection(a: ApproachResult): string {
  const h = `<h2>${escapeHtml(a.title)} ${statusBadge(a)}</h2>`;
  const epochs = a.history.loss.length;
  if (epochs === 0 && a.history.val_loss.length === 0) {
    return `<section class="approach">${h}<p class="muted">Not run yet: no epochs recorded.</p></section>`;
  }
  const resumed =
    a.resumedFromEpoch === undefined
      ? ''
      : `<p class="muted">Resumed from a checkpoint after epoch ${escapeHtml(a.resumedFromEpoch)}.</p>`;
  const charts = `<div class="charts">${curves(a, 'loss')}${curves(a, 'acc')}</div>`;
  const csv =
    `<p class="muted">History as Keras's CSVLogger writes it: ` +
    `<a href="${escapeHtml(historyPath(a))}"><code>${escapeHtml(historyPath(a))}</code></a></p>`;
  return `<section class="approach">${h}${resumed}${charts}${timingTable(a)}${csv}</section>`;
}

function curves(a: ApproachResult, metric: 'loss' | 'acc'): string {
  const word = metric === 'loss' ? 'loss' : 'accuracy';
  const series = curveSeries(a, metric);
  return `<figure>${plotCurvesSvg(series, {
    title: `Training and validation ${word}`,
    yLabel: metric === 'loss' ? 'Loss' : 'Accuracy',
  })}</figure>`;
}

/** The book's pairs: 'Training acc' as blue dots, 'Validation acc' as a blue line. */
export function curveSeries(a: ApproachResult, metric: 'loss' | 'acc'): PlotSeries[] {
  const train = a.history[metric] ?? [];
  const val = a.history[metric === 'loss' ? 'val_loss' : 'val_acc'] ?? [];
  return [
    { label: `Training ${metric}`, values: train, color: BLUE, style: 'dots' },
    { label: `Validation ${metric}`, values: val, color: BLUE, style: 'line' },
  ];
}

// Per-epoch seconds (and images/s when steps x batch is known) next to the metrics; long runs
// scroll inside a box rather than pushing the rest of the report down.
function timingTable(a: ApproachResult): string {
  const h = a.history;
  const n = Math.max(h.loss.length, h.val_loss.length, a.epochSeconds.length);
  const perEpoch = imagesPerEpoch(a);
  const rate = (s: number): string => (perEpoch && s > 0 ? num(perEpoch / s, 1) : '—');
  const heads = ['epoch', 'seconds', ...(perEpoch ? ['images/s'] : []), 'loss', 'acc', 'val_loss', 'val_acc'];
  const rows = Array.from({ length: n }, (_, i) => {
    const s = a.epochSeconds[i];
    const cells = [
      i + 1,
      num(s, 2),
      ...(perEpoch ? [rate(s)] : []),
      num(h.loss[i], 4),
      num(h.acc[i], 4),
      num(h.val_loss[i], 4),
      num(h.val_acc[i], 4),
    ];
    return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return (
    `<p>${timingSummary(a)}</p><div class="scroll epochs"><table class="grid num"><thead>` +
    `<tr>${heads.map((x) => `<th>${x}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table></div>`
  );
}

function timingSummary(a: ApproachResult): string {
  const secs = a.epochSeconds.filter(Number.isFinite);
  const total = secs.reduce((x, y) => x + y, 0);
  return [
    `<b>${num(total, 1)} s</b> training over ${secs.length} epoch${secs.length === 1 ? '' : 's'}`,
    secs.length ? `${num(total / secs.length, 2)} s per epoch` : '',
    a.imagesPerSec !== undefined ? `<b>${num(a.imagesPerSec, 1)}</b> training images/s` : '',
    a.featureSeconds !== undefined ? `conv-base features ${num(a.featureSeconds, 1)} s` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/** Training images per epoch when the hyper-parameters say (steps x batch). */
function imagesPerEpoch(a: ApproachResult): number | null {
  const pick = (...keys: string[]): number | null => {
    for (const k of keys) if (typeof a.hyper[k] === 'number') return a.hyper[k] as number;
    return null;
  };
  const steps = pick('steps', 'stepsPerEpoch', 'steps_per_epoch');
  const batch = pick('batch', 'batchSize', 'batch_size');
  return steps !== null && batch !== null ? steps * batch : null;
}

// ---------------------------------------------------------------- misclassified, extras

function misclassified(r: ChapterResults, images: Thumbnail[]): string {
  if (!r.test) return '';
  const list = r.test.misclassified;
  if (list.length === 0) return '<section><h2>Misclassified test images</h2><p>None.</p></section>';
  const uri = new Map(images.map((t) => [t.rel, t.dataUri]));
  const names = classNames(list);
  const shown = list.filter((m) => uri.has(m.rel));
  const cards = shown.map((m) => misclassifiedCard(m, uri.get(m.rel) ?? '', names));
  const more =
    list.length > shown.length
      ? `<p class="muted">${list.length - shown.length} more not shown (see results.json).</p>`
      : '';
  return (
    '<section><h2>Misclassified test images</h2><p class="muted">p is the model\'s ' +
    'sigmoid output, the probability of class 1; a test image counts as misclassified when ' +
    `p and its label are on opposite sides of 0.5.</p><div class="thumbs">${cards.join('')}` +
    `</div>${more}</section>`
  );
}

function misclassifiedCard(m: Misclassified, dataUri: string, names: Map<number, string>): string {
  const name = (label: number): string => names.get(label) ?? `class ${label}`;
  const img =
    dataUri.startsWith('data:image/') && dataUri !== placeholderDataUri()
      ? `<img src="${escapeHtml(dataUri)}" alt="${escapeHtml(m.rel)}">`
      : '<div class="noimg">image unreadable</div>';
  return (
    `<figure class="thumb">${img}<figcaption><b title="${escapeHtml(m.file)}">` +
    `${escapeHtml(basename(m.rel))}</b><span>${escapeHtml(m.rel)}</span>` +
    `true: ${escapeHtml(name(m.label))} (${escapeHtml(m.label)}) · predicted ` +
    `${escapeHtml(name(m.label === 1 ? 0 : 1))} · p = ${num(m.p, 3)}</figcaption></figure>`
  );
}

/** Class names from the folder above each file (test/cats/x.jpg -> cats), when unambiguous. */
function classNames(list: Misclassified[]): Map<number, string> {
  const seen = new Map<number, Set<string>>();
  for (const m of list) {
    const parts = m.rel.split(/[\\/]/);
    if (parts.length < 2) continue;
    if (!seen.has(m.label)) seen.set(m.label, new Set());
    seen.get(m.label)?.add(parts[parts.length - 2]);
  }
  return new Map([...seen].filter(([, s]) => s.size === 1).map(([k, s]) => [k, [...s][0]]));
}

function pipeline(r: ChapterResults): string {
  const entries = Object.entries(r.pipeline ?? {});
  if (entries.length === 0) return '';
  const rows = entries.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${num(v, 1)}</td></tr>`);
  return `<section><h2>Input pipeline (images/s)</h2><table class="kv">${rows.join('')}</table></section>`;
}

function summaries(r: ChapterResults): string {
  const block = (title: string, text: string): string =>
    `<details open><summary>${title}</summary><pre>${escapeHtml(text)}</pre></details>`;
  return (
    '<section><h2>Models</h2>' +
    block('conv_base.summary()', r.summaries.base) +
    block('model.summary()', r.summaries.model) +
    '</section>'
  );
}

// ---------------------------------------------------------------- formatting

function flag(on: boolean, word: string): string {
  return on ? ` <span class="badge running">${word}</span>` : '';
}

function statusWord(a: ApproachResult): string {
  return a.status === 'done' ? 'done' : a.status === 'running' ? 'running' : 'not run yet';
}

function statusBadge(a: ApproachResult): string {
  const cls = a.status === 'done' ? 'done' : a.status === 'running' ? 'running' : 'pending';
  return `<span class="badge ${cls}">${statusWord(a)}</span>`;
}

function bestEpoch(values: readonly number[]): { epoch: number; value: number } | null {
  let best: { epoch: number; value: number } | null = null;
  values.forEach((v, i) => {
    if (Number.isFinite(v) && (best === null || v > best.value)) best = { epoch: i + 1, value: v };
  });
  return best;
}

function num(v: unknown, digits: number): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—';
}

function pct(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '—';
}

/** Learning rates as 2e-5 rather than 0.00002; anything else as written. */
function formatValue(v: unknown): string {
  if (typeof v === 'number' && v !== 0 && Math.abs(v) < 1e-3) return v.toExponential();
  if (Array.isArray(v)) return v.join('×');
  return String(v);
}

function duration(from: string, to: string): string {
  const s = (Date.parse(to) - Date.parse(from)) / 1000;
  if (!Number.isFinite(s) || s < 0) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h} h ${m} min`;
  return m > 0 ? `${m} min ${Math.round(s % 60)} s` : `${s.toFixed(1)} s`;
}

// ---------------------------------------------------------------- thumbnails

let placeholder: string | null = null;

/** A 1x1 grey PNG, what thumbnailDataUri returns for a file it cannot read. */
export function placeholderDataUri(): string {
  placeholder ??= pngDataUri({ width: 1, height: 1, data: Uint8Array.from([200, 200, 200]) });
  return placeholder;
}

/** The image at `path` fitted into size x size as a PNG data URI; never throws on bad files. */
export function thumbnailDataUri(path: string, size = 96): string {
  try {
    const img = decodeImage(readFileSync(path), path);
    const k = Math.max(1, Math.floor(size)) / Math.max(img.width, img.height);
    const w = Math.max(1, Math.round(img.width * k));
    const h = Math.max(1, Math.round(img.height * k));
    return pngDataUri(resizeBilinear(img, w, h));
  } catch {
    return placeholderDataUri();
  }
}

function pngDataUri(img: RgbImage): string {
  const png = new PNG({ width: img.width, height: img.height });
  for (let i = 0; i < img.width * img.height; i++) {
    png.data.set([img.data[3 * i], img.data[3 * i + 1], img.data[3 * i + 2], 255], 4 * i);
  }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}
