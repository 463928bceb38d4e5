// bench/RESULTS.md from a bench report (the JSON of --json). Each suite is a section between
// markers; writing a report replaces the sections it has and keeps the others, so a kernels run
// and a peers run on different days can share one file.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KernelReport } from './run.js';
import type { E2eReport } from './e2e.js';
import type { PeersReport } from './peers/run.js';
import type { LearningReport } from './learning.js';
import { learningSection, learningStem } from './learning_results.js';
import type { JpegFidelityReport } from './jpeg_fidelity.js';
import { jpegSection } from './jpeg_results.js';

export interface BenchReport {
  tool: string;
  date: string;
  command: string;
  node: string;
  /** The DAWNFLOW_* environment of the run. */
  env?: Record<string, string>;
  adapter: { info: Record<string, unknown>; features: string[]; limits: Record<string, number> };
  kernels?: KernelReport;
  e2e?: E2eReport;
  pipeline?: Record<string, number>;
  peers?: PeersReport;
  /** One learning run (its section is `learning-<size>`, so runs at other sizes stay). */
  learning?: LearningReport;
  /** JPEG decoding against PIL (bench/jpeg_fidelity.ts; no GPU, `adapter` is a stub there). */
  jpeg?: JpegFidelityReport;
}

const TITLE = '# dawnflow benchmark results';
const INTRO =
  'Written by `dawnflow bench ... --results bench/RESULTS.md` (or `--from REPORT.json --results ...`\n' +
  'without running anything). Each section is replaced by the next run that produces it; the others stay.\n' +
  'Ratios and shares are of numbers measured in the same run, on the same adapter.';
const SECTIONS = ['kernels', 'e2e', 'peers', 'pipeline', 'jpeg'] as const;
/** A fixed section, or `learning-<size>` (one per image size, after the fixed ones). */
type Section = string;

const f = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
const pct = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v) ? '-' : `${(100 * v).toFixed(1)}%`;

function header(r: BenchReport): string {
  const i = r.adapter.info as {
    description?: string;
    device?: string;
    vendor?: string;
    architecture?: string;
    software?: boolean;
  };
  return (
    `Adapter: **${i.description || i.device}** (${[i.vendor, i.architecture].filter(Boolean).join(' ')}; ${i.software ? 'a software adapter' : 'hardware'}); ` +
    `timestamp-query: ${r.adapter.features.includes('timestamp-query') ? 'yes' : 'no'}.  \n` +
    `Date: ${r.date}; Node ${r.node}.  \nCommand: \`${r.command}\`` +
    (r.env && Object.keys(r.env).length
      ? ` (with ${Object.entries(r.env)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')})`
      : '')
  );
}

function kernels(r: BenchReport, k: KernelReport): string {
  const lines = [
    '## Kernels',
    '',
    header(r),
    '',
    `Batch ${k.batch} at ${k.size}x${k.size}; warm-up ${k.timing.warmup}, ${k.timing.repeat} timed rep(s); timing: ${k.timing.method}` +
      `${k.filter ? `; filter \`${k.filter}\`` : ''}. Each case was validated against float64 first (sampled outputs).`,
    '',
    `Ceilings measured first: device copy **${f(k.ceilings.copyGBs, 1)} GB/s** (read+write, copyBufferToBuffer 64 MiB); ` +
      `the engine's public matmul on ${k.ceilings.matmul.shape} **${f(k.ceilings.matmulGflops)} GFLOP/s** (best sample ${f(k.ceilings.matmul.minMs, 1)} ms, ` +
      `median ${f(k.ceilings.matmul.medianMs, 1)} ms). Both ceilings are the best sample; a kernel above 100% of matmul beats the engine's GEMM path.`,
    '',
    '| case | shape | median ms | min ms | GFLOP/s | of matmul | GB/s | of copy |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of k.results) {
    if (c.error) {
      lines.push(`| ${c.name} | ${c.shape || '-'} | failed: ${c.error.replace(/\|/g, '/')} | | | | | |`);
      continue;
    }
    lines.push(
      `| ${c.name} | ${c.shape} | ${f(c.medianMs)} | ${f(c.minMs)} | ${f(c.gflops)} | ${pct(c.ofMatmulPeak)} | ${f(c.gbps)} | ${pct(c.ofCopyBandwidth)} |`,
    );
  }
  const conv = k.results.filter((c) => c.group === 'conv' && !c.error);
  if (conv.length)
    lines.push(
      '',
      `Conv cases together: ${f(
        conv.reduce((s, c) => s + c.medianMs, 0),
        0,
      )} ms (sum of medians); suite wall time ${f(k.wallS, 0)} s.`,
    );
  return lines.join('\n');
}

