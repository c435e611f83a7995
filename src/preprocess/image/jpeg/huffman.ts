/** JPEG Huffman tables (ITU T.81 Annex C / F.2.2.3) and the entropy-coded-segment bit reader. */
import { corrupt } from '../../errors';

export interface HuffmanTable {
  /** maxcode[l] = largest code of length l (−1 if none), l = 1..16; maxcode[17] sentinel. */
  maxcode: Int32Array;
  /** valptr[l] − mincode[l]: index offset into `values` for codes of length l. */
  offset: Int32Array;
  values: Uint8Array;
}

export function buildHuffmanTable(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  const maxcode = new Int32Array(18).fill(-1);
  const offset = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let l = 1; l <= 16; l++) {
    const n = counts[l - 1]!;
    if (n > 0) {
      offset[l] = k - code;
      code += n;
      k += n;
      maxcode[l] = code - 1;
    }
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  if (k > values.length) throw corrupt('A JPEG Huffman table is malformed.');
  return { maxcode, offset, values };
}

/** Reads bits MSB-first from an entropy-coded segment, removing 0xFF00 stuffing. */
export class BitReader {
  private bitBuf = 0;
  private bitCount = 0;
  /** Set once a marker is hit: like libjpeg, further reads return zero bits. */
  marker = -1;

  constructor(
    private readonly data: Uint8Array,
    public pos: number,
  ) {}

  private fill(): void {
    if (this.marker >= 0) {
      this.bitBuf = (this.bitBuf << 8) & 0xffffff;
      this.bitCount += 8;
      return;
    }
    if (this.pos >= this.data.length) throw corrupt('The JPEG data ends in the middle of an image scan.', { offset: this.pos });
    const b = this.data[this.pos]!;
    if (b === 0xff) {
      const next = this.data[this.pos + 1];
      if (next === undefined) throw corrupt('The JPEG data ends in the middle of an image scan.', { offset: this.pos });
      if (next === 0) {
        this.pos += 2;
      } else {
        this.marker = next;
        this.bitBuf = (this.bitBuf << 8) & 0xffffff;
        this.bitCount += 8;
        return;
      }
    } else {
      this.pos++;
    }
    this.bitBuf = ((this.bitBuf << 8) | b) & 0xffffff;
    this.bitCount += 8;
  }

  bit(): number {
    if (this.bitCount === 0) this.fill();
    this.bitCount--;
    return (this.bitBuf >> this.bitCount) & 1;
  }

  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | this.bit();
    return v;
  }

  /** Receive n bits and sign-extend (F.2.2.1 EXTEND). */
  extend(n: number): number {
    if (n === 0) return 0;
    const v = this.bits(n);
    return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
  }

  decode(t: HuffmanTable): number {
    let code = this.bit();
    let l = 1;
    while (code > t.maxcode[l]!) {
      code = (code << 1) | this.bit();
      l++;
      if (l > 16) throw corrupt('The JPEG contains an invalid Huffman code.', { offset: this.pos });
    }
    const v = t.values[t.offset[l]! + code];
    if (v === undefined) throw corrupt('The JPEG contains an invalid Huffman code.', { offset: this.pos });
    return v;
  }

  /** Discard buffered bits and consume an RSTn marker (restart interval boundary). */
  restart(): void {
    this.bitBuf = 0;
    this.bitCount = 0;
    if (this.marker < 0) {
      // Skip to the marker; fill bytes (0xFF) may precede it.
      while (this.pos + 1 < this.data.length && !(this.data[this.pos] === 0xff && this.data[this.pos + 1]! >= 0xd0 && this.data[this.pos + 1]! <= 0xd7)) this.pos++;
      if (this.pos + 1 >= this.data.length) throw corrupt('The JPEG data ends before a restart marker.');
      this.pos += 2;
    } else if (this.marker >= 0xd0 && this.marker <= 0xd7) {
      this.pos += 2;
      this.marker = -1;
    }
  }
}
