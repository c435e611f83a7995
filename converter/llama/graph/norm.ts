/**
 * LlamaRMSNorm with the variance in float32 (HF 4.29):
 *
 *   x (…, H) ─Cast f32─┬─ Mul(x,x) ─ ReduceMean(-1) ─ Add eps ─ Sqrt ─┐
 *                      └──────────────────────────────────────────── Div ─Cast act─ Mul w ─► (…, H)
 *
 * For fp16 activations the normalised value is cast back to fp16 before the weight multiply,
 * exactly as HF does when the weight is fp16.
 */
import { toF16 } from '../../quant/fp16';
import type { BuildCtx } from './types';

export function makeRmsNorm(ctx: BuildCtx, x: string, weight: Float32Array, name: string): string {
  const { g } = ctx;
  const x32 = ctx.act === 'float32' ? x : g.op1('Cast', [x], { attrs: { to: 1 } });
  const sq = g.op1('Mul', [x32, x32]);
  const variance = g.op1('ReduceMean', [sq], { attrs: { axes: [-1], keepdims: 1 } });
  const eps = g.constF32('eps', [ctx.config.rmsNormEps], []);
  const std = g.op1('Sqrt', [g.op1('Add', [variance, eps])]);
  const normed32 = g.op1('Div', [x32, std]);
  const normed = ctx.act === 'float32' ? normed32 : g.op1('Cast', [normed32], { attrs: { to: 10 } });
  const w = ctx.act === 'float32' ? g.initializer(name, 'float32', [weight.length], weight) : g.initializer(name, 'float16', [weight.length], toF16(weight));
  return g.op1('Mul', [normed, w]);
}
