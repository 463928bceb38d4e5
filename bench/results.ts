// bench/RESULTS.md from a bench report (the JSON of --json). Each suite is a section between
// markers; writing a report replaces the sections it has and keeps the others, so a kernels run
// and a peers run on different days can share one file.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KernelReport } from './run.js';
import type { E2eReport } from './e2e.js';
import type { PeersReport } from './peers/run.js';
import { ratioRange } from './peers/rounds.js';
import type { LearningReport } from './learning.js';
import { learningSection, learningStem } from './learning_results.js';
import type { JpegFidelityReport } from './jpeg_fidelity.js';
import { jpegSection } from './jpeg_results.js';
import type { Ceilings } from './ceilings.js';
import type { ScalingReport } from './scaling.js';
import { poolPlacement } from './pool_results.js';

export interface BenchReport {
  tool: string;
  date: string;
  command: string;
  node: string;
  /** The DAWNFLOW_* environment of the run. */
  env?: Record<string, string>;
  adapter: { info: Record<string, unknown>; features: string[]; limits: Record<string, number> };
  /** The machine's load average (1, 5, 15 min) when the run started and when it last saved. */
  /** The cores' load averages, and (from 2026-12-06) their model (host.ts). */
  load?: { cores: number; cpu?: string; start: number[]; end?: number[] };
  /** The adapter's ceilings (bench/ceilings.ts), measured first; every share is of them. */
  ceilings?: Ceilings;
  kernels?: KernelReport;
  scaling?: ScalingReport;
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
const SECTIONS = ['kernels', 'e2e', 'scaling', 'peers', 'pipeline', 'jpeg'] as const;
/** A fixed section, or `learning-<size>` (one per image size, after the fixed ones). */
type Section = string;

const f = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
const pct = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v) ? '-' : `${(100 * v).toFixed(1)}%`;
/** v as a share of the run's FMA ceiling. */
const ofFma = (r: BenchReport, v: number | undefined): string => {
  const c = ceilingsOf(r)?.fmaGflops;
  return v === undefined || !c ? '-' : pct(v / c);
};

/** The run's ceilings: its own, or (an older report) the kernel suite's. */
function ceilingsOf(r: BenchReport): Partial<Ceilings> | undefined {
  return r.ceilings ?? r.kernels?.ceilings;
}

/** Text safe inside a table cell. */
const cell = (s: string): string => s.replace(/\|/g, '\\|');
const loads = (v: number[]) => v.map((x) => x.toFixed(2)).join(' / ');

/** The ceilings' one paragraph (each is the best sample of its measurement). */
export function ceilingLine(c: Partial<Ceilings> | undefined): string {
  if (!c) return 'Ceilings: not measured in this run.';
  const fma = c.fma;
  return (
    `Ceilings, measured first on the same adapter: **FMA ${f(c.fmaGflops, 1)} GFLOP/s** (register-only vec4 multiply-adds, ` +
    `${fma?.shape ?? '?'}; best of ${fma?.samples.length ?? 0} samples, validated against the CPU: ${fma?.validated || fma?.error || 'not validated'}); ` +
    `**device copy ${f(c.copyGBs, 1)} GB/s** (read+write, copyBufferToBuffer 64 MiB, best of 10). ` +
    `For reference, the engine's public matmul on 1024x1024 . 1024x1024 reached ${f(c.matmulGflops)} GFLOP/s. ` +
    "GFLOP/s count the direct convolution's FLOPs whatever variant ran (Winograd included), so a share above 100% would mean fewer multiplies than the direct convolution."
  );
}

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
    `Date: ${r.date}; Node ${r.node}.  \n` +
    (r.load
      ? `Load average (1/5/15 min) on ${r.load.cores} cores${r.load.cpu ? ` of ${r.load.cpu}` : ''}: ${loads(r.load.start)} at the start` +
        `${r.load.end ? `, ${loads(r.load.end)} at the end` : ''} (other work on the machine slows every figure).  \n`
      : '') +
    `Command: \`${r.command}\`` +
    (r.env && Object.keys(r.env).length
      ? ` (with ${Object.entries(r.env)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')})`
      : '')
  );
}

/** How the kernel suite's rounds ran (bench/kernel_rounds.ts), after its reps. */
function kernelRoundsText(rounds: number): string {
  if (rounds < 2) return '';
  return ` in each of ${rounds} rounds over the whole suite (a case's median and min are of every round's samples)`;
}

