/**
 * Block-wise symmetric 4-bit quantisation in the layout of `com.microsoft.MatMulNBits`
 * (bits 4, no zero_points input ⇒ zero point 8):
 *
 *   W (N, K) float, HF Linear layout (out, in)
 *   B      uint8 [N, ceil(K/32), 16]  two 4-bit codes per byte, element 2j in the low nibble
 *   scales float [N * ceil(K/32)]    one per (row, block)
 *   w[n,k] ≈ (code − 8) · scale[n, k/32]
 *
 * K need not be a multiple of 32: the last block is padded with zeros (code 8).
 * The scale maps the block's largest-magnitude value to code 0 (value −8·scale), the same choice
 * as onnxruntime's own `MatMulNBitsQuantizer` (symmetric), so the full code range [−8, 7] is used;
 * values of the other sign beyond 7·|scale| clamp (error ≤ one step, elsewhere ≤ half a step).
 */
export const Q4_BLOCK = 32;

const SCALE_CANDIDATES = [1, 0.94, 0.88, 0.82, 0.76];

/** Squared error of round-to-nearest codes in [−8, 7] with this scale (the hot loop of a 7B conversion). */
function blockError(w: Float32Array, start: number, len: number, scale: number): number {
  if (scale === 0) return 0;
  const inv = 1 / scale;
  let err = 0;
  for (let j = start, end = start + len; j < end; j++) {
    const v = w[j]!;
    let q = Math.round(v * inv);
    if (q > 7) q = 7;
    else if (q < -8) q = -8;
    const d = v - q * scale;
    err += d * d;
  }
  return err;
}

export interface Q4Weight {
  n: number;
  k: number;
  blocks: number;
  /** [N, blocks, 16] */
  packed: Uint8Array;
  /** [N * blocks] */
  scales: Float32Array;
}

export function quantizeQ4(w: Float32Array, n: number, k: number): Q4Weight {
  if (w.length !== n * k) throw new Error(`quantizeQ4: ${w.length} values for (${n}, ${k})`);
  const blocks = Math.ceil(k / Q4_BLOCK);
  const packed = new Uint8Array(n * blocks * (Q4_BLOCK / 2));
  const scales = new Float32Array(n * blocks);
  const codes = new Uint8Array(Q4_BLOCK);
  for (let r = 0; r < n; r++) {
    for (let b = 0; b < blocks; b++) {
      const start = r * k + b * Q4_BLOCK;
      const len = Math.min(Q4_BLOCK, k - b * Q4_BLOCK);
      let vmax = 0;
      for (let j = 0; j < len; j++) {
        const v = w[start + j]!;
        if (Math.abs(v) > Math.abs(vmax)) vmax = v;
      }
      let scale = 0;
      let bestErr = Infinity;
      for (let c = 0; c < SCALE_CANDIDATES.length; c++) {
        const f = SCALE_CANDIDATES[c]!;
        const cand = vmax === 0 ? 0 : Math.fround((vmax / -8) * f);
        const err = blockError(w, start, len, cand);
        if (err < bestErr) {
          bestErr = err;
          scale = cand;
        }
      }
      const inv = scale !== 0 ? 1 / scale : 0;
      codes.fill(8);
      for (let j = 0; j < len; j++) codes[j] = Math.min(15, Math.max(0, Math.round(w[start + j]! * inv) + 8));
      scales[r * blocks + b] = scale;
      const base = (r * blocks + b) * (Q4_BLOCK / 2);
      for (let j = 0; j < Q4_BLOCK / 2; j++) packed[base + j] = codes[2 * j]! | (codes[2 * j + 1]! << 4);
    }
  }
  return { n, k, blocks, packed, scales };
}

/** The (N, K) matrix a Q4Weight stands for. */
export function dequantizeQ4(q: Q4Weight): Float32Array {
  const out = new Float32Array(q.n * q.k);
  for (let r = 0; r < q.n; r++) {
    for (let kk = 0; kk < q.k; kk++) {
      const b = Math.floor(kk / Q4_BLOCK);
      const j = kk % Q4_BLOCK;
      const byte = q.packed[(r * q.blocks + b) * (Q4_BLOCK / 2) + (j >> 1)]!;
      const code = j & 1 ? byte >> 4 : byte & 15;
      out[r * q.k + kk] = (code - 8) * q.scales[r * q.blocks + b]!;
    }
  }
  return out;
}
