/**
 * LLaMA self-attention with a KV cache (no biases; LoRA already merged into the weights):
 *
 *   x (1,S,H) ─┬─ q_proj ─ heads ─ RoPE ─ q (1,nh,S,hd)
 *              ├─ k_proj ─ heads ─ RoPE ─ Concat(past_k, ·, axis 2) ═► present.i.key   (1,nh,T,hd)
 *              └─ v_proj ─ heads ──────── Concat(past_v, ·, axis 2) ═► present.i.value (1,nh,T,hd)
 *   scores = q · presentKᵀ / √hd (1,nh,S,T) ─Cast f32─ + bias ─ Softmax(f32) ─Cast act─ · presentV
 *          ─ (1,S,nh,hd) ─ Reshape (1,S,H) ─ o_proj ─► (1,S,H)
 *
 * Plain MatMul/Softmax on purpose: GroupQueryAttention / MultiHeadAttention are broken on WebGPU
 * (see shared/spec/web-runtime.md, ORT issue #32716).
 */
import { f32ToF16Bits } from '../../quant/fp16';
import type { AttnProj } from '../keys';
import { makeLinear, type PooledWeight } from './linear';
import { applyRope, type Rope } from './rope';
import { type BuildCtx, scoped } from './types';

export interface AttentionIo {
  pastKey: string;
  pastValue: string;
  presentKey: string;
  presentValue: string;
}

/** `load(p)` reads one (H, H) weight, LoRA merged (or, pooled, its parts); one at a time to bound memory. */
export async function makeAttention(
  ctx: BuildCtx,
  path: string[],
  x: string,
  load: (p: AttnProj) => Promise<Float32Array | PooledWeight>,
  layer: number,
  rope: Rope,
  bias: string,
  io: AttentionIo,
): Promise<string> {
  const { g, config } = ctx;
  const H = config.hiddenSize;
  const nh = config.numHeads;
  const hd = config.headDim;
  const at = <T>(fn: () => T, sub?: string): T => scoped(g, sub ? [...path, sub] : path, fn);
  const proj = async (p: AttnProj, input: string): Promise<string> => {
    const w = await load(p);
    return at(() => makeLinear(ctx, input, w, H, H, `model.layers.${layer}.self_attn.${p}_proj.weight`), `${p}_proj`);
  };
  // (1,S,H) → (1,nh,S,hd)
  const toHeads = (t: string): string => at(() => g.op1('Transpose', [g.op1('Reshape', [t, g.constI64('head_shape', [1, -1, nh, hd])])], { attrs: { perm: [0, 2, 1, 3] } }));

  const qHeads = toHeads(await proj('q', x));
  const kHeads = toHeads(await proj('k', x));
  const vHeads = toHeads(await proj('v', x));
  const merged = at(() => {
    const q = g.scope('q_rope', () => applyRope(ctx, qHeads, rope));
    const kNew = g.scope('k_rope', () => applyRope(ctx, kHeads, rope));
    const [k] = g.op('Concat', [io.pastKey, kNew], { outputs: [io.presentKey], attrs: { axis: 2 }, name: 'key_cache' });
    const [v] = g.op('Concat', [io.pastValue, vHeads], { outputs: [io.presentValue], attrs: { axis: 2 }, name: 'value_cache' });
    const kT = g.op1('Transpose', [k!], { attrs: { perm: [0, 1, 3, 2] } }); // (1,nh,hd,T)
    const raw = g.op1('MatMul', [q, kT], { name: 'qk' }); // (1,nh,S,T)
    const sqrtHd = ctx.act === 'float32' ? g.constF32('sqrt_hd', [Math.sqrt(hd)], []) : g.initializer(g.fresh('sqrt_hd'), 'float16', [], new Uint16Array([f32ToF16Bits(Math.sqrt(hd))]));
    let scores = g.op1('Div', [raw, sqrtHd]);
    if (ctx.act === 'float16') scores = g.op1('Cast', [scores], { attrs: { to: 1 } });
    let probs = g.op1('Softmax', [g.op1('Add', [scores, bias])], { attrs: { axis: -1 } });
    if (ctx.act === 'float16') probs = g.op1('Cast', [probs], { attrs: { to: 10 } });
    const heads = g.op1('MatMul', [probs, v!], { name: 'pv' }); // (1,nh,S,hd)
    return g.op1('Reshape', [g.op1('Transpose', [heads], { attrs: { perm: [0, 2, 1, 3] } }), g.constI64('hidden_shape', [1, -1, H])]); // (1,S,H)
  });
  return proj('o', merged);
}
