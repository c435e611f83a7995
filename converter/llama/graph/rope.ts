/**
 * Rotary position embedding, HF "rotate_half" convention (spec §5.2):
 *
 *   cos_table, sin_table (maxPositions, hd)   precomputed here like HF's cos_cached/sin_cached:
 *                                             emb = cat(t·inv_freq, t·inv_freq) in fp32, cos/sin
 *   qPos (S,) ─Gather─► cos, sin (S, hd)      [cast to the activation type]
 *
 * Tables instead of in-graph Cos/Sin: WGSL only promises ~2^-11 absolute error for sin/cos, and
 * SwiftShader's 2e-4 error reached the K cache (e2e/backend-correctness measures it). A lookup
 * is exact on every backend and costs 2 MB for 7B.
 *
 *   apply:  x (1, nh, S, hd) ─► x·cos + rotate_half(x)·sin,   rotate_half([a, b]) = [−b, a]
 */
import type { BuildCtx } from './types';

export interface Rope {
  cos: string; // (S, hd)
  sin: string; // (S, hd)
}

/** inv_freq = 1 / theta^(arange(0, hd, 2) / hd), rounded to float32 like torch. */
export function invFreq(headDim: number, theta: number): Float32Array {
  const out = new Float32Array(headDim / 2);
  for (let i = 0; i < headDim / 2; i++) out[i] = 1 / Math.pow(theta, Math.fround((2 * i) / headDim));
  return out;
}

/** cos/sin tables (maxPositions × headDim), float32 as torch computes them. */
export function ropeTables(headDim: number, theta: number, maxPositions: number): { cos: Float32Array; sin: Float32Array } {
  const inv = invFreq(headDim, theta);
  const half = headDim / 2;
  const cos = new Float32Array(maxPositions * headDim);
  const sin = new Float32Array(maxPositions * headDim);
  for (let t = 0; t < maxPositions; t++) {
    for (let i = 0; i < half; i++) {
      const f = Math.fround(t * inv[i]!);
      const c = Math.cos(f);
      const s = Math.sin(f);
      cos[t * headDim + i] = cos[t * headDim + half + i] = c;
      sin[t * headDim + i] = sin[t * headDim + half + i] = s;
    }
  }
  return { cos, sin };
}

export function makeRope(ctx: BuildCtx, qPos: string): Rope {
  const { g, config } = ctx;
  return g.scope('rope', () => {
    const tables = ropeTables(config.headDim, config.ropeTheta, config.maxPositions);
    const dims = [config.maxPositions, config.headDim];
    let cos = g.op1('Gather', [g.constF32('cos_table', tables.cos, dims), qPos], { attrs: { axis: 0 } }); // (S, hd)
    let sin = g.op1('Gather', [g.constF32('sin_table', tables.sin, dims), qPos], { attrs: { axis: 0 } }); // (S, hd)
    if (ctx.act === 'float16') {
      cos = g.op1('Cast', [cos], { attrs: { to: 10 } });
      sin = g.op1('Cast', [sin], { attrs: { to: 10 } });
    }
    return { cos, sin };
  });
}

export function applyRope(ctx: BuildCtx, x: string, rope: Rope): string {
  const { g } = ctx;
  const half = ctx.config.headDim / 2;
  const [a, b] = g.op('Split', [x, g.constI64('split', [half, half])], { outputs: 2, attrs: { axis: -1 } });
  const rotated = g.op1('Concat', [g.op1('Neg', [b!]), a!], { attrs: { axis: -1 } });
  return g.op1('Add', [g.op1('Mul', [x, rope.cos]), g.op1('Mul', [rotated, rope.sin])]);
}
