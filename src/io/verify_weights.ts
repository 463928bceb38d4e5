// `dawnflow weights verify`: size, md5 (for the files Keras publishes) and the layout of a VGG16
// weights file, checked against the architecture without touching the GPU.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { fmt, sameShape } from '../tensor/shape.js';
import { readKerasH5Shared } from './h5_read.js';
import { vgg16Convs } from '../ops/vgg16_convs.js';
import { KNOWN_WEIGHTS } from './known_files.js';

export interface LayerShapes {
  layer: string;
  shapes: number[][];
}

/** VGG16's weight shapes in order: 13 convs (kernel HWIO, bias), then fc1, fc2, predictions. */
export function vgg16WeightShapes(includeTop: boolean): LayerShapes[] {
  const out: LayerShapes[] = vgg16Convs().map((c) => ({ layer: c.name, shapes: [[3, 3, c.ci, c.co], [c.co]] }));
  if (includeTop) {
    out.push(
      { layer: 'fc1', shapes: [[25088, 4096], [4096]] },
      { layer: 'fc2', shapes: [[4096, 4096], [4096]] },
      { layer: 'predictions', shapes: [[4096, 1000], [1000]] },
    );
  }
  return out;
}

export async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface Verification {
  ok: boolean;
  lines: string[];
}

/** Checks the layout: the layers with weights, in order, have VGG16's shapes. */
export function checkVggLayout(path: string, includeTop: boolean): string {
  const file = readKerasH5Shared(path);
  const got = file.layers.filter((l) => l.weights.length);
  const want = vgg16WeightShapes(includeTop);
  if (got.length !== want.length) {
    throw new Error(`${got.length} layers with weights, VGG16${includeTop ? '' : ' notop'} has ${want.length}`);
  }
  want.forEach((w, i) => {
    const shapes = got[i].weights.map((x) => x.shape);
    if (shapes.length !== w.shapes.length || !w.shapes.every((s, j) => sameShape(s, shapes[j]))) {
      throw new Error(
        `layer ${i + 1} '${got[i].name}' has ${shapes.map(fmt).join(' ')}, ${w.layer} needs ${w.shapes.map(fmt).join(' ')}`,
      );
    }
  });
  const params = want.reduce((n, l) => n + l.shapes.reduce((m, s) => m + s.reduce((a, b) => a * b, 1), 0), 0);
  const era = file.kerasVersion ? `Keras ${file.kerasVersion}` : 'Keras 1 legacy';
  return `${got.length} layers with weights in VGG16 order, ${params.toLocaleString('en-US')} parameters (${era} layout)`;
}

export async function verifyWeights(path: string): Promise<Verification> {
  if (!existsSync(path)) {
    return {
      ok: false,
      lines: [
        `dawnflow: ${path} not found; see weights/README.md for where to get it, or run 'dawnflow fetch weights'`,
      ],
    };
  }
  const known = KNOWN_WEIGHTS[basename(path)];
  const lines = [`file:   ${path}`, `size:   ${statSync(path).size.toLocaleString('en-US')} bytes`];
  let ok = true;
  const md5 = await md5File(path);
  if (!known) lines.push(`md5:    ${md5} (not a file Keras publishes; md5 not checked)`);
  else if (md5 === known.md5) lines.push(`md5:    ${md5} OK`);
  else {
    ok = false;
    lines.push(`md5:    ${md5} MISMATCH (Keras publishes ${known.md5}); download it again`);
  }
  const includeTop = known?.includeTop ?? false;
  try {
    lines.push(`layout: OK, ${checkVggLayout(path, includeTop)}`);
  } catch (e) {
    ok = false;
    lines.push(`layout: BAD, ${(e as Error).message.replace(/^dawnflow: /, '')}`);
  }
  return { ok, lines };
}
