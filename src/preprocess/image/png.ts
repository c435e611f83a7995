/**
 * PNG decoder: bit depths 1–16, gray/RGB/palette/gray+alpha/RGBA, Adam7 interlacing, CRC checked.
 * Output follows what PIL hands to convert(): low-bit gray scaled to 8 bit (1→255, 2→×85, 4→×17),
 * palette expanded (tRNS ignored: convert("RGB") drops it), 16-bit kept as 16-bit samples.
 */
import { checkImageSize, corrupt, unsupported } from '../errors';
import { inflateZlib } from '../inflate';
import type { DecodedImage } from './types';

const SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && SIG.every((v, i) => b[i] === v);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: number;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Header only (no inflate): used for size checks and by detectModality. */
export function readPngHeader(b: Uint8Array): Header {
  if (!isPng(b)) throw corrupt('This is not a PNG file.');
  if (b.length < 33) throw corrupt('The PNG header is truncated.');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (String.fromCharCode(...b.subarray(12, 16)) !== 'IHDR') throw corrupt('The PNG does not start with an IHDR chunk.');
  const h = { width: dv.getUint32(16), height: dv.getUint32(20), depth: b[24]!, colorType: b[25]!, interlace: b[28]! };
  const ok = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] }[h.colorType as 0];
  if (!ok?.includes(h.depth)) throw corrupt(`The PNG has an invalid colour type/bit depth (${h.colorType}/${h.depth}).`);
  if (h.interlace > 1) throw unsupported('The PNG uses an unknown interlace method.');
  return h;
}

export async function decodePng(b: Uint8Array): Promise<DecodedImage> {
  const h = readPngHeader(b);
  checkImageSize(h.width, h.height, 'PNG');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const idat: Uint8Array[] = [];
  let palette: Uint8Array | undefined;
  let pos = 8;
  let sawEnd = false;
  while (pos + 12 <= b.length) {
    const len = dv.getUint32(pos);
    const type = String.fromCharCode(...b.subarray(pos + 4, pos + 8));
    if (pos + 12 + len > b.length) throw corrupt(`The PNG is truncated inside its ${type} chunk.`);
    const crcStored = dv.getUint32(pos + 8 + len);
    if (crc32(b.subarray(pos + 4, pos + 8 + len)) !== crcStored) throw corrupt(`The PNG ${type} chunk fails its checksum.`);
    const data = b.subarray(pos + 8, pos + 8 + len);
    if (type === 'PLTE') palette = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') {
      sawEnd = true;
      break;
    }
    pos += 12 + len;
  }
  if (!sawEnd && idat.length === 0) throw corrupt('The PNG has no image data.');
  if (h.colorType === 3 && !palette) throw corrupt('The palette PNG has no PLTE chunk.');
  const zdata = concat(idat);
  const ch = CHANNELS[h.colorType]!;
  const passes = h.interlace ? ADAM7 : [[0, 0, 1, 1]];
  let expected = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((h.width - x0!) / dx!);
    const ph = Math.ceil((h.height - y0!) / dy!);
    if (pw > 0 && ph > 0) expected += ph * (1 + Math.ceil((pw * ch * h.depth) / 8));
  }
  const raw = await inflateZlib(zdata, expected);
  if (raw.length < expected) throw corrupt('The PNG image data is truncated.', { expected, got: raw.length });
  return toImage(h, ch, raw, passes, palette);
}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function toImage(h: Header, ch: number, raw: Uint8Array, passes: number[][], palette: Uint8Array | undefined): DecodedImage {
  const outCh = h.colorType === 3 ? 3 : ch;
  const wide = h.depth === 16;
  const out = wide ? new Uint16Array(h.width * h.height * outCh) : new Uint8Array(h.width * h.height * outCh);
  const bpp = Math.max(1, (ch * h.depth) >> 3);
  const graySc = h.colorType === 0 ? ({ 1: 255, 2: 85, 4: 17, 8: 1, 16: 1 } as Record<number, number>)[h.depth]! : 1;
  let off = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((h.width - x0!) / dx!);
    const ph = Math.ceil((h.height - y0!) / dy!);
    if (pw <= 0 || ph <= 0) continue;
    const stride = Math.ceil((pw * ch * h.depth) / 8);
    let prev = new Uint8Array(stride);
    for (let y = 0; y < ph; y++) {
      const filter = raw[off]!;
      const line = raw.slice(off + 1, off + 1 + stride);
      off += 1 + stride;
      unfilter(filter, line, prev, bpp);
      prev = line;
      const oy = y0! + y * dy!;
      for (let x = 0; x < pw; x++) {
        const ox = x0! + x * dx!;
        const o = (oy * h.width + ox) * outCh;
        for (let c = 0; c < ch; c++) {
          const s = sample(line, x * ch + c, h.depth);
          if (h.colorType === 3) {
            if (3 * s + 2 >= palette!.length) {
              out[o] = out[o + 1] = out[o + 2] = 0; // PIL leaves out-of-range indices black
            } else {
              out[o] = palette![3 * s]!;
              out[o + 1] = palette![3 * s + 1]!;
              out[o + 2] = palette![3 * s + 2]!;
            }
          } else out[o + c] = s * graySc;
        }
      }
    }
  }
  return { width: h.width, height: h.height, channels: outCh as 1 | 2 | 3 | 4, bitDepth: wide ? 16 : 8, data: out };
}

function sample(line: Uint8Array, i: number, depth: number): number {
  if (depth === 8) return line[i]!;
  if (depth === 16) return (line[2 * i]! << 8) | line[2 * i + 1]!;
  const perByte = 8 / depth;
  const byte = line[Math.floor(i / perByte)]!;
  const shift = 8 - depth * ((i % perByte) + 1);
  return (byte >> shift) & ((1 << depth) - 1);
}

function unfilter(f: number, line: Uint8Array, prev: Uint8Array, bpp: number): void {
  const n = line.length;
  switch (f) {
    case 0:
      return;
    case 1:
      for (let i = bpp; i < n; i++) line[i] = line[i]! + line[i - bpp]!;
      return;
    case 2:
      for (let i = 0; i < n; i++) line[i] = line[i]! + prev[i]!;
      return;
    case 3:
      for (let i = 0; i < n; i++) line[i] = line[i]! + (((i >= bpp ? line[i - bpp]! : 0) + prev[i]!) >> 1);
      return;
    case 4:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? line[i - bpp]! : 0;
        const b = prev[i]!;
        const c = i >= bpp ? prev[i - bpp]! : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        line[i] = line[i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      return;
    default:
      throw corrupt(`The PNG uses unknown row filter ${f}.`);
  }
}
