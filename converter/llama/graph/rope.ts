/**
 * Rotary position embedding, HF "rotate_half" convention (spec §5.2):
 *
 *   qPos (S,) ─Cast f32─Unsqueeze─ (S,1) ─Mul inv_freq (hd/2)─ freqs (S, hd/2)
 *   emb = Concat(freqs, freqs) (S, hd) ─► cos, sin (S, hd)  [cast to the activation type]
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

export function makeRope(ctx: BuildCtx, qPos: string): Rope {
  const { g, config } = ctx;
  return g.scope('rope', () => {
    const pos = g.op1('Cast', [qPos], { attrs: { to: 1 } });
    const col = g.op1('Unsqueeze', [pos, g.constI64('axes', [1])]); // (S, 1)
    const freqs = g.op1('Mul', [col, g.constF32('inv_freq', invFreq(config.headDim, config.ropeTheta))]); // (S, hd/2)
    const emb = g.op1('Concat', [freqs, freqs], { attrs: { axis: -1 } }); // (S, hd)
    let cos = g.op1('Cos', [emb]);
    let sin = g.op1('Sin', [emb]);
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
