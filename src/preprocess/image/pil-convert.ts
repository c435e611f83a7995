/** PIL `Image.convert("RGB")` / `convert("L")` on decoded images, with PIL's integer rules. */
import type { DecodedImage } from './types';

/**
 * 16-bit samples → 8 bit as PIL sees them: PNG 16-bit colour/alpha modes are unpacked by taking the
 * high byte ("RGB;16B"), while 16-bit grayscale opens as mode "I;16" whose conversion to L/RGB
 * clips values above 255 (it does not scale).
 */
function to8bit(img: DecodedImage): Uint8Array {
  if (img.bitDepth === 8) return img.data as Uint8Array;
  const src = img.data as Uint16Array;
  const out = new Uint8Array(src.length);
  if (img.channels === 1) for (let i = 0; i < src.length; i++) out[i] = Math.min(src[i]!, 255);
  else for (let i = 0; i < src.length; i++) out[i] = src[i]! >> 8;
  return out;
}

/** `convert("RGB")`: gray replicated, alpha dropped (not composited). Returns (h, w, 3) uint8. */
export function toRgb8(img: DecodedImage): Uint8Array {
  const s = to8bit(img);
  const n = img.width * img.height;
  const c = img.channels;
  if (c === 3) return s;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    if (c >= 3) {
      out[3 * i] = s[c * i]!;
      out[3 * i + 1] = s[c * i + 1]!;
      out[3 * i + 2] = s[c * i + 2]!;
    } else {
      const v = s[c * i]!;
      out[3 * i] = v;
      out[3 * i + 1] = v;
      out[3 * i + 2] = v;
    }
  }
  return out;
}

/** `convert("L")`: ITU-R 601-2 luma in PIL's fixed point, (R·19595 + G·38470 + B·7471 + 0x8000) >> 16. */
export function toLuma8(img: DecodedImage): Uint8Array {
  const s = to8bit(img);
  const n = img.width * img.height;
  const c = img.channels;
  const out = new Uint8Array(n);
  if (c <= 2) {
    for (let i = 0; i < n; i++) out[i] = s[c * i]!;
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = (s[c * i]! * 19595 + s[c * i + 1]! * 38470 + s[c * i + 2]! * 7471 + 0x8000) >> 16;
  return out;
}