function kernels(r: BenchReport, k: KernelReport): string {
  const lines = [
    '## Kernels',
    '',
    header(r),
    '',
    `Batch ${k.batch} at ${k.size}x${k.size}; warm-up ${k.timing.warmup}, ${k.timing.repeat} timed rep(s)${kernelRoundsText(k.rounds ?? 1)}; timing: ${k.timing.method}` +
      `${k.filter ? `; filter \`${k.filter}\`` : ''}. Each case was validated against float64 first (sampled outputs).`,
    '',
    ceilingLine(k.ceilings),
    '',
    '| case | shape | median ms | min ms | GFLOP/s | of FMA peak | GB/s | of copy |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of k.results) {
    if (c.error) {
      lines.push(`| ${c.name} | ${c.shape || '-'} | failed: ${c.error.replace(/\|/g, '/')} | | | | | |`);
      continue;
    }
    lines.push(
      `| ${c.name} | ${c.shape} | ${f(c.medianMs)} | ${f(c.minMs)} | ${f(c.gflops)} | ${pct(c.ofFmaPeak)} | ${f(c.gbps)} | ${pct(c.ofCopyBandwidth)} |`,
    );
  }
  lines.push(...poolPlacement(k.results));
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
    `GFLOP/s are direct-convolution-equivalent; "of FMA peak" is of the FMA ceiling (${f(ceilingsOf(r)?.fmaGflops, 1)} GFLOP/s).`,
    '',
    '| workload | images/s | GFLOP/s | of FMA peak | median s/batch | warm-up s |',
    '|---|---:|---:|---:|---:|---:|',
    `| conv-base forward | ${f(e.convBaseForwardImagesPerSec, 3)} | ${f(e.gflops.forward)} | ${ofFma(r, e.gflops.forward)} | ${f(med(e.timings.forward.samplesS))} | ${f(e.timings.forward.warmupS, 1)} |`,
    `| approach 2 step (GPU augmentation, frozen base + head, Adam) | ${f(e.approach2StepImagesPerSec, 3)} | ${f(e.gflops.approach2)} | ${ofFma(r, e.gflops.approach2)} | ${f(med(e.timings.approach2.samplesS))} | ${f(e.timings.approach2.warmupS, 1)} |`,
    `| approach 3 step (block5 + head, Adam) | ${f(e.approach3StepImagesPerSec, 3)} | ${f(e.gflops.approach3)} | ${ofFma(r, e.gflops.approach3)} | ${f(med(e.timings.approach3.samplesS))} | ${f(e.timings.approach3.warmupS, 1)} |`,
    `| approach 1 head epoch (2000 x ${Math.floor(e.size / 32) ** 2 * 512} features, batch 20, RMSprop) | - | - | - | ${f(e.approach1HeadEpochSeconds)} s/epoch | - |`,
    '',
    `The chapter's epochs extrapolated from these: approach 1 features ${f(est.approach1Features, 0)} s, head epoch ${f(est.approach1Epoch, 1)} s; ` +
      `approach 2 epoch ${f(est.approach2Epoch, 0)} s; approach 3 epoch ${f(est.approach3Epoch, 0)} s.`,
  ].join('\n');
}

const WORKLOAD_NAMES: Record<string, string> = {
  forward: 'forward',
  train: 'block5 step',
  scratch: 'small convnet step',
};

/** How the rounds ran, for the peers' preamble (bench/peers/rounds.ts). */
function roundsText(rounds: number): string {
  if (rounds < 2) return '';
  return (
    `, in ${rounds} interleaved rounds (dawnflow, then each peer, then again): a median is of every round's samples, ` +
    "and the ratio's range over the rounds (each of two systems timed in the same round) is in brackets"
  );
}

