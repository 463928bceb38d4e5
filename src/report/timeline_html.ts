// profile.html: a kernel profile as one self-contained page (no scripts, no external styles or
// fonts, a Content-Security-Policy that says so). A timeline per profiled step (an SVG bar per
// dispatch, coloured by kernel, a strip below for forward/backward/optimizer, hover titles with
// the details), the kernels by total time, the per-layer totals and every dispatch. Every string
// from the run (kernel, layer and model names, adapter, notes, flags) is escaped.
import type { ProfileReport } from '../gpu/profile_run.js';
import type { DispatchRow } from '../gpu/profiler.js';
import { escapeHtml } from './escape.js';
import { CSS } from './style.js';

const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#aec7e8',
  '#ffbb78',
  '#98df8a',
  '#ff9896',
  '#c5b0d5',
  '#c49c94',
  '#f7b6d2',
];
const OTHER = '#7f7f7f';
const PHASE_COLOURS: Record<string, string> = { forward: '#2563eb', backward: '#dc2626', optimizer: '#16a34a' };

const EXTRA_CSS = `
.timeline{display:block;max-width:100%;height:auto;background:#fff}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:8px 0 0;padding:0;list-style:none;font-size:13px}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.grid.num td:first-child,.grid.num td.txt{text-align:left}
.grid.num td:first-child{white-space:nowrap}
details summary{cursor:pointer;font-weight:600}
.pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:8px 24px;margin-top:8px}
.pair h3{font-size:15px;margin:8px 0 4px}
.pair td{overflow-wrap:anywhere}
`;

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const gf = (v: number | null) => (v === null ? '–' : v.toFixed(2));

/** The whole page. */
export function renderTimelineHtml(r: ProfileReport): string {
  const colours = new Map<string, string>();
  r.kernels.forEach((k, i) => colours.set(k.kernel, PALETTE[i] ?? OTHER));
  const title = `dawnflow profile: ${r.workload}`;
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="sub">${escapeHtml(String(r.adapter.description || r.adapter.device || 'unknown adapter'))} · ${escapeHtml(r.created)}</p>`,
    notes(r),
    overview(r),
    timelines(r, colours),
    kernelTable(r, colours),
    layerTable(r),
    dispatchTable(r),
    `<footer class="muted">Written by dawnflow profile (format version ${escapeHtml(r.version)}); the same data is in profile.json.</footer>`,
  ];
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)}</title><style>${CSS}${EXTRA_CSS}</style></head>\n` +
    `<body><main>\n${body.filter(Boolean).join('\n')}\n</main></body></html>\n`
  );
}

function notes(r: ProfileReport): string {
  if (!r.notes.length) return '';
  return `<section class="notes"><h2>Notes</h2><ul>${r.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></section>`;
}

function overview(r: ProfileReport): string {
  const rows: [string, string][] = [
    ['timing', `${r.method}: ${r.methodNote}`],
    ...r.steps.map((s): [string, string] => [
      `step ${s.step}`,
      `${s.dispatches} dispatches, ${ms(s.gpuMs)} ms of GPU time in ${ms(s.wallMs)} ms wall, ${ms(s.cpuMs)} ms process CPU` +
        (s.method !== r.method ? ` (${s.method})` : ''),
    ]),
    [
      'awaits',
      `${r.waits.awaits} (${ms(r.waits.waitedMs)} ms), ${r.waits.polite ? 'Dawn polled on a 1 ms timer' : 'Dawn polling continuously (DAWNFLOW_SPIN=1)'}`,
    ],
  ];
  return (
    `<section><h2>Run</h2><table class="kv">${rows
      .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
      .join('')}</table>` +
    '<div class="pair">' +
    kvTable('Settings', r.settings) +
    kvTable('Adapter', r.adapter) +
    '</div>' +
    '<p class="muted">The same timeline for Perfetto (ui.perfetto.dev) or chrome://tracing: ' +
    '<code>profile.trace.json</code> beside this page.</p></section>'
  );
}

