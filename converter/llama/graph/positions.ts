/**
 * Sequence bookkeeping computed in-graph from the input shapes, shared by every layer:
 *
 *   P = shape(past_key_values.0.key)[2]      S = shape(inputs_embeds)[1]      T = P + S
 *   qPos = Range(P, T)  (S,)  positions of the new tokens (RoPE and the causal mask)
 *   kPos = Range(0, T)  (T,)  positions of all keys
 */
import type { BuildCtx } from './types';

export interface Positions {
  qPos: string; // (S,) int64
  kPos: string; // (T,) int64
}

export function makePositions(ctx: BuildCtx, inputsEmbeds: string, pastKey0: string): Positions {
  const { g } = ctx;
  return g.scope('positions', () => {
    const scalarAt = (t: string, axis: number) => g.op1('Gather', [g.op1('Shape', [t]), g.constI64('axis', [axis], [])], { attrs: { axis: 0 } });
    const past = scalarAt(pastKey0, 2);
    const seq = scalarAt(inputsEmbeds, 1);
    const total = g.op1('Add', [past, seq]);
    const one = g.constI64('one', [1], []);
    const qPos = g.op1('Range', [past, total, one], { name: 'q_range' });
    const kPos = g.op1('Range', [g.constI64('zero', [0], []), total, one], { name: 'k_range' });
    return { qPos, kPos };
  });
}
