import { describe, expect, it } from 'vitest';
import type { BundleManifest } from '../../src/core/manifest';
import { missingBytes, planBundle, planFile, storedBytes, type FileRecord } from '../../src/model-store/resume-plan';

const H = (c: string) => c.repeat(64);
const rec = (o: Partial<FileRecord>): FileRecord => ({ sha256: H('a'), size: 1000, chunkSize: 256, chunks: 0, hashState: null, complete: false, ...o });

describe('resume planning', () => {
  it('skips complete files, resumes partial ones after the last stored chunk', () => {
    expect(planFile(1000, H('a'), rec({ complete: true, chunks: 4 }), 512)).toEqual({ kind: 'cached' });
    const state = { wasm: new Uint8Array([1, 2, 3]), length: 512 };
    expect(planFile(1000, H('a'), rec({ chunks: 2, hashState: state }), 512)).toEqual({ kind: 'fetch', fromChunk: 2, hashState: state, chunkSize: 256, pieces: null, recheck: false });
  });

  it('starts fresh when nothing is stored, the record is for another size, or all chunks are there but unverified', () => {
    expect(planFile(1000, H('a'), undefined, 512)).toEqual({ kind: 'fetch', fromChunk: 0, hashState: null, chunkSize: 512, pieces: null, recheck: false });
    expect(planFile(999, H('a'), rec({ chunks: 2 }), 512)).toMatchObject({ fromChunk: 0 });
    expect(planFile(1000, H('a'), rec({ chunks: 4 }), 512)).toMatchObject({ fromChunk: 0 });
  });

  it('with piece hashes in the manifest: their size is the chunk size; chunks stored unchecked are rechecked', () => {
    const pieces = { size: 256, sha256: [H('1'), H('2'), H('3'), H('4')] };
    expect(planFile(1000, H('a'), undefined, 512, pieces)).toEqual({ kind: 'fetch', fromChunk: 0, hashState: null, chunkSize: 256, pieces: pieces.sha256, recheck: false });
    expect(planFile(1000, H('a'), rec({ chunks: 2, pieces: true }), 512, pieces)).toMatchObject({ fromChunk: 2, chunkSize: 256, recheck: false });
    expect(planFile(1000, H('a'), rec({ chunks: 2 }), 512, pieces)).toMatchObject({ fromChunk: 2, recheck: true });
    // Chunks cut at another size cannot be checked against these pieces: start over.
    expect(planFile(1000, H('a'), rec({ chunks: 1, chunkSize: 512 }), 512, pieces)).toMatchObject({ fromChunk: 0, chunkSize: 256 });
  });

  it('plans a bundle per distinct content and counts missing bytes', () => {
    const m = {
      files: {
        'a.onnx': { size: 1000, sha256: H('a') },
        'b.bin': { size: 300, sha256: H('b') },
        'b-copy.bin': { size: 300, sha256: H('b') },
        'c.json': { size: 50, sha256: H('c') },
      },
    } as unknown as BundleManifest;
    const records = new Map([
      [H('a'), rec({ chunks: 3 })],
      [H('c'), rec({ sha256: H('c'), size: 50, complete: true, chunks: 1 })],
    ]);
    const jobs = planBundle(m, records, 256);
    expect(jobs.map((j) => [j.sha256[0], j.paths, j.plan.kind])).toEqual([
      ['a', ['a.onnx'], 'fetch'],
      ['b', ['b.bin', 'b-copy.bin'], 'fetch'],
      ['c', ['c.json'], 'cached'],
    ]);
    expect(jobs.map(storedBytes)).toEqual([768, 0, 50]);
    expect(missingBytes(jobs)).toBe(1000 - 768 + 300);
  });

  it('leaves optional files out (the text encoder when label embeddings are shipped)', () => {
    const m = { files: { 'a.onnx': { size: 1000, sha256: H('a') }, 'text.onnx': { size: 5000, sha256: H('t'), optional: true } } } as unknown as BundleManifest;
    const jobs = planBundle(m, new Map(), 256);
    expect(jobs.map((j) => j.paths)).toEqual([['a.onnx']]);
    expect(missingBytes(jobs)).toBe(1000);
  });
});
