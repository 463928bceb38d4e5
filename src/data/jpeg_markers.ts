// What decode_jpeg.ts checks in a JPEG's markers before handing it to libjpeg: the end marker
// (PIL refuses a file cut short) and the frame sizes (a damaged header may claim gigapixels,
// which libjpeg would allocate before reading a single scan).

export interface FrameSize {
  width: number;
  height: number;
}

/**
 * The largest frame size declared before the first scan (libjpeg reads the first and refuses a
 * second only after allocating for it), or null when there is none.
 */
export function largestFrame(b: Uint8Array): FrameSize | null {
  let size: FrameSize | null = null;
  let i = 2;
  while (i + 4 <= b.length && b[i] === 0xff) {
    const m = b[i + 1];
    if (m === 0xff) {
      i += 1;
      continue;
    } // fill byte before a marker
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd8)) {
      i += 2;
      continue;
    } // no length field
    if (m === 0xda || m === 0xd9) break; // start of scan / end of image
    const len = (b[i + 2] << 8) | b[i + 3];
    if (isStartOfFrame(m) && len >= 7 && i + 9 <= b.length) {
      // SOF: length, precision, height (2 bytes), width (2 bytes), ...
      const f = { height: (b[i + 5] << 8) | b[i + 6], width: (b[i + 7] << 8) | b[i + 8] };
      if (!size || f.width * f.height > size.width * size.height) size = f;
    }
    i += 2 + len;
  }
  return size;
}

/**
 * Whether an end-of-image marker FF D9 is anywhere after the SOI. Bytes after it are allowed
 * (PIL ignores them too), so the last one anywhere counts.
 */
export function hasEndMarker(b: Uint8Array): boolean {
  for (let i = b.length - 2; i >= 2; i--) {
    if (b[i] === 0xff && b[i + 1] === 0xd9) return true;
  }
  return false;
}

// SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
function isStartOfFrame(m: number): boolean {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}
