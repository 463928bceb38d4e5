// A 5x7 bitmap font (the HD44780 LCD patterns) for text in the PNG plots, so that plots need
// no font files. Each glyph is 7 rows of 5 bits, top row first, written as 14 hex digits;
// bit 4 of a row is the leftmost pixel. g, j, p, q and y have two more rows below the
// baseline (18 digits): squeezed into 7 rows they read as 9 and 0.

export const GLYPH_W = 5;
/** Cap height; descenders go 2 rows below it, into the spacing under a line of text. */
export const GLYPH_H = 7;
/** Horizontal advance per character at scale 1: the glyph and one column of spacing. */
export const ADVANCE = GLYPH_W + 1;

const GLYPHS: Record<string, string> = {
  ' ': '00000000000000', '0': '0e11131519110e', '1': '040c040404040e',
  '2': '0e11010204081f', '3': '1f02040201110e', '4': '02060a121f0202',
  '5': '1f101e0101110e', '6': '0608101e11110e', '7': '1f010204080808',
  '8': '0e11110e11110e', '9': '0e11110f01020c',
  A: '0e1111111f1111', B: '1e11111e11111e', C: '0e11101010110e', D: '1c12111111121c',
  E: '1f10101e10101f', F: '1f10101e101010', G: '0e11101711110f', H: '1111111f111111',
  I: '0e04040404040e', J: '0702020202120c', K: '11121418141211', L: '1010101010101f',
  M: '111b1515111111', N: '11111915131111', O: '0e11111111110e', P: '1e11111e101010',
  Q: '0e11111115120d', R: '1e11111e141211', S: '0f10100e01011e', T: '1f040404040404',
  U: '1111111111110e', V: '111111110a0a04', W: '1111111515150a', X: '11110a040a1111',
  Y: '1111110a040404', Z: '1f01020408101f',
  a: '00000e010f110f', b: '1010161911111e', c: '00000e1010110e', d: '01010d1311110f',
  e: '00000e111f100e', f: '0609081c080808', g: '00000f1111110f010e', h: '10101619111111',
  i: '04000c0404040e', j:'02000602020202120c', k: '10101214181412', l: '0c04040404040e',
  m: '00001a15151111', n: '00001619111111', o: '00000e1111110e', p: '00001e1111111e1010',
  q: '00000f1111110f0101', r: '00001619101010', s: '00000e100e011e', t: '08081c08080906',
  u: '0000111111130d', v: '00001111110a04', w: '0000111115150a', x: '0000110a040a11',
  y:'0000111111110f010e', z: '00001f0204081f',
  '.': '00000000000c0c', ',': '000000000c0408', '-': '0000001f000000', ':': '000c0c000c0c00',
  '(': '02040808080402', ')': '08040202020408', '%': '18190204081303', '/': '00010204081000',
  _: '0000000000001f', '+': '0004041f040400', '=': '00001f001f0000', '[': '0e08080808080e',
  ']': '0e02020202020e', '?': '0e110102040004', '!': '04040404000004', "'": '0c040800000000',
  '"': '0a0a0a00000000', '#': '0a0a1f0a1f0a0a', '&': '0c12140815120d', '<': '02040810080402',
  '>': '08040201020408', '*': '0004150e150400', '|': '04040404040404', '@': '0e11011d15150e',
};

// Parsed lazily into 7 row masks per character.
const parsed = new Map<string, number[]>();

/** The row masks of `ch` (7, or 9 with a descender); characters outside the table draw as '?'. */
export function glyph(ch: string): number[] {
  const hit = parsed.get(ch);
  if (hit) return hit;
  const hex = GLYPHS[ch] ?? GLYPHS['?'];
  const rows = Array.from({ length: hex.length / 2 }, (_, i) =>
    parseInt(hex.slice(2 * i, 2 * i + 2), 16));
  parsed.set(ch, rows);
  return rows;
}

/** Width in pixels of `text` at `scale` (no trailing spacing column). */
export function textWidth(text: string, scale: number): number {
  return text.length === 0 ? 0 : (text.length * ADVANCE - 1) * scale;
}
