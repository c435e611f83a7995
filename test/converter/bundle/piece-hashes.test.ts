/**
 * The per-piece sha256 the converter writes into the manifest (BundleFile.chunks): what the page
 * checks each stored chunk against. Computed independently here, from the bytes split by hand.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileDigest } from '../../../converter/parallel/runtime';
import { HASH_CHUNK_BYTES, parseManifest } from '../../../src/core/manifest';
import { writeSyntheticBundle } from '../../../e2e/support/synthetic-bundle';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('piece hashes', () => {
  it('match the sha256 of each piece, whatever sizes the bytes arrive in', () => {
    const data = randomBytes(64 * 7 + 13);
    const d = new FileDigest(64);
    for (let off = 0, n = 1; off < data.length; off += n, n = (n * 7 + 3) % 150) d.update(data.subarray(off, off + n));
    const h = d.digest();
    const want = Array.from({ length: 8 }, (_, i) => sha(data.subarray(i * 64, (i + 1) * 64)));
    expect(h).toEqual({ size: data.length, sha256: sha(data), chunks: { size: 64, sha256: want } });
  });

  it('an exact multiple has no empty last piece; an empty file has no pieces', () => {
    const data = randomBytes(128);
    expect(new FileDigest(64).update(data).digest().chunks.sha256).toHaveLength(2);
    expect(new FileDigest(64).digest().chunks.sha256).toEqual([]);
    expect(new FileDigest().digest().chunks.size).toBe(HASH_CHUNK_BYTES);
  });

  it('the manifest refuses piece lists that cannot describe the file', () => {
    const base = JSON.parse(writeSyntheticBundle(mkdtempSync(join(tmpdir(), 'pieces-')), 'pieces', 130).manifestText);
    const parse = (chunks: unknown) => () => {
      base.files['onnx/decoder.onnx.data'].chunks = chunks;
      return parseManifest(JSON.stringify(base));
    };
    expect(parse({ size: 64, sha256: ['b'.repeat(64), 'c'.repeat(64), 'd'.repeat(64)] })).not.toThrow();
    expect(parse({ size: 64, sha256: ['b'.repeat(64), 'c'.repeat(64)] })).toThrow(/one sha256 per piece/);
    expect(parse({ size: 100, sha256: ['b'.repeat(64), 'c'.repeat(64)] })).toThrow(/multiple of 64/);
    expect(parse({ size: 64, sha256: ['b'.repeat(64), 'c'.repeat(64), 'XYZ'] })).toThrow(/chunks/);
  });
});
