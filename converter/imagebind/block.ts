/**
 * ImageBind's transformer block (BlockWithMasking, pre-norm) with nn.MultiheadAttention semantics.
 */
import { makeGelu, makeLayerNorm, makeLinear, batchShape, type BuildCtx } from './layers';

export interface TrunkSpec {
  /** `modality_trunks.{m}` */
  prefix: string;
  dim: number;
  heads: number;
  blocks: number;
  /** add_bias_kv: bias_k / bias_v appended as one extra key/value slot (audio, depth, thermal, IMU). */
  biasKv: boolean;
  /** Additive (L,L) attention mask initializer name (text: causal), or none. */
  mask?: string;
}

/**
 * nn.MultiheadAttention(x, x, x) for x (N,L,D), h heads of hd = D/h:
 *
 *   x ─► MatMul in_proj (D,3D) + b ─► Split ─► q,k,v (N,L,D)
 *   k ─► Concat[k, bias_k expanded (N,1,D)] (N,L+1,D)      (biasKv only; same for v)
 *   q ─► Reshape (N,L,h,hd) ─► Transpose (N,h,L,hd) ─► ·1/√hd
 *   k ─► Reshape (N,Lk,h,hd) ─► Transpose (N,h,hd,Lk)
 *   scores = q·k (N,h,L,Lk) [+ mask (L,Lk)] ─► Softmax(-1) ─► ·v (N,h,L,hd)
 *   ─► Transpose (N,L,h,hd) ─► Reshape (N,L,D) ─► out_proj ─►
 */
export function makeAttention(c: BuildCtx, x: string, t: TrunkSpec, prefix: string): string {
  const { g } = c;
  const d = t.dim;
  const hd = d / t.heads;
  const qkv = makeLinear(c, x, `${prefix}.in_proj_weight`, 3 * d, d, `${prefix}.in_proj_bias`);
  let [q, k, v] = g.op('Split', [qkv, g.constI64('split', [d, d, d])], { attrs: { axis: -1 }, outputs: 3 }) as [string, string, string];
  if (t.biasKv) {
    for (const which of ['k', 'v'] as const) {
      const key = `${prefix}.bias_${which}`;
      const bias = g.initializer(key, 'float32', [1, 1, d], c.w.get(key, [1, 1, d]));
      const biasN = g.op1('Expand', [bias, batchShape(g, x, [1, d])]);
      if (which === 'k') k = g.op1('Concat', [k, biasN], { attrs: { axis: 1 } });
      else v = g.op1('Concat', [v, biasN], { attrs: { axis: 1 } });
    }
  }
  const heads = g.constI64('heads_shape', [0, 0, t.heads, hd]);
  const qh = g.op1('Transpose', [g.op1('Reshape', [q, heads])], { attrs: { perm: [0, 2, 1, 3] } });
  const qs = g.op1('Mul', [qh, g.constF32('scale', [1 / Math.sqrt(hd)], [])]);
  const kt = g.op1('Transpose', [g.op1('Reshape', [k, heads])], { attrs: { perm: [0, 2, 3, 1] } });
  const vh = g.op1('Transpose', [g.op1('Reshape', [v, heads])], { attrs: { perm: [0, 2, 1, 3] } });
  let scores = g.op1('MatMul', [qs, kt]);
  if (t.mask) scores = g.op1('Add', [scores, t.mask]);
  const probs = g.op1('Softmax', [scores], { attrs: { axis: -1 } });
  const ctx = g.op1('Transpose', [g.op1('MatMul', [probs, vh])], { attrs: { perm: [0, 2, 1, 3] } });
  const merged = g.op1('Reshape', [ctx, g.constI64('merge_shape', [0, 0, d])]);
  return makeLinear(c, merged, `${prefix}.out_proj.weight`, d, d, `${prefix}.out_proj.bias`);
}

/**
 *   x ─► fc1 (D,4D) ─► GELU(erf) ─► fc2 (4D,D) ─►
 */
export function makeMlp(c: BuildCtx, x: string, dim: number, prefix: string): string {
  const h = makeLinear(c, x, `${prefix}.fc1.weight`, 4 * dim, dim, `${prefix}.fc1.bias`);
  return makeLinear(c, makeGelu(c.g, h), `${prefix}.fc2.weight`, dim, 4 * dim, `${prefix}.fc2.bias`);
}

/**
 *   x ─┬─► LN(norm_1, 1e-6) ─► Attn ─► Add ─┬─► LN(norm_2, 1e-6) ─► MLP ─► Add ─►
 *      └────────────────────────────────────┘└──────────────────────────────┘
 */
export function makeBlock(c: BuildCtx, x: string, t: TrunkSpec, i: number): string {
  const p = `${t.prefix}.blocks.${i}`;
  return c.g.scope(`blocks.${i}`, () => {
    const a = c.g.scope('attn', () => makeAttention(c, makeLayerNorm(c, x, `${p}.norm_1`, t.dim, 1e-6), t, `${p}.attn`));
    const x1 = c.g.op1('Add', [x, a]);
    const m = c.g.scope('mlp', () => makeMlp(c, makeLayerNorm(c, x1, `${p}.norm_2`, t.dim, 1e-6), t.dim, `${p}.mlp`));
    return c.g.op1('Add', [x1, m]);
  });
}

/**
 * Blocks one at a time: preload a block's tensors, emit it, release them (bounds converter memory).
 * With a pool, a block is admitted like one tensor (its bytes) and released once its data is written.
 */
export async function makeTrunk(c: BuildCtx, x: string, t: TrunkSpec): Promise<string> {
  let h = x;
  for (let i = 0; i < t.blocks; i++) {
    const p = `${t.prefix}.blocks.${i}.`;
    const ticket = await c.pool?.reserve(c.w.bytesUnder(p));
    try {
      await c.w.preload(p);
      const input = h;
      h = c.g.scope('trunk', () => makeBlock(c, input, t, i));
    } finally {
      c.w.release(p);
      if (ticket) void c.g.whenWritten().then(() => ticket.release());
    }
  }
  return h;
}
