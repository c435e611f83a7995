import { createHash } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { restoreSha256, snapshotSha256, toHex } from '../../src/model-store/hash-state';

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 17 + (i >> 8)) & 255);

describe('sha256 state snapshots', () => {
  it('continuing from a JSON round-tripped snapshot gives the same digest as node:crypto', () => {
    const a = bytes(64 * 1000, 1);
    const b = bytes(12345, 2);
    const h = sha256.create();
    h.update(a.subarray(0, 700)).update(a.subarray(700));
    const snap = snapshotSha256(h);
    expect(snap).not.toBeNull();
    expect(snap!.length).toBe(a.length);
    const h2 = restoreSha256(JSON.parse(JSON.stringify(snap)));
    expect(h2).not.toBeNull();
    h2!.update(b);
    const expected = createHash('sha256').update(a).update(b).digest('hex');
    expect(toHex(h2!.digest())).toBe(expected);
  });

  it('refuses to snapshot mid-block and rejects malformed snapshots', () => {
    const h = sha256.create().update(bytes(100, 3));
    expect(snapshotSha256(h)).toBeNull();
    expect(restoreSha256(null)).toBeNull();
    expect(restoreSha256({ words: [1, 2, 3], length: 64 })).toBeNull();
    expect(restoreSha256({ words: [1, 2, 3, 4, 5, 6, 7, 8], length: 65 })).toBeNull();
  });

  it('a snapshot of a fresh hasher restores to the empty-input hash', () => {
    const h = restoreSha256(snapshotSha256(sha256.create()));
    expect(toHex(h!.digest())).toBe(createHash('sha256').digest('hex'));
  });
});
