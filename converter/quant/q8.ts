/**
 * Block-wise symmetric 8-bit quantisation in the layout of `com.microsoft.MatMulNBits` with
 * bits 8 (no zero_points input ⇒ zero point 128):
 *
 *   W (N, K) float, HF Linear layout (out, in)
 *   B      uint8 [N, ceil(K/32), 32]  one code per byte
 *   scales [N * ceil(K/32)]            one per (row, block), values exact in fp16 (stored fp16)
 *   w[n,k] ≈ (code − 128) · scale[n, k/32]
 *
 * The scale is the block's largest magnitude / 127, rounded up to the next fp16 value, so every
 * code lands in [1, 255] and the error is at most half a step (≤ 0.4 % of the block's largest value).
 * Used for lm_head: half the bytes of fp16 storage (0.13 GB less for 7B and 13B).
 */
import { f16ToF32, f32ToF16 } from '../../src/core/half';

export const Q8_BLOCK = 32;

export interface Q8Weight {
  n: number;
  k: number;
  blocks: number;
  /** [N, blocks, 32] */
  codes: Uint8Array;
  /** [N * blocks], each exactly representable in fp16 */
  scales: Float32Array;
}

/** The smallest fp16 value ≥ x (x ≥ 0, below fp16's max). */
function f16AtLeast(x: number): number {
  const bits = f32ToF16(x);
  const v = f16ToF32(bits);
  return v >= x ? v : f16ToF32(bits + 1);
}

export function quantizeQ8(w: Float32Array, n: number, k: number): Q8Weight {
  if (w.length !== n * k) throw new Error(`quantizeQ8: ${w.length} values for (${n}, ${k})`);
  const blocks = Math.ceil(k / Q8_BLOCK);
  const codes = new Uint8Array(n * blocks * Q8_BLOCK).fill(128);
  const scales = new Float32Array(n * blocks);
  for (let r = 0; r < n; r++) {
    for (let b = 0; b < blocks; b++) {
      const start = r * k + b * Q8_BLOCK;
      const len = Math.min(Q8_BLOCK, k - b * Q8_BLOCK);
      let max = 0;
      for (let j = 0; j < len; j++) max = Math.max(max, Math.abs(w[start + j]!));
      const scale = max === 0 ? 0 : f16AtLeast(max / 127);
      scales[r * blocks + b] = scale;
      if (scale === 0) continue;
      const base = (r * blocks + b) * Q8_BLOCK;
      for (let j = 0; j < len; j++) codes[base + j] = Math.min(255, Math.max(1, Math.round(w[start + j]! / scale) + 128));
    }
  }
  return { n, k, blocks, codes, scales };
}

/** The (N, K) matrix a Q8Weight stands for. */
export function dequantizeQ8(q: Q8Weight): Float32Array {
  const out = new Float32Array(q.n * q.k);
  for (let r = 0; r < q.n; r++) {
    for (let kk = 0; kk < q.k; kk++) {
      const b = Math.floor(kk / Q8_BLOCK);
      out[r * q.k + kk] = (q.codes[(r * q.blocks + b) * Q8_BLOCK + (kk % Q8_BLOCK)]! - 128) * q.scales[r * q.blocks + b]!;
    }
  }
  return out;
}
