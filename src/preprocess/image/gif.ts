/**
 * GIF decoder, first frame only (what PIL's Image.open shows before seek): LZW, interlacing,
 * local/global palettes. The frame is placed on a logical-screen canvas of palette index 0 / the
 * background, as PIL does for the first frame; transparency is ignored by convert("RGB").
 */
import { checkImageSize, corrupt } from '../errors';
import type { DecodedImage } from './types';

export function isGif(b: Uint8Array): boolean {
  return b.length >= 6 && String.fromCharCode(...b.subarray(0, 6)).match(/^GIF8[79]a$/) !== null;
}

export function decodeGif(b: Uint8Array): DecodedImage {
  if (!isGif(b) || b.length < 13) throw corrupt('This is not a GIF file.');
  const u16 = (o: number): number => b[o]! | (b[o + 1]! << 8);
  const width = u16(6);
  const height = u16(8);
  checkImageSize(width, height, 'GIF');
  const flags = b[10]!;
  let pos = 13;
  let palette: Uint8Array | undefined;
  if (flags & 0x80) {
    const n = 3 * (1 << ((flags & 7) + 1));
    palette = b.subarray(pos, pos + n);
    pos += n;
  }
  const background = b[11]!;
  while (pos < b.length) {
    const block = b[pos++]!;
    if (block === 0x21) {
      pos++; // label
      while (pos < b.length && b[pos]! > 0) pos += b[pos]! + 1;
      pos++;
    } else if (block === 0x2c) {
      const fx = u16(pos);
      const fy = u16(pos + 2);
      const fw = u16(pos + 4);
      const fh = u16(pos + 6);
      const lf = b[pos + 8]!;
      pos += 9;
      let pal = palette;
      if (lf & 0x80) {
        const n = 3 * (1 << ((lf & 7) + 1));
        pal = b.subarray(pos, pos + n);
        pos += n;
      }
      if (!pal) throw corrupt('The GIF has no colour palette.');
      const minCode = b[pos++]!;
      const chunks: number[] = [];
      while (pos < b.length && b[pos]! > 0) {
        const n = b[pos]!;
        for (let i = 1; i <= n; i++) chunks.push(b[pos + i]!);
        pos += n + 1;
      }
      if (pos >= b.length) throw corrupt('The GIF image data is truncated.');
      const indices = lzw(Uint8Array.from(chunks), minCode, fw * fh);
      const out = new Uint8Array(width * height * 3);
      const fill = 3 * background < pal.length ? background : 0;
      for (let i = 0; i < width * height; i++) out.set(pal.subarray(3 * fill, 3 * fill + 3), 3 * i);
      const rows = lf & 0x40 ? interlacedRows(fh) : Array.from({ length: fh }, (_, i) => i);
      rows.forEach((ry, i) => {
        for (let x = 0; x < fw; x++) {
          const X = fx + x;
          const Y = fy + ry;
          if (X >= width || Y >= height) continue;
          const idx = indices[i * fw + x]!;
          out.set(pal.subarray(3 * idx, 3 * idx + 3), 3 * (Y * width + X));
        }
      });
      return { width, height, channels: 3, bitDepth: 8, data: out };
    } else if (block === 0x3b) break;
    else throw corrupt('The GIF has an unknown block.', { block });
  }
  throw corrupt('The GIF contains no image.');
}

function interlacedRows(h: number): number[] {
  const rows: number[] = [];
  for (const [start, step] of [[0, 8], [4, 8], [2, 4], [1, 2]] as const) for (let y = start; y < h; y += step) rows.push(y);
  return rows;
}

function lzw(data: Uint8Array, minCode: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  const clear = 1 << minCode;
  const eoi = clear + 1;
  const prefix = new Int16Array(4096);
  const suffix = new Uint8Array(4096);
  const stack = new Uint8Array(4097);
  let size = minCode + 1;
  let next = eoi + 1;
  let prev = -1;
  let first = 0;
  let n = 0;
  let bits = 0;
  let buf = 0;
  let p = 0;
  while (n < count) {
    while (bits < size) {
      if (p >= data.length) return out; // short data: the rest stays index 0, like PIL's tolerant decoder
      buf |= data[p++]! << bits;
      bits += 8;
    }
    const code = buf & ((1 << size) - 1);
    buf >>>= size;
    bits -= size;
    if (code === clear) {
      size = minCode + 1;
      next = eoi + 1;
      prev = -1;
      continue;
    }
    if (code === eoi) break;
    let c = code;
    let sp = 0;
    if (prev === -1) {
      if (code >= clear) throw corrupt('The GIF LZW stream is invalid.');
      out[n++] = code;
      prev = code;
      first = code;
      continue;
    }
    if (code >= next) {
      if (code > next) throw corrupt('The GIF LZW stream is invalid.');
      stack[sp++] = first;
      c = prev;
    }
    while (c >= clear) {
      stack[sp++] = suffix[c]!;
      c = prefix[c]!;
    }
    stack[sp++] = c;
    first = c;
    while (sp > 0 && n < count) out[n++] = stack[--sp]!;
    if (next < 4096) {
      prefix[next] = prev;
      suffix[next] = first;
      next++;
      if (next === 1 << size && size < 12) size++;
    }
    prev = code;
  }
  return out;
}
