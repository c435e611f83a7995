import { describe, expect, it } from 'vitest';
import { Chunker, chunkCount, chunkRanges } from '../../src/model-store/chunking';

describe('chunking', () => {
  it('cuts a file into fixed ranges with a short last one', () => {
    expect(chunkRanges(200, 64)).toEqual([
      { index: 0, start: 0, end: 64 },
      { index: 1, start: 64, end: 128 },
      { index: 2, start: 128, end: 192 },
      { index: 3, start: 192, end: 200 },
    ]);
    expect(chunkRanges(0, 64)).toEqual([]);
    expect(chunkCount(128, 64)).toBe(2);
    expect(chunkCount(129, 64)).toBe(3);
  });

  it('rejects chunk sizes that would break hash-state snapshots', () => {
    expect(() => chunkRanges(10, 100)).toThrow(RangeError);
    expect(() => new Chunker(0)).toThrow(RangeError);
  });

  it('re-chunks arbitrary network pieces into exact chunks, preserving bytes', () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7 + 3) & 255);
    const c = new Chunker(128);
    const out: Uint8Array[] = [];
    let off = 0;
    for (const len of [1, 5, 127, 128, 129, 300, 10, 300]) {
      const piece = data.subarray(off, Math.min(1000, off + len));
      off += piece.length;
      out.push(...c.push(piece).map((x) => x.slice()));
    }
    const last = c.flush();
    if (last) out.push(last);
    expect(out.slice(0, -1).every((x) => x.length === 128)).toBe(true);
    expect(out.map((x) => x.length).reduce((a, b) => a + b)).toBe(1000);
    expect(Buffer.concat(out).equals(Buffer.from(data))).toBe(true);
    expect(c.flush()).toBeNull();
  });

  it('does not alias a handed-out chunk with later input', () => {
    const c = new Chunker(64);
    const [first] = c.push(new Uint8Array(64).fill(1));
    c.push(new Uint8Array(64).fill(2));
    expect(first!.every((b) => b === 1)).toBe(true);
  });
});