function peers(r: BenchReport, p: PeersReport): string {
  const fma = p.fmaGflops ?? ceilingsOf(r)?.fmaGflops;
  const lines = [
    '## Peers',
    '',
    header(r),
    '',
    `${p.job.model === 'vgg16' ? 'VGG16 conv base' : 'Tiny model (VGG16 block1 only)'} at ${p.job.size}x${p.job.size}, batch ${p.job.batch}; ` +
      "every system loads the same seeded random weights and input, and each forward is checked against dawnflow's output before its times count; " +
      `${p.job.repeat} timed repeat(s) after one warm-up${roundsText(p.rounds ?? 1)}; each peer in its own process (timeout ${p.timeoutS} s); ` +
      `the WebGPU peers on the same adapter, the CPU peers on the ${p.threads ?? '?'} cores it runs on (as many threads).`,
    '',
    `Workloads: forward ${f(p.flopsPerImage.forward / 1e9, 3)} GFLOP/image; block5 step (VGG16 frozen to block5 + Dense 256 + Dense 1, Adam, binary crossentropy) ` +
      `${f(p.flopsPerImage.train / 1e9, 3)} GFLOP/image` +
      (p.flopsPerImage.scratch
        ? `; small convnet step (the book's from-scratch 150x150 convnet, RMSprop) ${f(p.flopsPerImage.scratch / 1e9, 3)} GFLOP/image`
        : '') +
      `. GFLOP/s are direct-convolution-equivalent; "of FMA peak" is of the FMA ceiling measured on the adapter (${f(fma, 1)} GFLOP/s), which for lavapipe is these same CPU cores. ` +
      'A share above 100% means the system gets more from the hardware than a WebGPU shader can on this adapter: ' +
      "native CPU code can use the CPU's full vector width and its fused multiply-add, where lavapipe compiles shaders " +
      'for the vector width its device name gives (e.g. 256 bits) and an fma as a multiply and an add ' +
      '(and direct-equivalent GFLOP/s credit any algorithm that does fewer multiplies). "dawnflow / peer" above 1 means dawnflow is faster.',
    '',
    '| system | workload | status | median s/batch | images/s | GFLOP/s | of FMA peak | warm-up s | dawnflow / peer | forward check |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const x of p.rows) {
    const name = x.version ? `${x.system} ${x.version}` : x.system;
    const w = WORKLOAD_NAMES[x.workload] ?? x.workload;
    if (x.status !== 'ran') {
      lines.push(`| ${name} | ${w} | **${x.status}**: ${(x.reason ?? '').replace(/\|/g, '/')} | | | | | | | |`);
      continue;
    }
    const share = x.ofFmaPeak ?? (fma && x.gflops ? x.gflops / fma : undefined);
    lines.push(
      `| ${name} | ${w} | ran | ${f(x.medianS, 3)} | ${f(x.imagesPerSec, 3)} | ${f(x.gflops)} | ${pct(share)} | ${f(x.warmupS, 1)} | ` +
        `${x.oursOverPeer === undefined ? '-' : `${f(x.oursOverPeer)}x${ratioRange(x)}`} | ${cell(x.validation ?? (x.system === 'dawnflow' && x.workload === 'forward' ? 'the reference' : '-'))} |`,
    );
  }
  const notes = p.rows.flatMap((x) => (x.notes ?? []).map((n) => `${x.system}: ${n}`));
  if (notes.length) lines.push('', ...[...new Set(notes)].map((n) => `- ${n}`));
  return lines.join('\n');
}

function scaling(r: BenchReport, sc: ScalingReport): string {
  const fma = ceilingsOf(r)?.fmaGflops;
  const lines = [
    '## Scaling',
    '',
    header(r),
    '',
    `VGG16 conv-base forward (random weights), ${sc.repeat} timed repeat(s) after ${warmupsText(sc.warmups ?? 1)} per point; peak device memory is the most ` +
      "bytes the engine's buffer pool had in use during the point (weights included). GFLOP/s are direct-convolution-equivalent. " +
      'Each point runs as `predict` does: a batch whose largest activation does not fit one storage binding of the adapter ' +
      '(maxStorageBufferBindingSize) goes through in micro-batches, noted beside its batch.',
    '',
    '| sweep | batch | size | images/s | GFLOP/s | of FMA peak | median s/batch | peak MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const x of sc.points) {
    if (x.error) {
      lines.push(`| ${x.sweep} | ${x.batch} | ${x.size} | failed: ${x.error.replace(/\|/g, '/')} | | | | |`);
      continue;
    }
    lines.push(
      `| ${x.sweep} | ${x.batch}${x.microBatch ? ` (micro-batches of ${x.microBatch})` : ''} | ${x.size} | ${f(x.imagesPerSec, 3)} | ${f(x.gflops)} | ${fma ? pct(x.gflops / fma) : '-'} | ${f(x.medianS, 3)} | ${f(x.peakBytes / 2 ** 20, 0)} |`,
    );
  }
  lines.push('', `Suite wall time ${f(sc.wallS, 0)} s.`);
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
  if (r.scaling) out.scaling = scaling(r, r.scaling);
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

function warmupsText(n: number): string {
  return n === 1 ? 'one warm-up' : `${n} warm-ups`;
}