function e2e(r: BenchReport, e: E2eReport): string {
  const med = (v: number[]) => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const est = e.chapterEpochEstimateSeconds;
  return [
    '## End to end',
    '',
    header(r),
    '',
    `VGG16 at ${e.size}x${e.size}, batch ${e.batch}, random weights and data; ${e.repeat} timed repeat(s) after one warm-up.`,
    '',
    '| workload | images/s | GFLOP/s | median s/batch | warm-up s |',
    '|---|---:|---:|---:|---:|',
    `| conv-base forward | ${f(e.convBaseForwardImagesPerSec, 3)} | ${f(e.gflops.forward)} | ${f(med(e.timings.forward.samplesS))} | ${f(e.timings.forward.warmupS, 1)} |`,
    `| approach 2 step (GPU augmentation, frozen base + head, Adam) | ${f(e.approach2StepImagesPerSec, 3)} | ${f(e.gflops.approach2)} | ${f(med(e.timings.approach2.samplesS))} | ${f(e.timings.approach2.warmupS, 1)} |`,
    `| approach 3 step (block5 + head, Adam) | ${f(e.approach3StepImagesPerSec, 3)} | ${f(e.gflops.approach3)} | ${f(med(e.timings.approach3.samplesS))} | ${f(e.timings.approach3.warmupS, 1)} |`,
    `| approach 1 head epoch (2000 x ${Math.floor(e.size / 32) ** 2 * 512} features, batch 20, RMSprop) | - | - | ${f(e.approach1HeadEpochSeconds)} s/epoch | - |`,
    '',
    `The chapter's epochs extrapolated from these: approach 1 features ${f(est.approach1Features, 0)} s, head epoch ${f(est.approach1Epoch, 1)} s; ` +
      `approach 2 epoch ${f(est.approach2Epoch, 0)} s; approach 3 epoch ${f(est.approach3Epoch, 0)} s.`,
  ].join('\n');
}

function peers(r: BenchReport, p: PeersReport): string {
  const lines = [
    '## Peers',
    '',
    header(r),
    '',
    `${p.job.model === 'vgg16' ? 'VGG16 conv base' : 'Tiny model (VGG16 block1 only)'} at ${p.job.size}x${p.job.size}, batch ${p.job.batch}, random weights; ` +
      `${p.job.repeat} timed repeat(s) after one warm-up; each peer in its own process on the same adapter (timeout ${p.timeoutS} s). ` +
      `${f(p.flopsPerImage.forward / 1e9, 3)} GFLOP/image forward, ${f(p.flopsPerImage.train / 1e9, 3)} GFLOP/image train step ` +
      '(last block + Dense 256 + Dense 1 trainable, Adam). "dawnflow / peer" above 1 means dawnflow is faster.',
    '',
    '| system | workload | status | median s/batch | images/s | GFLOP/s | warm-up s | dawnflow / peer |',
    '|---|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const x of p.rows) {
    const name = x.version ? `${x.system} ${x.version}` : x.system;
    if (x.status !== 'ran') {
      lines.push(`| ${name} | ${x.workload} | **${x.status}**: ${(x.reason ?? '').replace(/\|/g, '/')} | | | | | |`);
      continue;
    }
    lines.push(
      `| ${name} | ${x.workload} | ran | ${f(x.medianS, 3)} | ${f(x.imagesPerSec, 3)} | ${f(x.gflops)} | ${f(x.warmupS, 1)} | ${x.oursOverPeer === undefined ? '-' : `${f(x.oursOverPeer)}x`} |`,
    );
  }
  const notes = p.rows.flatMap((x) => (x.notes ?? []).map((n) => `${x.system}: ${n}`));
  if (notes.length) lines.push('', ...[...new Set(notes)].map((n) => `- ${n}`));
  return lines.join('\n');
}

function pipeline(r: BenchReport, p: Record<string, number>): string {
  return [
    '## Input pipeline',
    '',
    header(r),
    '',
    `${p.images} images, ${p.threads} decode threads: cold ${f(p.coldImagesPerSec, 1)} images/s, from the cache ${f(p.cachedImagesPerSec, 0)} images/s, ` +
      `with the GPU augmentation ${f(p.augmentedGpuImagesPerSec, 1)} images/s.`,
  ].join('\n');
}

/** Where the learning suite keeps its JSON and pictures: `results/` beside RESULTS.md. */
export const learningDir = (resultsPath: string): string => join(dirname(resultsPath), 'results');

export function renderSections(r: BenchReport, resultsPath = 'bench/RESULTS.md'): Partial<Record<Section, string>> {
  const out: Partial<Record<Section, string>> = {};
  if (r.learning)
    out[learningStem(r.learning.size)] = learningSection(r.learning, header(r), resultsPath, learningDir(resultsPath));
  if (r.kernels) out.kernels = kernels(r, r.kernels);
  if (r.e2e) out.e2e = e2e(r, r.e2e);
  if (r.peers) out.peers = peers(r, r.peers);
  if (r.pipeline) out.pipeline = pipeline(r, r.pipeline);
  if (r.jpeg) out.jpeg = jpegSection(r.jpeg, r.date, r.command);
  return out;
}

const open = (s: string) => `<!-- bench:${s} -->`;
const close = (s: string) => `<!-- /bench:${s} -->`;

/** Writes (or updates) the markdown file; returns the sections written. */
export function writeResults(path: string, r: BenchReport): Section[] {
  const fresh = renderSections(r, path);
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const kept: Partial<Record<Section, string>> = {};
  for (const m of old.matchAll(/<!-- bench:([\w-]+) -->/g)) {
    const s = m[1];
    const a = m.index + m[0].length;
    const b = old.indexOf(close(s), a);
    if (b > a) kept[s] = old.slice(a, b).trim();
  }
  const learning = [...new Set([...Object.keys(kept), ...Object.keys(fresh)])]
    .filter((s) => s.startsWith('learning-'))
    .sort((x, y) => Number(x.slice(9)) - Number(y.slice(9)));
  const order = [...SECTIONS, ...learning];
  const body = order.filter((s) => fresh[s] ?? kept[s]).map((s) => `${open(s)}\n${fresh[s] ?? kept[s]}\n${close(s)}`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${TITLE}\n\n${INTRO}\n\n${body.join('\n\n')}\n`);
  return order.filter((s) => fresh[s]);
}