/** A record as a two-column table; lists joined (argv as a command line), objects as JSON. */
function kvTable(title: string, o: Record<string, unknown>): string {
  const text = (k: string, v: unknown): string =>
    Array.isArray(v)
      ? v.map(String).join(k === 'argv' ? ' ' : ', ')
      : v !== null && typeof v === 'object'
        ? JSON.stringify(v)
        : String(v);
  const rows = Object.entries(o).map(
    ([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(text(k, v) || '—')}</td></tr>`,
  );
  return `<div><h3>${escapeHtml(title)}</h3><table class="kv">${rows.join('')}</table></div>`;
}

function tooltip(d: DispatchRow): string {
  return [
    `#${d.index} ${d.kernel} — ${d.path} (${d.phase})`,
    `grid ${d.grid.join('x')}, workgroup ${d.workgroup.join('x')}${d.variant ? `, ${d.variant}` : ''}`,
    `${ms(d.ms)} ms at ${ms(d.startMs)} ms, ${d.gflops === null ? 'no flop count' : `${gf(d.gflops)} GFLOP/s`}, ${pct(d.share)} of the step`,
  ]
    .map(escapeHtml)
    .join('&#10;');
}

function timelines(r: ProfileReport, colours: Map<string, string>): string {
  const steps = r.steps.map((s) => ({ s, rows: r.dispatches.filter((d) => d.step === s.step) }));
  const span = Math.max(1e-6, ...steps.flatMap(({ rows }) => rows.map((d) => d.startMs + d.ms)));
  const W = 1080;
  const left = 64;
  const plot = W - left - 12;
  const lane = 30;
  const strip = 8;
  const gap = 18;
  const top = 8;
  const H = top + steps.length * (lane + strip + gap) + 22;
  const x = (t: number) => left + (t / span) * plot;
  const parts: string[] = [];
  steps.forEach(({ s, rows }, i) => {
    const y = top + i * (lane + strip + gap);
    parts.push(
      `<text x="${left - 8}" y="${y + lane / 2 + 4}" text-anchor="end" font-size="12">step ${escapeHtml(s.step)}</text>`,
    );
    parts.push(`<rect x="${left}" y="${y}" width="${plot}" height="${lane}" fill="#f3f4f6"/>`);
    for (const d of rows) {
      const w = Math.max(0.6, x(d.startMs + d.ms) - x(d.startMs)).toFixed(2);
      const t = tooltip(d);
      parts.push(
        `<rect x="${x(d.startMs).toFixed(2)}" y="${y}" width="${w}" height="${lane}" fill="${colours.get(d.kernel) ?? OTHER}"><title>${t}</title></rect>`,
      );
      parts.push(
        `<rect x="${x(d.startMs).toFixed(2)}" y="${y + lane + 1}" width="${w}" height="${strip}" fill="${PHASE_COLOURS[d.phase] ?? OTHER}"><title>${t}</title></rect>`,
      );
    }
  });
  const axisY = top + steps.length * (lane + strip + gap) - gap + 4;
  const tick = niceStep(span / 6);
  for (let t = 0; t <= span + 1e-9; t += tick) {
    parts.push(
      `<line x1="${x(t).toFixed(2)}" x2="${x(t).toFixed(2)}" y1="${axisY}" y2="${axisY + 4}" stroke="#667085"/>`,
    );
    parts.push(
      `<text x="${x(t).toFixed(2)}" y="${axisY + 16}" text-anchor="middle" font-size="11" fill="#475467">${escapeHtml(`${+t.toPrecision(6)} ms`)}</text>`,
    );
  }
  const svg =
    `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" ` +
    `role="img" aria-label="kernel timeline" font-family="system-ui,sans-serif">${parts.join('')}</svg>`;
  const legend =
    [...colours].map(([k, c]) => `<li><i style="background:${c}"></i>${escapeHtml(k)}</li>`).join('') +
    Object.entries(PHASE_COLOURS)
      .map(([p, c]) => `<li><i style="background:${c};height:6px"></i>${escapeHtml(p)} (strip)</li>`)
      .join('');
  const how =
    r.method === 'timestamp-query'
      ? 'Bars sit at their GPU timestamps: gaps are time the GPU waited for the host.'
      : 'Bars are laid end to end (replayed dispatches have no common clock).';
  return (
    `<section><h2>Timeline</h2><p class="muted">One bar per dispatch, coloured by kernel; the strip below shows the phase. ` +
    `Hover for details. ${escapeHtml(how)}</p><div class="scroll">${svg}</div><ul class="legend">${legend}</ul></section>`
  );
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/**
 * A kernel's specialisations: inline when short; else folded behind their count, since a kernel
 * compiled per layer shape (the window pooling kernels) lists a long define string per layer.
 */
function variantsCell(variants: string[]): string {
  const text = variants.join('; ');
  if (variants.length <= 2 && text.length <= 120) return escapeHtml(text);
  const items = variants.map((v) => `<div><code>${escapeHtml(v)}</code></div>`).join('');
  return `<details><summary>${variants.length} specialisations</summary>${items}</details>`;
}

function kernelTable(r: ProfileReport, colours: Map<string, string>): string {
  const rows = r.kernels.map(
    (k, i) =>
      `<tr><td class="txt"><i style="display:inline-block;width:10px;height:10px;background:${colours.get(k.kernel) ?? OTHER}"></i> ` +
      `${escapeHtml(k.kernel)}</td><td>${i + 1}</td><td>${k.dispatches}</td><td>${ms(k.ms)}</td><td>${pct(k.share)}</td><td>${ms(k.meanMs)}</td>` +
      `<td>${gf(k.gflops)}</td><td class="txt">${variantsCell(k.variants)}</td></tr>`,
  );
  return (
    `<section><h2>Kernels by GPU time</h2><div class="scroll"><table class="grid num"><thead><tr><th>kernel</th><th>rank</th><th>dispatches</th>` +
    `<th>total ms</th><th>share</th><th>mean ms</th><th>GFLOP/s</th><th>specialisations</th></tr></thead><tbody>${rows.join('')}</tbody></table></div></section>`
  );
}

function layerTable(r: ProfileReport): string {
  const rows = r.layers.map(
    (l) =>
      `<tr><td class="txt">${escapeHtml(l.layer)}</td><td class="txt"><code>${escapeHtml(l.path)}</code></td>` +
      `<td>${ms(l.forwardMs)}</td><td>${ms(l.backwardMs)}</td><td>${ms(l.optimizerMs)}</td><td>${ms(l.ms)}</td><td>${pct(l.share)}</td><td>${l.dispatches}</td></tr>`,
  );
  return (
    `<section><h2>Per layer</h2><p class="muted">A layer's backward kernels are those its forward recorded; ` +
    `optimizer updates are charged to the layer owning the weight. Launches outside every layer (the loss, metrics, ` +
    `checks on the gradients) are grouped as "(outside layers)".</p><div class="scroll"><table class="grid num"><thead><tr><th>layer</th><th>path</th><th>forward ms</th>` +
    `<th>backward ms</th><th>optimizer ms</th><th>total ms</th><th>share</th><th>dispatches</th></tr></thead><tbody>${rows.join('')}</tbody></table></div></section>`
  );
}

function dispatchTable(r: ProfileReport): string {
  const rows = r.dispatches.map(
    (d) =>
      `<tr><td>${d.step}</td><td>${d.index}</td><td class="txt">${escapeHtml(d.kernel)}</td>` +
      `<td class="txt">${escapeHtml(d.layer)}</td><td class="txt">${escapeHtml(d.phase)}</td><td>${escapeHtml(d.grid.join('x'))}</td>` +
      `<td>${escapeHtml(d.workgroup.join('x'))}</td><td>${ms(d.startMs)}</td><td>${ms(d.ms)}</td><td>${gf(d.gflops)}</td><td>${pct(d.share)}</td>` +
      `<td class="txt"><code>${escapeHtml(d.hash)}</code> ${escapeHtml(d.variant)}</td></tr>`,
  );
  return (
    `<section><details><summary>All ${r.dispatches.length} dispatches</summary><div class="scroll"><table class="grid num"><thead><tr>` +
    `<th>step</th><th>#</th><th>kernel</th><th>layer</th><th>phase</th><th>grid</th><th>workgroup</th><th>start ms</th><th>ms</th>` +
    `<th>GFLOP/s</th><th>share</th><th>specialisation</th></tr></thead><tbody>${rows.join('')}</tbody></table></div></details></section>`
  );
}
