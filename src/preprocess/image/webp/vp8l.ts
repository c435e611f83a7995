/**
 * WebP lossless (VP8L, RFC 9649 §3) decoder: transforms, colour cache, meta prefix codes, LZ77.
 * Lossless decoding is exact by definition, so this matches libwebp (and PIL) pixel for pixel.
 */
import { corrupt } from '../../errors';
import { LsbReader, readPrefixCode, readSymbol, type PrefixCode } from './bits';

const DIST_MAP = [
  0, 1, 1, 0, 1, 1, -1, 1, 0, 2, 2, 0, 1, 2, -1, 2, 2, 1, -2, 1, 2, 2, -2, 2, 0, 3, 3, 0, 1, 3, -1, 3, 3, 1, -3, 1, 2, 3, -2, 3, 3, 2,
  -3, 2, 0, 4, 4, 0, 1, 4, -1, 4, 4, 1, -4, 1, 3, 3, -3, 3, 2, 4, -2, 4, 4, 2, -4, 2, 0, 5, 3, 4, -3, 4, 4, 3, -4, 3, 5, 0, 1, 5,
  -1, 5, 5, 1, -5, 1, 2, 5, -2, 5, 5, 2, -5, 2, 4, 4, -4, 4, 3, 5, -3, 5, 5, 3, -5, 3, 0, 6, 6, 0, 1, 6, -1, 6, 6, 1, -6, 1, 2, 6,
  -2, 6, 6, 2, -6, 2, 4, 5, -4, 5, 5, 4, -5, 4, 3, 6, -3, 6, 6, 3, -6, 3, 0, 7, 7, 0, 1, 7, -1, 7, 5, 5, -5, 5, 7, 1, -7, 1, 4, 6,
  -4, 6, 6, 4, -6, 4, 2, 7, -2, 7, 7, 2, -7, 2, 3, 7, -3, 7, 7, 3, -7, 3, 5, 6, -5, 6, 6, 5, -6, 5, 8, 0, 4, 7, -4, 7, 7, 4, -7, 4,
  8, 1, 8, 2, 6, 6, -6, 6, 8, 3, 5, 7, -5, 7, 7, 5, -7, 5, 8, 4, 6, 7, -6, 7, 7, 6, -7, 6, 8, 5, 7, 7, -7, 7, 8, 6, 8, 7,
];

const divRoundUp = (n: number, bits: number): number => (n + (1 << bits) - 1) >> bits;

interface Group {
  green: PrefixCode;
  red: PrefixCode;
  blue: PrefixCode;
  alpha: PrefixCode;
  dist: PrefixCode;
}

/** `xsize`: width of the image the transform is applied to; `outW`: width after undoing it. */
type Transform =
  | { kind: 0 | 1; bits: number; xsize: number; outW: number; image: Uint32Array }
  | { kind: 2; xsize: number; outW: number }
  | { kind: 3; bits: number; xsize: number; outW: number; table: Uint32Array };

function prefixValue(r: LsbReader, sym: number): number {
  if (sym < 4) return sym + 1;
  const extra = (sym - 2) >> 1;
  const offset = (2 + (sym & 1)) << extra;
  return offset + r.read(extra) + 1;
}

