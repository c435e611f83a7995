/** How files are cut into IndexedDB values: fixed-size chunks so no single value exceeds browser limits. */

/** 16 MiB: a multiple of the sha256 block (64 B), so hash state can be saved at every chunk boundary. */
export const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;

export interface ChunkRange {
  index: number;
  start: number;
  end: number; // exclusive
}

export function checkChunkSize(chunkSize: number): void {
  if (!Number.isInteger(chunkSize) || chunkSize <= 0 || chunkSize % 64 !== 0) {
    throw new RangeError(`chunk size ${chunkSize} must be a positive multiple of 64 bytes`);
  }
}

export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

/** The byte ranges of every chunk of a `size`-byte file. */
export function chunkRanges(size: number, chunkSize: number): ChunkRange[] {
  checkChunkSize(chunkSize);
  const out: ChunkRange[] = [];
  for (let i = 0, start = 0; start < size; i++, start += chunkSize) {
    out.push({ index: i, start, end: Math.min(size, start + chunkSize) });
  }
  return out;
}

/**
 * Splits a stream of arbitrary pieces into chunks of exactly `chunkSize` bytes (the last one shorter).
 * `push` returns the chunks completed by a piece; `flush` the final short one.
 */
export class Chunker {
  private buf: Uint8Array<ArrayBuffer>;
  private fill = 0;
  constructor(readonly chunkSize: number) {
    checkChunkSize(chunkSize);
    this.buf = new Uint8Array(new ArrayBuffer(chunkSize));
  }

  /** Bytes held that do not yet form a full chunk. */
  get pending(): number {
    return this.fill;
  }

  push(piece: Uint8Array): Uint8Array<ArrayBuffer>[] {
    const out: Uint8Array<ArrayBuffer>[] = [];
    let off = 0;
    while (off < piece.length) {
      const take = Math.min(this.chunkSize - this.fill, piece.length - off);
      this.buf.set(piece.subarray(off, off + take), this.fill);
      this.fill += take;
      off += take;
      if (this.fill === this.chunkSize) {
        out.push(this.buf);
        this.buf = new Uint8Array(new ArrayBuffer(this.chunkSize));
        this.fill = 0;
      }
    }
    return out;
  }

  flush(): Uint8Array<ArrayBuffer> | null {
    if (this.fill === 0) return null;
    const last = this.buf.slice(0, this.fill);
    this.fill = 0;
    return last;
  }
}
