/**
 * Weight-only quantisation of Linear weights for the browser.
 *
 * - `q8`: int8 symmetric, one scale per output channel, as `DequantizeLinear → MatMul` (standard ONNX
 *   ops: run on every EP, incl. WebGPU, whose MatMulNBits kernel only decodes 2/4-bit nibbles).
 * - `q4`: com.microsoft `MatMulNBits` bits=4, block 32 along K, asymmetric (uint4 zero point per
 *   block): the WebGPU EP and the wasm CPU EP both implement it.
 */

export type LinearFormat = 'fp32' | 'q8' | 'q4';

export const Q4_BLOCK = 32;

/** w: torch layout (N out, K in). Returns int8 (K, N) row-major and per-N scales. */
export function quantizeQ8(w: Float32Array, n: number, k: number): { q: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(n);
  const q = new Int8Array(k * n);
  for (let o = 0; o < n; o++) {
    let amax = 0;
    for (let i = 0; i < k; i++) amax = Math.max(amax, Math.abs(w[o * k + i]!));
    const s = amax > 0 ? amax / 127 : 1;
    scales[o] = s;
    for (let i = 0; i < k; i++) q[i * n + o] = Math.max(-127, Math.min(127, Math.round(w[o * k + i]! / s)));
  }
  return { q, scales };
}

/**
 * w: torch layout (N out, K in). MatMulNBits layout: B (N, nBlocks, 16) uint8, two 4-bit values per
 * byte, element 2j in the low nibble; scales (N·nBlocks); zero points packed two per byte per row.
 * K is zero-padded to a multiple of the block.
 */
export function quantizeQ4(w: Float32Array, n: number, k: number): { b: Uint8Array; scales: Float32Array; zeroPoints: Uint8Array; nBlocks: number } {
  const nBlocks = Math.ceil(k / Q4_BLOCK);
  const blob = Q4_BLOCK / 2;
  const zpRow = Math.ceil(nBlocks / 2);
  const b = new Uint8Array(n * nBlocks * blob);
  const scales = new Float32Array(n * nBlocks);
  const zeroPoints = new Uint8Array(n * zpRow);
  for (let o = 0; o < n; o++) {
    for (let blk = 0; blk < nBlocks; blk++) {
      const k0 = blk * Q4_BLOCK;
      const k1 = Math.min(k, k0 + Q4_BLOCK);
      // Include 0 in the range so the zero padding (and exact zeros) stay representable.
      let lo = 0;
      let hi = 0;
      for (let i = k0; i < k1; i++) {
        const v = w[o * k + i]!;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      const s = hi > lo ? (hi - lo) / 15 : 1;
      const zp = Math.max(0, Math.min(15, Math.round(-lo / s)));
      scales[o * nBlocks + blk] = s;
      zeroPoints[o * zpRow + (blk >> 1)] = (zeroPoints[o * zpRow + (blk >> 1)] ?? 0) | (zp << ((blk & 1) * 4));
      for (let j = 0; j < Q4_BLOCK; j++) {
        const i = k0 + j;
        const v = i < k1 ? w[o * k + i]! : 0;
        const qv = Math.max(0, Math.min(15, Math.round(v / s) + zp));
        const byte = (o * nBlocks + blk) * blob + (j >> 1);
        b[byte] = (b[byte] ?? 0) | (qv << ((j & 1) * 4));
      }
    }
  }
  return { b, scales, zeroPoints, nBlocks };
}
