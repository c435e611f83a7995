/**
 * Saving and restoring an incremental sha256 between page loads, so a resumed download need not
 * re-read what is already stored. @noble/hashes has no public export/import of its state; its
 * SHA-256 keeps eight 32-bit words (get/set), a byte count and a partial block. We only snapshot at
 * block boundaries (pos 0: nothing buffered), which is every chunk boundary since chunks are
 * multiples of 64 bytes. `test/model-store/hash-state.test.ts` pins this against the library, and
 * every snapshot is checked on restore; when it does not fit, callers re-hash the stored chunks.
 */
import { sha256 } from '@noble/hashes/sha2.js';

export type Sha256 = ReturnType<typeof sha256.create>;

export interface Sha256State {
  /** The eight state words H0..H7. */
  words: number[];
  /** Bytes hashed so far (a multiple of 64). */
  length: number;
}

interface Internals {
  get(): number[];
  set(...w: number[]): void;
  length: number;
  pos: number;
  finished: boolean;
}

function internals(h: Sha256): Internals | null {
  const i = h as unknown as Partial<Internals>;
  if (typeof i.get !== 'function' || typeof i.set !== 'function' || typeof i.length !== 'number' || typeof i.pos !== 'number') return null;
  return i as Internals;
}

/** The state of `h`, or null when it holds a partial block or the library changed shape. */
export function snapshotSha256(h: Sha256): Sha256State | null {
  const i = internals(h);
  if (!i || i.pos !== 0 || i.finished) return null;
  const words = i.get();
  if (words.length !== 8 || i.length % 64 !== 0) return null;
  return { words: [...words], length: i.length };
}

/** A hasher continuing from `s`, or null when `s` is not a usable snapshot. */
export function restoreSha256(s: Sha256State | null | undefined): Sha256 | null {
  if (!s || !Array.isArray(s.words) || s.words.length !== 8 || !Number.isInteger(s.length) || s.length % 64 !== 0) return null;
  const h = sha256.create();
  const i = internals(h);
  if (!i) return null;
  i.set(...s.words.map((w) => w | 0));
  i.length = s.length;
  // Round-trip check: if the library stopped reading these fields, refuse rather than hash wrongly.
  const back = snapshotSha256(h);
  if (!back || back.length !== s.length || back.words.some((w, k) => (w | 0) !== (s.words[k]! | 0))) return null;
  return h;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
