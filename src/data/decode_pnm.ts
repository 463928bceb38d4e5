// Netpbm pixmaps and graymaps (P6/P3 colour, P5/P2 gray; binary and plain), as PIL 9's
// PpmImagePlugin reads them: header tokens separated by whitespace with '#' comments, exactly
// one whitespace byte before binary data, samples above 8 bits big-endian. A maxval other than
// 255 is rescaled with Python's round-half-even, round(v / maxval * 255); gray files with
// maxval > 255 become PIL mode "I" (scaled to 65535) whose convert('RGB') clips at 255.
import type { RgbImage } from './rgb_image.js';
import { dataError } from './errors.js';

interface PnmHeader {
  width: number;
  height: number;
  maxval: number;
  dataStart: number;
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);

export function decodePnm(bytes: Uint8Array, name: string): RgbImage {
  const kind = bytes[1] - 0x30; // P1..P6
  if (kind === 1 || kind === 4) {
    throw dataError(name, 'PBM bitmaps (P1/P4) are not supported yet; convert to PNG');
  }
  if (!WHITESPACE.has(bytes[2])) {
    throw dataError(name, 'not a PPM/PGM file (bad magic number); delete or replace the file');
  }
  const h = readHeader(bytes, name);
  const channels = kind === 3 || kind === 6 ? 3 : 1;
  const count = h.width * h.height * channels;
  const samples = kind >= 5 ? binarySamples(bytes, h, count, name) : plainSamples(bytes, h, count, name);
  const toByte = sampleToByte(h.maxval, channels);
  const out = new Uint8Array(h.width * h.height * 3);
  for (let p = 0; p < h.width * h.height; p++) {
    for (let c = 0; c < 3; c++) {
      out[p * 3 + c] = toByte(samples[p * channels + (channels === 3 ? c : 0)]);
    }
  }
  return { width: h.width, height: h.height, data: out };
}

function readHeader(b: Uint8Array, name: string): PnmHeader {
  let at = 3;
  const values: number[] = [];
  for (let k = 0; k < 3; k++) {
    const { token, next } = readToken(b, at);
    at = next;
    if (!/^[0-9]{1,10}$/.test(token)) {
      const what = token ? `bad token '${token}'` : 'ends early';
      throw dataError(name, `corrupt PPM header (${what}); re-copy or delete the file`);
    }
    values.push(Number(token));
  }
  const [width, height, maxval] = values;
  if (width <= 0 || height <= 0 || width * height > 100e6) {
    throw dataError(name, `PPM has an unusable size ${width}x${height}; delete the file`);
  }
  if (maxval <= 0 || maxval >= 65536) {
    throw dataError(name, `PPM maxval ${maxval} is outside 1..65535; delete the file`);
  }
  return { width, height, maxval, dataStart: at };
}

// PIL's _read_token: skips leading whitespace, drops '#' comments up to and including the end
// of the line (even inside a token), and consumes the one whitespace byte that ends the token.
function readToken(b: Uint8Array, at: number): { token: string; next: number } {
  let token = '';
  while (token.length <= 10 && at < b.length) {
    const c = b[at++];
    if (WHITESPACE.has(c)) {
      if (token === '') continue;
      break;
    }
    if (c === 0x23) {
      while (at < b.length && b[at] !== 0x0a && b[at] !== 0x0d) at++;
      at++;
      continue;
    }
    token += String.fromCharCode(c);
  }
  return { token, next: at };
}

function binarySamples(b: Uint8Array, h: PnmHeader, count: number, name: string): Uint16Array {
  const wide = h.maxval > 255;
  const need = count * (wide ? 2 : 1);
  if (b.length - h.dataStart < need) {
    throw dataError(
      name,
      `truncated PPM (${b.length - h.dataStart} bytes of pixel data, ` + `needs ${need}); re-copy or delete the file`,
    );
  }
  const out = new Uint16Array(count);
  for (let i = 0, p = h.dataStart; i < count; i++) {
    out[i] = wide ? (b[p++] << 8) | b[p++] : b[p++];
  }
  return out;
}

function plainSamples(b: Uint8Array, h: PnmHeader, count: number, name: string): Uint16Array {
  const text = Buffer.from(b.buffer, b.byteOffset + h.dataStart, b.length - h.dataStart)
    .toString('latin1')
    .replace(/#[^\r\n]*/g, ' ');
  const tokens = text.split(/[ \t\n\v\f\r]+/).filter((t) => t !== '');
  if (tokens.length < count) {
    throw dataError(name, `truncated PPM (${tokens.length} of ${count} values); re-copy or delete the file`);
  }
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    const v = /^[0-9]{1,10}$/.test(tokens[i]) ? Number(tokens[i]) : NaN;
    if (!(v <= h.maxval)) {
      throw dataError(name, `corrupt PPM value '${tokens[i].slice(0, 12)}' ` + `(maxval ${h.maxval}); delete the file`);
    }
    out[i] = v;
  }
  return out;
}

function sampleToByte(maxval: number, channels: number): (v: number) => number {
  if (maxval === 255) return (v) => v;
  const outMax = channels === 1 && maxval > 255 ? 65535 : 255;
  return (v) => Math.min(255, roundHalfEven((v / maxval) * outMax));
}

/** Python 3's round() for a double: ties go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
