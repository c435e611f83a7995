/**
 * Additive attention bias (causal + padding), float32, shared by every layer:
 *
 *   kPos (T,) ─┐
 *              LessOrEqual ──► causal (S, T) ─┐
 *   qPos (S,1)─┘                               And ─► Where(·, 0, f32 min) ─Unsqueeze─► (1, 1, S, T)
 *   attention_mask (1, T) int64 ─Cast bool ────┘
 *
 * f32 min (not −inf) mirrors HF, and keeps a fully masked row finite.
 */
import type { BuildCtx } from './types';
import type { Positions } from './positions';

const F32_MIN = -3.4028234663852886e38;

export function makeAttentionBias(ctx: BuildCtx, attentionMask: string, pos: Positions): string {
  const { g } = ctx;
  return g.scope('attn_bias', () => {
    const q = g.op1('Unsqueeze', [pos.qPos, g.constI64('axes', [1])]); // (S, 1)
    const causal = g.op1('LessOrEqual', [pos.kPos, q]); // (S, T)
    const padding = g.op1('Cast', [attentionMask], { attrs: { to: 9 } }); // (1, T) bool
    const allowed = g.op1('And', [causal, padding]); // (S, T)
    const bias = g.op1('Where', [allowed, g.constF32('zero', [0], []), g.constF32('min', [F32_MIN], [])]);
    return g.op1('Unsqueeze', [bias, g.constI64('axes', [0, 1])]); // (1, 1, S, T)
  });
}