/** Entropy-coded image data of xsize × ysize (§3.6); `main` allows meta prefix codes. */
function decodeImageData(r: LsbReader, xsize: number, ysize: number, main: boolean): Uint32Array {
  const hasCache = r.read(1) === 1;
  const cacheBits = hasCache ? r.read(4) : 0;
  if (hasCache && (cacheBits < 1 || cacheBits > 11)) throw corrupt('The WebP colour cache size is invalid.');
  const cacheSize = cacheBits ? 1 << cacheBits : 0;
  let metaBits = 0;
  let meta: Uint32Array | undefined;
  let metaW = 0;
  let numGroups = 1;
  if (main && r.read(1)) {
    metaBits = r.read(3) + 2;
    metaW = divRoundUp(xsize, metaBits);
    meta = decodeImageData(r, metaW, divRoundUp(ysize, metaBits), false);
    for (let i = 0; i < meta.length; i++) {
      meta[i] = (meta[i]! >> 8) & 0xffff;
      numGroups = Math.max(numGroups, meta[i]! + 1);
    }
  }
  const groups: Group[] = [];
  for (let g = 0; g < numGroups; g++) {
    groups.push({
      green: readPrefixCode(r, 256 + 24 + cacheSize),
      red: readPrefixCode(r, 256),
      blue: readPrefixCode(r, 256),
      alpha: readPrefixCode(r, 256),
      dist: readPrefixCode(r, 40),
    });
  }
  const n = xsize * ysize;
  const px = new Uint32Array(n);
  const cache = cacheSize ? new Uint32Array(cacheSize) : undefined;
  const insert = (argb: number): void => {
    if (cache) cache[Math.imul(0x1e35a7bd, argb) >>> (32 - cacheBits)] = argb;
  };
  let pos = 0;
  while (pos < n) {
    const x = pos % xsize;
    const y = (pos - x) / xsize;
    const grp = meta ? groups[meta[(y >> metaBits) * metaW + (x >> metaBits)]!]! : groups[0]!;
    const g = readSymbol(r, grp.green);
    if (g < 256) {
      const red = readSymbol(r, grp.red);
      const blue = readSymbol(r, grp.blue);
      const alpha = readSymbol(r, grp.alpha);
      const argb = ((alpha << 24) | (red << 16) | (g << 8) | blue) >>> 0;
      px[pos++] = argb;
      insert(argb);
    } else if (g < 256 + 24) {
      const len = prefixValue(r, g - 256);
      const distCode = prefixValue(r, readSymbol(r, grp.dist));
      let dist: number;
      if (distCode > 120) dist = distCode - 120;
      else {
        dist = DIST_MAP[2 * (distCode - 1)]! + DIST_MAP[2 * (distCode - 1) + 1]! * xsize;
        if (dist < 1) dist = 1;
      }
      if (dist > pos || pos + len > n) throw corrupt('A WebP back-reference points outside the image.');
      for (let i = 0; i < len; i++) {
        const argb = px[pos - dist]!;
        px[pos++] = argb;
        insert(argb);
      }
    } else {
      if (!cache) throw corrupt('The WebP uses a colour cache it did not declare.');
      const argb = cache[g - 280]!;
      px[pos++] = argb;
      insert(argb);
    }
  }
  return px;
}

const add = (a: number, b: number): number =>
  ((((a >>> 24) + (b >>> 24)) & 0xff) << 24) | ((((a >>> 16) + (b >>> 16)) & 0xff) << 16) | ((((a >>> 8) + (b >>> 8)) & 0xff) << 8) | ((a + b) & 0xff);
const ch = (p: number, s: number): number => (p >>> s) & 0xff;
const avg2 = (a: number, b: number): number =>
  ((((ch(a, 24) + ch(b, 24)) >> 1) << 24) | (((ch(a, 16) + ch(b, 16)) >> 1) << 16) | (((ch(a, 8) + ch(b, 8)) >> 1) << 8) | ((ch(a, 0) + ch(b, 0)) >> 1)) >>> 0;
const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);
const perChannel = (f: (s: number) => number): number => ((f(24) << 24) | (f(16) << 16) | (f(8) << 8) | f(0)) >>> 0;

function select(L: number, T: number, TL: number): number {
  let pL = 0;
  let pT = 0;
  for (const s of [24, 16, 8, 0]) {
    const p = ch(L, s) + ch(T, s) - ch(TL, s);
    pL += Math.abs(p - ch(L, s));
    pT += Math.abs(p - ch(T, s));
  }
  return pL < pT ? L : T;
}

function predict(mode: number, L: number, T: number, TR: number, TL: number): number {
  switch (mode) {
    case 1: return L;
    case 2: return T;
    case 3: return TR;
    case 4: return TL;
    case 5: return avg2(avg2(L, TR), T);
    case 6: return avg2(L, TL);
    case 7: return avg2(L, T);
    case 8: return avg2(TL, T);
    case 9: return avg2(T, TR);
    case 10: return avg2(avg2(L, TL), avg2(T, TR));
    case 11: return select(L, T, TL);
    case 12: return perChannel((s) => clamp(ch(L, s) + ch(T, s) - ch(TL, s)));
    case 13: {
      const a = avg2(L, T);
      return perChannel((s) => clamp(ch(a, s) + Math.trunc((ch(a, s) - ch(TL, s)) / 2)));
    }
    default: return 0xff000000;
  }
}

const delta = (t: number, c: number): number => (((t << 24) >> 24) * ((c << 24) >> 24)) >> 5;

