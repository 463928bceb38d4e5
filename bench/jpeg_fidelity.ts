// JPEG fidelity and speed against PIL. Every JPEG under a folder is decoded by PIL (Keras's
// load_img: Image.open(f).convert('RGB'), through /usr/bin/python3), by dawnflow's decoder
// (libjpeg-turbo in wasm) and by jpeg-js (the decoder before it). First the pixels are compared
// with PIL's (max and mean absolute difference, exact pixels, refusals); only then is each
// decoder timed on the same files from memory, passes interleaved, the median pass kept. Last,
// the input pipeline's cold pass (read, decode in the worker pool, resize) on <data>/train.
//
//   node dist/bench/jpeg_fidelity.js --data DIR [--repeat 3] [--results bench/RESULTS.md]
//     [--json bench/results/jpeg-fidelity.json] [--python /usr/bin/python3] [--limit N]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { decodeImage } from '../src/data/decode.js';
import { measurePipeline } from '../src/data/measure_pipeline.js';
import type { RgbImage } from '../src/data/rgb_image.js';
import { compareCodePoints } from '../src/data/directory.js';
import { DEFAULT_PYTHON, pilVersion, PilStream, timePil, type PilResult } from './pil_oracle.js';

export interface DecoderFigures {
  decoder: string;
  /** Largest |ours - PIL| over every sample of every image both decoded. */
  maxDiff: number;
  meanDiff: number;
  /** Pixels whose three samples all equal PIL's, in % of the pixels compared. */
  exactPixelsPct: number;
  exactImages: number;
  /** Files where this decoder and PIL disagree on decodability or on the size. */
  disagreements: string[];
  imagesPerSec: number;
  passesS: number[];
}

export interface JpegFidelityReport {
  data: string;
  images: number;
  pilRefused: number;
  repeat: number;
  /** loadavg()[0] at the start: the machine is shared, and one-thread rates depend on it. */
  machine: { cpu: string; cores: number; node: string; load?: number };
  pil: { version: string; imagesPerSec: number; passesS: number[] };
  decoders: DecoderFigures[];
  /** measurePipeline on <data>/train at 150x150: the worker pool with the new decoder. */
  pipeline: { dir: string; images: number; threads: number; coldImagesPerSec: number } | null;
}

type Decode = (bytes: Uint8Array, name: string) => RgbImage;

/** dawnflow's decoder, and jpeg-js as decode_jpeg.ts called it for these (YCbCr/gray) files. */
const DECODERS: Record<string, Decode> = {
  'libjpeg-turbo 2.0 (wasm)': (b, n) => decodeImage(b, n),
  'jpeg-js 0.4': (b) => {
    const o = jpeg.decode(b, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: 100,
      maxMemoryUsageInMB: 1024,
    });
    return { width: o.width, height: o.height, data: o.data };
  },
};

export interface FidelityOptions {
  data: string;
  repeat?: number;
  python?: string;
  limit?: number;
  log?: (line: string) => void;
}

export async function runJpegFidelity(o: FidelityOptions): Promise<JpegFidelityReport> {
  const log = o.log ?? console.log;
  const python = o.python ?? DEFAULT_PYTHON;
  const repeat = o.repeat ?? 3;
  const load = loadavg()[0];
  const pil = pilVersion(python);
  if (!pil.version) throw new Error(`dawnflow: ${pil.reason}; install python3-pil`);
  const files = listJpegs(o.data).slice(0, o.limit ?? Infinity);
  if (files.length === 0) throw new Error(`dawnflow: ${o.data}: no .jpg/.jpeg files under it`);
  log(`${files.length} JPEGs under ${o.data}; PIL ${pil.version} through ${python}`);
  const { tallies, pilRefused } = await compare(files, python);
  log('pixels compared; timing');
  const blobs = files.map((f) => readFileSync(f));
  const passes = timeDecoders(blobs, files, repeat);
  const pilPasses = timePil(files, repeat, python);
  const decoders = Object.keys(DECODERS).map((name) => figures(name, tallies[name], passes[name], files.length));
  return {
    data: o.data,
    images: files.length,
    pilRefused,
    repeat,
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, load },
    pil: { version: pil.version, imagesPerSec: files.length / median(pilPasses), passesS: pilPasses },
    decoders,
    pipeline: await pipelinePass(o.data),
  };
}

