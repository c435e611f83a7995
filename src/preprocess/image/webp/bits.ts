/** LSB-first bit reader and canonical prefix codes for VP8L (RFC 9649 §3.7). */
import { corrupt } from '../../errors';

export class LsbReader {
  private bit = 0;
  constructor(private readonly data: Uint8Array) {}

  read(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.data[this.bit >> 3];
      if (byte === undefined) throw corrupt('The WebP data ends early.');
      v |= ((byte >> (this.bit & 7)) & 1) << i;
      this.bit++;
    }
    return v >>> 0;
  }
}

/** A canonical prefix code: bits are read one at a time, first bit = most significant code bit. */
export interface PrefixCode {
  /** Set when only one symbol is used: it is coded with zero bits. */
  single: number;
  maxcode: Int32Array;
  offset: Int32Array;
  symbols: Uint16Array;
}

export function buildPrefixCode(lengths: Uint8Array): PrefixCode {
  const counts = new Int32Array(16);
  let used = 0;
  let last = 0;
  for (let s = 0; s < lengths.length; s++) {
    if (lengths[s]) {
      counts[lengths[s]!]!++;
      used++;
      last = s;
    }
  }
  if (used === 0) throw corrupt('A WebP prefix code has no symbols.');
  const symbols = new Uint16Array(used);
  const maxcode = new Int32Array(17).fill(-1);
  const offset = new Int32Array(17);
  if (used === 1) return { single: last, maxcode, offset, symbols };
  let k = 0;
  for (let l = 1; l <= 15; l++) for (let s = 0; s < lengths.length; s++) if (lengths[s] === l) symbols[k++] = s;
  let code = 0;
  k = 0;
  for (let l = 1; l <= 15; l++) {
    offset[l] = k - code;
    code += counts[l]!;
    k += counts[l]!;
    maxcode[l] = code - 1;
    if (code > 1 << l) throw corrupt('A WebP prefix code is over-subscribed.');
    code <<= 1;
  }
  maxcode[16] = 0x7fffffff;
  return { single: -1, maxcode, offset, symbols };
}

export function readSymbol(r: LsbReader, c: PrefixCode): number {
  if (c.single >= 0) return c.single;
  let code = r.read(1);
  let l = 1;
  while (code > c.maxcode[l]!) {
    code = (code << 1) | r.read(1);
    if (++l > 15) throw corrupt('The WebP contains an invalid prefix code.');
  }
  const s = c.symbols[c.offset[l]! + code];
  if (s === undefined) throw corrupt('The WebP contains an invalid prefix code.');
  return s;
}

const CODE_LENGTH_ORDER = [17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/** §3.7.2.1: a simple (1–2 symbol) or normal (code-length coded) prefix code over `alphabet` symbols. */
export function readPrefixCode(r: LsbReader, alphabet: number): PrefixCode {
  const lengths = new Uint8Array(alphabet);
  if (r.read(1)) {
    const n = r.read(1) + 1;
    const s0 = r.read(r.read(1) ? 8 : 1);
    if (s0 >= alphabet) throw corrupt('A WebP prefix code symbol is out of range.');
    lengths[s0] = 1;
    if (n === 2) {
      const s1 = r.read(8);
      if (s1 >= alphabet) throw corrupt('A WebP prefix code symbol is out of range.');
      lengths[s1] = 1;
    }
    return buildPrefixCode(lengths);
  }
  const clLengths = new Uint8Array(19);
  const num = 4 + r.read(4);
  for (let i = 0; i < num; i++) clLengths[CODE_LENGTH_ORDER[i]!] = r.read(3);
  const cl = buildPrefixCode(clLengths);
  let maxSymbol = alphabet;
  if (r.read(1)) {
    const nbits = 2 + 2 * r.read(3);
    maxSymbol = 2 + r.read(nbits);
    if (maxSymbol > alphabet) throw corrupt('A WebP prefix code is malformed.');
  }
  let prev = 8;
  let s = 0;
  while (s < alphabet) {
    if (maxSymbol-- === 0) break;
    const len = readSymbol(r, cl);
    if (len < 16) {
      lengths[s++] = len;
      if (len !== 0) prev = len;
      continue;
    }
    const [extra, base, value] = len === 16 ? [2, 3, prev] : len === 17 ? [3, 3, 0] : [7, 11, 0];
    const rep = base + r.read(extra);
    if (s + rep > alphabet) throw corrupt('A WebP prefix code is malformed.');
    lengths.fill(value, s, s + rep);
    s += rep;
  }
  return buildPrefixCode(lengths);
}
