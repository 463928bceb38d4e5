// PIL as an oracle: bench/pil_decode.py in one /usr/bin/python3 process for a whole list of
// files, its RGB streamed back image by image (4,000 photos are ~1.7 GB of pixels: never all in
// memory at once).
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RgbImage } from '../src/data/rgb_image.js';

export const DEFAULT_PYTHON = '/usr/bin/python3';

/** An image, or PIL's refusal message. */
export type PilResult = RgbImage | { error: string };

/** bench/pil_decode.py, from the sources (bench/) or the build (dist/bench/). */
export function pilScript(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const script = join(dir, 'bench', 'pil_decode.py');
    if (existsSync(join(dir, 'package.json')) && existsSync(script)) return script;
    const up = dirname(dir);
    if (up === dir) throw new Error('dawnflow: bench/pil_decode.py not found above this module');
    dir = up;
  }
}

/** PIL's version, or null with the reason when python or PIL is missing. */
export function pilVersion(python = DEFAULT_PYTHON): { version: string | null; reason: string } {
  const r = spawnSync(python, ['-c', 'import PIL; print(PIL.__version__)'], { encoding: 'utf8' });
  if (r.status === 0) return { version: r.stdout.trim(), reason: '' };
  const why = r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`);
  return { version: null, reason: `${python} cannot import PIL (${why})` };
}

/** Seconds per pass of PIL decoding every file from memory, `repeat` passes. */
export function timePil(files: string[], repeat: number, python = DEFAULT_PYTHON): number[] {
  const r = spawnSync(python, [pilScript(), '--time', String(repeat)], {
    input: files.join('\n'),
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`dawnflow: PIL timing failed: ${r.stderr.trim()}`);
  return (JSON.parse(r.stdout) as { passes: number[] }).passes;
}

/** Streams PIL's decode of `files`, in order; call next() once per file. */
export class PilStream {
  private readonly child: ChildProcessWithoutNullStreams;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private wake: (() => void) | null = null;
  private ended = false;
  private stderr = '';

  constructor(files: string[], python = DEFAULT_PYTHON) {
    this.child = spawn(python, [pilScript()]);
    this.child.stdout.on('data', (c: Buffer) => this.push(c));
    this.child.stdout.on('end', () => {
      this.ended = true;
      this.wake?.();
    });
    this.child.stderr.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.child.stdin.end(`${files.join('\n')}\n`);
  }

  async next(): Promise<PilResult> {
    const head = await this.read(8);
    const width = head.readInt32LE(0);
    const n = head.readUInt32LE(4);
    if (width < 0) return { error: (await this.read(n)).toString('utf8') };
    const data = await this.read(width * n * 3);
    return { width, height: n, data };
  }

  close(): void {
    this.child.kill();
  }

  private push(c: Buffer): void {
    this.chunks.push(c);
    this.buffered += c.length;
    this.wake?.();
  }

  private async read(n: number): Promise<Buffer> {
    while (this.buffered < n) {
      if (this.ended) throw new Error(`dawnflow: PIL stopped early: ${this.stderr.trim()}`);
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.buffered -= n;
    return all.subarray(0, n);
  }
}