interface Tally {
  max: number;
  sum: number;
  samples: number;
  exactPixels: number;
  exactImages: number;
  disagreements: string[];
}

async function compare(
  files: string[],
  python: string,
): Promise<{ tallies: Record<string, Tally>; pilRefused: number }> {
  const tallies = Object.fromEntries(
    Object.keys(DECODERS).map((k) => [
      k,
      {
        max: 0,
        sum: 0,
        samples: 0,
        exactPixels: 0,
        exactImages: 0,
        disagreements: [] as string[],
      },
    ]),
  );
  const stream = new PilStream(files, python);
  let pilRefused = 0;
  try {
    for (const file of files) {
      const ref = await stream.next();
      if ('error' in ref) pilRefused++;
      const bytes = readFileSync(file);
      for (const [name, decode] of Object.entries(DECODERS)) {
        tallyOne(tallies[name], file, ref, () => decode(bytes, file));
      }
    }
  } finally {
    stream.close();
  }
  return { tallies, pilRefused };
}

function tallyOne(t: Tally, file: string, ref: PilResult, decode: () => RgbImage): void {
  let img: RgbImage | null = null;
  try {
    img = decode();
  } catch {
    img = null;
  }
  if ('error' in ref || !img) {
    if (!('error' in ref && !img)) t.disagreements.push(file);
    return;
  }
  if (img.width !== ref.width || img.height !== ref.height) return void t.disagreements.push(file);
  let max = 0;
  const a = img.data;
  const b = ref.data;
  for (let p = 0; p < a.length; p += 3) {
    const d0 = Math.abs(a[p] - b[p]);
    const d1 = Math.abs(a[p + 1] - b[p + 1]);
    const d2 = Math.abs(a[p + 2] - b[p + 2]);
    t.sum += d0 + d1 + d2;
    if (d0 + d1 + d2 === 0) t.exactPixels++;
    max = Math.max(max, d0, d1, d2);
  }
  t.samples += a.length;
  t.max = Math.max(t.max, max);
  if (max === 0) t.exactImages++;
}

/** Seconds per pass for each decoder, passes interleaved so both see the same machine load. */
function timeDecoders(blobs: Buffer[], files: string[], repeat: number): Record<string, number[]> {
  const out: Record<string, number[]> = Object.fromEntries(Object.keys(DECODERS).map((k) => [k, []]));
  for (let r = 0; r < repeat; r++) {
    for (const [name, decode] of Object.entries(DECODERS)) {
      const t0 = performance.now();
      blobs.forEach((b, i) => {
        try {
          decode(b, files[i]);
        } catch {
          // refusals were counted when comparing; they take their time here too
        }
      });
      out[name].push((performance.now() - t0) / 1000);
    }
  }
  return out;
}

function figures(decoder: string, t: Tally, passesS: number[], images: number): DecoderFigures {
  return {
    decoder,
    maxDiff: t.max,
    meanDiff: t.samples ? t.sum / t.samples : 0,
    exactPixelsPct: t.samples ? (300 * t.exactPixels) / t.samples : 0,
    exactImages: t.exactImages,
    disagreements: t.disagreements,
    imagesPerSec: images / median(passesS),
    passesS,
  };
}

async function pipelinePass(data: string): Promise<JpegFidelityReport['pipeline']> {
  const dir = join(data, 'train');
  if (!isDir(dir)) return null;
  const m = await measurePipeline(dir, { targetSize: [150, 150], batchSize: 20 });
  return { dir, images: m.images, threads: m.threads, coldImagesPerSec: m.coldImagesPerSec };
}

/** Every .jpg/.jpeg below `dir`, in code-point order of the path. */
export function listJpegs(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...listJpegs(path));
    else if (/\.jpe?g$/i.test(e.name)) out.push(path);
  }
  return out.sort(compareCodePoints);
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
