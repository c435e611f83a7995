/** Test-only PNG encoder (node:zlib) to build inputs for the PNG decoder: any colour type/depth, optional Adam7. */
import { deflateSync } from 'node:zlib';

const CRC = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function chunk(type: string, data: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + data.length);
  b.writeUInt32BE(data.length, 0);
  b.write(type, 4, 'latin1');
  Buffer.from(data).copy(b, 8);
  let c = 0xffffffff;
  for (let i = 4; i < 8 + data.length; i++) c = CRC[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  b.writeUInt32BE((c ^ 0xffffffff) >>> 0, 8 + data.length);
  return b;
}

export interface PngSpec {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  /** Samples per pixel in row-major order (palette: indices). */
  samples: number[];
  palette?: number[];
  trns?: number[];
  interlace?: boolean;
}

const CH = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

export function encodePng(s: PngSpec): Buffer {
  const ch = CH[s.colorType];
  const rowsOf = (x0: number, y0: number, dx: number, dy: number): number[][] => {
    const rows: number[][] = [];
    for (let y = y0; y < s.height; y += dy) {
      const row: number[] = [];
      for (let x = x0; x < s.width; x += dx) for (let c = 0; c < ch; c++) row.push(s.samples[(y * s.width + x) * ch + c]!);
      if (row.length) rows.push(row);
    }
    return rows;
  };
  const packRow = (vals: number[]): number[] => {
    if (s.depth === 8) return vals;
    if (s.depth === 16) return vals.flatMap((v) => [v >> 8, v & 255]);
    const out = new Array<number>(Math.ceil((vals.length * s.depth) / 8)).fill(0);
    vals.forEach((v, i) => {
      const bit = i * s.depth;
      out[bit >> 3]! |= v << (8 - s.depth - (bit & 7));
    });
    return out;
  };
  const passes = s.interlace ? ADAM7 : [[0, 0, 1, 1] as const];
  const raw: number[] = [];
  for (const [x0, y0, dx, dy] of passes) for (const r of rowsOf(x0, y0, dx, dy)) raw.push(0, ...packRow(r));
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(s.width, 0);
  ihdr.writeUInt32BE(s.height, 4);
  ihdr[8] = s.depth;
  ihdr[9] = s.colorType;
  ihdr[12] = s.interlace ? 1 : 0;
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (s.palette) parts.push(chunk('PLTE', Uint8Array.from(s.palette)));
  if (s.trns) parts.push(chunk('tRNS', Uint8Array.from(s.trns)));
  parts.push(chunk('IDAT', deflateSync(Uint8Array.from(raw))), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

/** Only a signature and an IHDR claiming `width × height` (a decompression-bomb header). */
export function pngHeaderOnly(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(64))), chunk('IEND', new Uint8Array(0))]);
}