function inverse(t: Transform, px: Uint32Array, ysize: number): Uint32Array {
  const w = t.xsize;
  switch (t.kind) {
    case 0: {
      const bw = divRoundUp(w, t.bits);
      for (let y = 0; y < ysize; y++) {
        for (let x = 0; x < w; x++) {
          const i = y * w + x;
          let pred: number;
          if (y === 0) pred = x === 0 ? 0xff000000 : px[i - 1]!;
          else if (x === 0) pred = px[i - w]!;
          else pred = predict((t.image[(y >> t.bits) * bw + (x >> t.bits)]! >> 8) & 0xf, px[i - 1]!, px[i - w]!, px[i - w + 1]!, px[i - w - 1]!);
          px[i] = add(px[i]!, pred) >>> 0;
        }
      }
      return px;
    }
    case 1: {
      const bw = divRoundUp(w, t.bits);
      for (let y = 0; y < ysize; y++) {
        for (let x = 0; x < w; x++) {
          const i = y * w + x;
          const e = t.image[(y >> t.bits) * bw + (x >> t.bits)]!;
          const p = px[i]!;
          const g = ch(p, 8);
          const r = (ch(p, 16) + delta(ch(e, 0), g)) & 0xff;
          const b = (ch(p, 0) + delta(ch(e, 8), g) + delta(ch(e, 16), r)) & 0xff;
          px[i] = ((p & 0xff00ff00) | (r << 16) | b) >>> 0;
        }
      }
      return px;
    }
    case 2:
      for (let i = 0; i < px.length; i++) {
        const p = px[i]!;
        const g = ch(p, 8);
        px[i] = ((p & 0xff00ff00) | (((ch(p, 16) + g) & 0xff) << 16) | ((ch(p, 0) + g) & 0xff)) >>> 0;
      }
      return px;
    case 3: {
      // Packed indices (several per pixel when the palette is small) → colours; width grows back.
      const outW = t.outW;
      const out = new Uint32Array(outW * ysize);
      const per = 1 << t.bits;
      const bitsPer = 8 >> t.bits;
      const mask = (1 << bitsPer) - 1;
      for (let y = 0; y < ysize; y++) {
        for (let x = 0; x < outW; x++) {
          const packed = ch(px[y * w + (x >> t.bits)]!, 8);
          const idx = (packed >> ((x & (per - 1)) * bitsPer)) & mask;
          out[y * outW + x] = t.table[idx] ?? 0;
        }
      }
      return out;
    }
  }
}

export function decodeVp8l(data: Uint8Array): { width: number; height: number; argb: Uint32Array; hasAlpha: boolean } {
  if (data[0] !== 0x2f) throw corrupt('The WebP lossless stream has a bad signature.');
  const r = new LsbReader(data.subarray(1));
  const width = r.read(14) + 1;
  const height = r.read(14) + 1;
  const hasAlpha = r.read(1) === 1;
  if (r.read(3) !== 0) throw corrupt('Unknown WebP lossless version.');
  return { width, height, hasAlpha, argb: decodeMain(r, width, height) };
}

function decodeMain(r: LsbReader, width: number, height: number): Uint32Array {
  const transforms: Transform[] = [];
  let xsize = width;
  const seen = new Set<number>();
  while (r.read(1)) {
    const kind = r.read(2) as 0 | 1 | 2 | 3;
    if (seen.has(kind)) throw corrupt('A WebP transform appears twice.');
    seen.add(kind);
    if (kind === 0 || kind === 1) {
      const bits = r.read(3) + 2;
      const image = decodeImageData(r, divRoundUp(xsize, bits), divRoundUp(height, bits), false);
      transforms.push({ kind, bits, xsize, image, outW: xsize });
    } else if (kind === 2) {
      transforms.push({ kind, xsize, outW: xsize });
    } else {
      const size = r.read(8) + 1;
      const raw = decodeImageData(r, size, 1, false);
      const table = new Uint32Array(256);
      for (let i = 0; i < size; i++) table[i] = i === 0 ? raw[0]! : add(raw[i]!, table[i - 1]!) >>> 0;
      const bits = size <= 2 ? 3 : size <= 4 ? 2 : size <= 16 ? 1 : 0;
      const packedW = divRoundUp(xsize, bits);
      transforms.push({ kind, bits, xsize: packedW, table, outW: xsize });
      xsize = packedW;
    }
  }
  let px = decodeImageData(r, xsize, height, true);
  for (let i = transforms.length - 1; i >= 0; i--) px = inverse(transforms[i]!, px, height);
  return px;
}
