/** BMP decoder: BITMAPINFOHEADER and later, 1/4/8-bit palette, 16/24/32-bit, uncompressed or BITFIELDS. */
import { checkImageSize, corrupt, unsupported } from '../errors';
import type { DecodedImage } from './types';

export function isBmp(b: Uint8Array): boolean {
  return b.length >= 26 && b[0] === 0x42 && b[1] === 0x4d;
}

export function decodeBmp(b: Uint8Array): DecodedImage {
  if (!isBmp(b)) throw corrupt('This is not a BMP file.');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dataOff = dv.getUint32(10, true);
  const hdr = dv.getUint32(14, true);
  if (hdr < 40 || 14 + hdr > b.length) throw unsupported('Only Windows BMPs (BITMAPINFOHEADER or later) are supported.');
  const width = dv.getInt32(18, true);
  const rawH = dv.getInt32(22, true);
  const height = Math.abs(rawH);
  const bottomUp = rawH > 0;
  const bpp = dv.getUint16(28, true);
  const comp = dv.getUint32(30, true);
  checkImageSize(width, height, 'BMP');
  if (comp !== 0 && comp !== 3) throw unsupported('Compressed (RLE) BMPs are not supported.');
  let masks = [0xff0000, 0xff00, 0xff, 0];
  if (bpp === 16 && comp === 0) masks = [0x7c00, 0x3e0, 0x1f, 0];
  if (comp === 3) {
    const mo = hdr >= 52 ? 54 : 14 + hdr;
    if (mo + 12 > b.length) throw corrupt('The BMP bit masks are truncated.');
    masks = [dv.getUint32(mo, true), dv.getUint32(mo + 4, true), dv.getUint32(mo + 8, true), hdr >= 56 ? dv.getUint32(66, true) : 0];
  }
  let palette: Uint8Array | undefined;
  if (bpp <= 8) {
    const n = dv.getUint32(46, true) || 1 << bpp;
    palette = b.subarray(14 + hdr, 14 + hdr + 4 * n);
  } else if (![16, 24, 32].includes(bpp)) throw unsupported(`${bpp}-bit BMPs are not supported.`);
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (dataOff + stride * height > b.length) throw corrupt('The BMP pixel data is truncated.');
  const out = new Uint8Array(width * height * 3);
  const field = (v: number, m: number): number => {
    if (!m) return 0;
    let shift = 0;
    while (!((m >>> shift) & 1)) shift++;
    const max = m >>> shift;
    return Math.round((((v & m) >>> shift) * 255) / max);
  };
  for (let y = 0; y < height; y++) {
    const row = dataOff + (bottomUp ? height - 1 - y : y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (palette) {
        const bit = x * bpp;
        const idx = (b[row + (bit >> 3)]! >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        out[o] = palette[4 * idx + 2] ?? 0;
        out[o + 1] = palette[4 * idx + 1] ?? 0;
        out[o + 2] = palette[4 * idx] ?? 0;
      } else if (bpp === 24 && comp === 0) {
        out[o] = b[row + 3 * x + 2]!;
        out[o + 1] = b[row + 3 * x + 1]!;
        out[o + 2] = b[row + 3 * x]!;
      } else {
        const v = bpp === 16 ? dv.getUint16(row + 2 * x, true) : bpp === 24 ? b[row + 3 * x]! | (b[row + 3 * x + 1]! << 8) | (b[row + 3 * x + 2]! << 16) : dv.getUint32(row + 4 * x, true);
        out[o] = field(v, masks[0]!);
        out[o + 1] = field(v, masks[1]!);
        out[o + 2] = field(v, masks[2]!);
      }
    }
  }
  return { width, height, channels: 3, bitDepth: 8, data: out };
}
