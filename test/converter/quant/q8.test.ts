import { describe, expect, it } from 'vitest';
import { dequantizeQ8, Q8_BLOCK, quantizeQ8 } from '../../../converter/quant/q8';
import { f16ToF32, f32ToF16 } from '../../../src/core/half';

describe('8-bit block quantisation (MatMulNBits bits 8 layout)', () => {
  it('keeps every value within half a step, codes in [1, 255], scales exact in fp16', () => {
    const n = 5;
    const k = 70; // not a multiple of the block: the last block is padded with code 128
    const w = Float32Array.from({ length: n * k }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 13)) * 0.01);
    w.fill(0, k, 2 * k); // an all-zero row: scale 0
    const q = quantizeQ8(w, n, k);
    expect(q.blocks).toBe(3);
    expect(q.codes.length).toBe(n * 3 * Q8_BLOCK);
    for (const s of q.scales) expect(f16ToF32(f32ToF16(s))).toBe(s);
    for (let r = 0; r < n; r++) for (let b = 0; b < 3; b++) {
      const len = Math.min(Q8_BLOCK, k - b * Q8_BLOCK);
      const codes = q.codes.subarray((r * 3 + b) * Q8_BLOCK, (r * 3 + b + 1) * Q8_BLOCK);
      for (let j = 0; j < Q8_BLOCK; j++) {
        if (j >= len || q.scales[r * 3 + b] === 0) expect(codes[j]).toBe(128);
        else expect(codes[j]).toBeGreaterThanOrEqual(1);
      }
    }
    const d = dequantizeQ8(q);
    for (let i = 0; i < w.length; i++) {
      const s = q.scales[Math.floor(i / k) * 3 + Math.floor((i % k) / Q8_BLOCK)]!;
      expect(Math.abs(d[i]! - w[i]!)).toBeLessThanOrEqual(s / 2 + 1e-9);
    }
  });
});
