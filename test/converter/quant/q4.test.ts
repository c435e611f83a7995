import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Graph } from '../../../converter/onnx/graph';
import { dequantizeQ4, Q4_BLOCK, quantizeQ4 } from '../../../converter/quant/q4';

/** Deterministic pseudo-random numbers in [-1, 1) (xorshift32). */
function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 31 - 1;
  });
}

/** y = x · W_dqᵀ in double, W_dq the dequantised (N, K) weight. */
function refMatmul(x: Float32Array, m: number, w: Float32Array, n: number, k: number): Float64Array {
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let t = 0; t < k; t++) acc += x[i * k + t]! * w[j * k + t]!;
    y[i * n + j] = acc;
  }
  return y;
}

async function runMatMulNBits(x: Float32Array, m: number, packed: Uint8Array, scales: Float32Array, n: number, k: number): Promise<Float32Array> {
  const g = new Graph('q4');
  const xi = g.input('x', 'float32', [m, k]);
  const blocks = Math.ceil(k / Q4_BLOCK);
  const b = g.initializer('B', 'uint8', [n, blocks, Q4_BLOCK / 2], packed);
  const s = g.initializer('scales', 'float32', [n * blocks], scales);
  const y = g.op1('MatMulNBits', [xi, b, s], { domain: 'com.microsoft', attrs: { K: k, N: n, bits: 4, block_size: Q4_BLOCK } });
  g.output(y, 'float32', [m, n], 'y');
  const session = await ort.InferenceSession.create(g.toModelBytes());
  const out = await session.run({ x: new ort.Tensor('float32', x, [m, k]) });
  return out.y!.data as Float32Array;
}

describe('MatMulNBits packing', () => {
  for (const [n, k] of [
    [64, 96],
    [48, 172], // K not a multiple of 32: the last block is zero-padded (LLaMA-tiny's down_proj)
  ] as const) {
    it(`onnxruntime's MatMulNBits equals the dequantised matmul (N=${n}, K=${k})`, async () => {
      const w = rand(n * k, 7 + k);
      const q = quantizeQ4(w, n, k);
      expect(q.packed.length).toBe(n * Math.ceil(k / 32) * 16);
      const m = 3;
      const x = rand(m * k, 99);
      const got = await runMatMulNBits(x, m, q.packed, q.scales, n, k);
      const dqW = dequantizeQ4(q);
      const want = refMatmul(x, m, dqW, n, k);
      // Standard fp32 dot-product bound: |Δ| ≤ K · 2⁻²⁴ · Σ|x·w| (any summation order).
      const absW = dqW.map(Math.abs);
      const mag = refMatmul(x.map(Math.abs), m, absW, n, k);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(k * 2 ** -24 * mag[i]! + 1e-7);
      // and the quantisation itself is round-to-nearest with the chosen scale: ≤ half a step
      // inside the code range [−8, 7]·scale, the nearest end of the range outside it.
      const dq = dequantizeQ4(q);
      for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) {
        const scale = q.scales[r * q.blocks + Math.floor(c / 32)]!;
        const v = w[r * k + c]!;
        const u = v / scale;
        if (u >= -8.5 && u < 7.5) expect(Math.abs(dq[r * k + c]! - v)).toBeLessThanOrEqual(Math.abs(scale) / 2 + 1e-7);
        else expect(dq[r * k + c]).toBeCloseTo((u < 0 ? -8 : 7) * scale, 6);
      }
      // the MSE scale search never does worse than the plain max-abs scale (vmax / −8)
      for (let r = 0; r < n; r++) for (let b = 0; b < q.blocks; b++) {
        const lo = b * 32;
        const hi = Math.min(k, lo + 32);
        const block = w.subarray(r * k + lo, r * k + hi);
        const vmax = block.reduce((m, v) => (Math.abs(v) > Math.abs(m) ? v : m), 0);
        const plain = Math.fround(vmax / -8);
        let ePlain = 0;
        let eGot = 0;
        for (let j = 0; j < block.length; j++) {
          ePlain += (block[j]! - Math.min(7, Math.max(-8, Math.round(block[j]! / plain))) * plain) ** 2;
          eGot += (block[j]! - dq[r * k + lo + j]!) ** 2;
        }
        expect(eGot).toBeLessThanOrEqual(ePlain * (1 + 1e-5));
      }
    });
  }

  it('packs element 2j in the low nibble and maps the block extreme to code 0', () => {
    const w = new Float32Array(32);
    w[0] = -8; // extreme → scale 1, code 0
    w[1] = 7; // code 15
    w[2] = 1; // code 9
    const q = quantizeQ4(w, 1, 32);
    expect(q.scales[0]).toBe(1);
    expect(q.packed[0]).toBe(0 | (15 << 4));
    expect(q.packed[1]).toBe(9 | (8 << 4));
    expect(Array.from(q.packed.subarray(2))).toEqual(new Array(14).fill(0x88));
  });

  it('an all-zero block has scale 0 and dequantises to zeros', () => {
    const q = quantizeQ4(new Float32Array(64), 2, 32);
    expect(Array.from(q.scales)).toEqual([0, 0]);
    expect(Array.from(dequantizeQ4(q)).every((v) => v === 0)).toBe(true);
  });
});
