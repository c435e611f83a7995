/**
 * ImageBind heads: pick the pooled token, LayerNorm (1e-6), project without bias. Output (N, outDim)
 * is the RAW head output; normalise/scale/clip-mean is the engine's job (manifest `postprocess`).
 */
import { makeLayerNorm, makeLinear, type BuildCtx } from './layers';

/**
 *   x (N,L,D) ─► Gather token 0 (N,D) ─► LN ─► Linear (D→out, no bias) ─►
 * (upstream applies LN to all tokens, then selects token 0: identical, LN works per token)
 */
export function makeTokenHead(c: BuildCtx, x: string, prefix: string, projIndex: number, dim: number): string {
  const { g } = c;
  const cls = g.op1('Gather', [x, g.constI64('token0', [0], [])], { attrs: { axis: 1 } });
  const normed = makeLayerNorm(c, cls, `${prefix}.0`, dim, 1e-6);
  const [outDim] = c.w.shape(`${prefix}.${projIndex}.weight`) as [number];
  return makeLinear(c, normed, `${prefix}.${projIndex}.weight`, outDim, dim);
}

/**
 * Text head pools the token at argmax(ids) (the first EOT, id 49407 being the largest id; a
 * truncated text without EOT pools SOT at 0, spec §13.1):
 *   ids (N,77) ─► Cast f32 (ids < 2^24: exact; int64 ArgMax is not a WebGPU kernel) ─► ArgMax(axis 1, keepdims) (N,1) ─► Unsqueeze (N,1,1) ─► Expand (N,1,D)
 *   x (N,77,D) ─► GatherElements(axis 1) (N,1,D) ─► Reshape (N,D) ─► LN ─► Linear (D→out) ─►
 */
export function makeTextHead(c: BuildCtx, x: string, ids: string, dim: number): string {
  const { g } = c;
  const prefix = 'modality_heads.text.proj';
  const pos = g.op1('ArgMax', [g.op1('Cast', [ids], { attrs: { to: 1 } })], { attrs: { axis: 1, keepdims: 1, select_last_index: 0 } });
  const pos3 = g.op1('Unsqueeze', [pos, g.constI64('axis2', [2])]);
  const shape = g.op1('Concat', [g.op1('Shape', [ids], { attrs: { start: 0, end: 1 } }), g.constI64('tail', [1, dim])], { attrs: { axis: 0 } });
  const idx = g.op1('Expand', [pos3, shape]);
  const picked = g.op1('GatherElements', [x, idx], { attrs: { axis: 1 } });
  const flat = g.op1('Reshape', [picked, g.constI64('flat', [-1, dim])]);
  const normed = makeLayerNorm(c, flat, `${prefix}.0`, dim, 1e-6);
  const [outDim] = c.w.shape(`${prefix}.1.weight`) as [number];
  return makeLinear(c, normed, `${prefix}.1.weight`, outDim, dim);
}
