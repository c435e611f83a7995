import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openSha256 } from '../../src/model-store/hash-state';

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 17 + (i >> 8)) & 255);

describe('sha256 streams (hash-wasm) with saved state', () => {
  it('continuing from a saved state (as stored in IndexedDB) gives node:crypto’s digest', async () => {
    const a = bytes(64 * 1000 + 7, 1); // not on a block boundary: the state holds the partial block
    const b = bytes(12345, 2);
    const h = (await openSha256())!;
    expect(await h.update(a.slice(0, 700))).toEqual(a.slice(0, 700)); // the bytes come back
    await h.update(a.slice(700));
    const state = structuredClone(await h.save());
    expect(state.length).toBe(a.length);
    h.close();
    const h2 = (await openSha256(state))!;
    expect(h2).not.toBeNull();
    await h2.update(b);
    expect(await h2.digest()).toBe(createHash('sha256').update(a).update(b).digest('hex'));
  });

  it('refuses a state it did not write (older records re-hash instead)', async () => {
    expect(await openSha256({ words: [1, 2, 3, 4, 5, 6, 7, 8], length: 64 } as never)).toBeNull();
    expect(await openSha256({ wasm: new Uint8Array([1, 2, 3]), length: 64 })).toBeNull();
    expect(await (await openSha256(null))!.digest()).toBe(createHash('sha256').digest('hex'));
  });
});
