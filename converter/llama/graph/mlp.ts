/**
 * SwiGLU MLP:  x (1,S,H) ─┬─ gate_proj (1,S,I) ─ SiLU = g·sigmoid(g) ─┐
 *                          └─ up_proj   (1,S,I) ──────────────────── Mul ─ down_proj ─► (1,S,H)
 */
import type { MlpProj } from '../keys';
import { makeLinear, type PooledWeight } from './linear';
import { type BuildCtx, scoped } from './types';

/** `load` reads gate/up (I, H) or down (H, I), one at a time (pooled: admitted by the pool). */
export async function makeMlp(ctx: BuildCtx, path: string[], x: string, load: (p: MlpProj) => Promise<Float32Array | PooledWeight>, layer: number): Promise<string> {
  const { g, config } = ctx;
  const H = config.hiddenSize;
  const I = config.intermediateSize;
  const linear = async (p: MlpProj, input: string, n: number, k: number): Promise<string> => {
    const w = await load(p);
    return scoped(g, [...path, `${p}_proj`], () => makeLinear(ctx, input, w, n, k, `model.layers.${layer}.mlp.${p}_proj.weight`));
  };
  const gate = await linear('gate', x, I, H);
  const up = await linear('up', x, I, H);
  const h = scoped(g, path, () => g.op1('Mul', [g.op1('Mul', [gate, g.op1('Sigmoid', [gate])], { name: 'silu' }), up]));
  return linear('down', h, H, I);
}
