/**
 * The converter's q4 quantiser with a memo for weights the synthetic 7B bundle shares between
 * layers (synthetic-bundle.ts): every layer repeats layer 0's tensors, so each distinct tensor is
 * quantised once instead of 32 times (one 7B-sized layer costs ~35 s on one thread, mostly
 * quantizeQ4). pack.ts points the converter's `quant/q4` imports here when bundling; the bytes
 * written are the very ones quantizeQ4 returns. Without the bundler (tsx) nothing is memoised.
 */
import { quantizeQ4 as quantizeOnce, type Q4Weight } from '../../converter/quant/q4';

export * from '../../converter/quant/q4';

/** Buffers registered as immutable for the whole build, with their quantised views. */
const shared = new WeakMap<ArrayBufferLike, Map<string, Q4Weight>>();

/** Declares `w`'s buffer immutable from now on, so its quantisation may be reused. */
export function markShared(w: Float32Array): void {
  if (!shared.has(w.buffer)) shared.set(w.buffer, new Map());
}

export function quantizeQ4(w: Float32Array, n: number, k: number): Q4Weight {
  const memo = shared.get(w.buffer);
  if (!memo) return quantizeOnce(w, n, k);
  const key = `${w.byteOffset}:${w.length}:${n}:${k}`;
  let q = memo.get(key);
  if (!q) {
    q = quantizeOnce(w, n, k);
    memo.set(key, q);
  }
  return q;
}
