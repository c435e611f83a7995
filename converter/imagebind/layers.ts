/**
 * Small subgraph builders shared by every ImageBind encoder: LayerNorm, Linear (fp32 or
 * quantised), exact GELU, and the CLS + positional-embedding token assembly.
 */
import type { Graph } from '../onnx/graph';
import { type ConverterPool, handled } from '../parallel/pool';
import { quantizeQ4, quantizeQ8, Q4_BLOCK, type LinearFormat } from './quantize';
import { transpose2d, type Weights } from './weights';

export interface BuildCtx {
  g: Graph;
  w: Weights;
  /** Format of the big Linear weights (attention, MLP, head); stems and embeddings stay fp32. */
  linear: LinearFormat;
  /** Worker pool for the Linear weights' data (none: computed inline). */
  pool?: ConverterPool;
}

/**
 *   x ─► LayerNormalization(scale=prefix.weight, bias=prefix.bias, eps, axis=-1) ─►
 */
export function makeLayerNorm(c: BuildCtx, x: string, prefix: string, dim: number, eps: number): string {
  const { g } = c;
  const scale = g.initializer(`${prefix}.weight`, 'float32', [dim], c.w.get(`${prefix}.weight`, [dim]));
  const bias = g.initializer(`${prefix}.bias`, 'float32', [dim], c.w.get(`${prefix}.bias`, [dim]));
  return g.op1('LayerNormalization', [x, scale, bias], { attrs: { axis: -1, epsilon: { f: eps } } });
}

/**
 * The initializer data of a torch Linear weight (out, in) in `format`, in makeLinear's order:
 * q4 → [B, scales, zero points], q8 → [int8 Wᵀ, scales], fp32 → [Wᵀ]. Runs on a pool worker too.
 */
export function linearWeightData(w: Float32Array, outDim: number, inDim: number, format: LinearFormat): ArrayBufferView[] {
  if (format === 'q4') {
    const q = quantizeQ4(w, outDim, inDim);
    return [q.b, q.scales, q.zeroPoints];
  }
  if (format === 'q8') {
    const q = quantizeQ8(w, outDim, inDim);
    return [q.q, q.scales];
  }
  return [transpose2d(w, outDim, inDim)];
}

/**
 * torch Linear y = x·Wᵀ + b, W (out,in) from `weightKey`:
 *   fp32:  x ─► MatMul(Wᵀ (in,out)) ─► [Add b] ─►
 *   q8:    int8 Wᵀ ─► DequantizeLinear(per-column scale, axis 1) ─► MatMul ─► [Add b]
 *   q4:    x ─► com.microsoft.MatMulNBits(bits 4, block 32, B, scales, zero points) ─► [Add b]
 * With a pool (c.pool) the weight's data is computed on a worker while the graph moves on.
 */
export function makeLinear(c: BuildCtx, x: string, weightKey: string, outDim: number, inDim: number, biasKey?: string, format: LinearFormat = c.linear): string {
  const { g } = c;
  let d: (ArrayBufferView | Promise<ArrayBufferView>)[];
  if (c.pool) {
    // Taken out of the preload cache: its buffer moves to the worker.
    const job = c.pool.run({ kind: 'imagebind-linear', w: c.w.take(weightKey, [outDim, inDim]), n: outDim, k: inDim, format }, { file: c.w.fileOf(weightKey), tensor: weightKey });
    d = Array.from({ length: format === 'q4' ? 3 : format === 'q8' ? 2 : 1 }, (_, i) => handled(job.then((r) => r[i]!)));
  } else {
    d = linearWeightData(c.w.get(weightKey, [outDim, inDim]), outDim, inDim, format);
  }
  let y: string;
  if (format === 'q4') {
    const nBlocks = Math.ceil(inDim / Q4_BLOCK);
    const b = g.initializer(`${weightKey}.q4`, 'uint8', [outDim, nBlocks, Q4_BLOCK / 2], d[0]!);
    const s = g.initializer(`${weightKey}.q4_scales`, 'float32', [outDim * nBlocks], d[1]!);
    const z = g.initializer(`${weightKey}.q4_zero_points`, 'uint8', [outDim * Math.ceil(nBlocks / 2)], d[2]!);
    y = g.op1('MatMulNBits', [x, b, s, z], { domain: 'com.microsoft', attrs: { K: inDim, N: outDim, bits: 4, block_size: Q4_BLOCK, accuracy_level: 0 } });
  } else if (format === 'q8') {
    const qw = g.initializer(`${weightKey}.q8`, 'int8', [inDim, outDim], d[0]!);
    const s = g.initializer(`${weightKey}.q8_scales`, 'float32', [outDim], d[1]!);
    const wt = g.op1('DequantizeLinear', [qw, s], { attrs: { axis: 1 } });
    y = g.op1('MatMul', [x, wt]);
  } else {
    y = g.op1('MatMul', [x, g.initializer(`${weightKey}.T`, 'float32', [inDim, outDim], d[0]!)]);
  }
  if (biasKey) y = g.op1('Add', [y, g.initializer(biasKey, 'float32', [outDim], c.w.get(biasKey, [outDim]))]);
  return y;
}

/** Exact (erf) GELU, as nn.GELU():  x ─► 0.5·x·(1 + erf(x/√2)) ─►  (ORT fuses it into one Gelu kernel). */
export function makeGelu(g: Graph, x: string): string {
  const e = g.op1('Erf', [g.op1('Div', [x, g.constF32('sqrt2', [Math.SQRT2], [])])]);
  const one = g.op1('Add', [e, g.constF32('one', [1], [])]);
  return g.op1('Mul', [g.op1('Mul', [x, one]), g.constF32('half', [0.5], [])]);
}

/** (N, ...) ─► int64 [N, ...tail]: a runtime shape for Expand/Reshape with a dynamic batch. */
export function batchShape(g: Graph, like: string, tail: number[]): string {
  const n = g.op1('Shape', [like], { attrs: { start: 0, end: 1 } });
  return g.op1('Concat', [n, g.constI64('tail', tail)], { attrs: { axis: 0 } });
}

/**
 * Token assembly of ImageBind's RGBDT/audio/IMU preprocessors:
 *   tokens (N,P,D) ─► Concat[cls (1,1,D) expanded to (N,1,D), tokens] (N,P+1,D) ─► Add pos_embed (1,P+1,D) ─►
 */
export function makeClsAndPos(c: BuildCtx, tokens: string, clsKey: string, posKey: string, numPatches: number, dim: number): string {
  const { g } = c;
  const cls = g.initializer(clsKey, 'float32', [1, 1, dim], c.w.get(clsKey, [1, 1, dim]));
  const clsN = g.op1('Expand', [cls, batchShape(g, tokens, [1, dim])]);
  const x = g.op1('Concat', [clsN, tokens], { attrs: { axis: 1 } });
  const pos = g.initializer(posKey, 'float32', [1, numPatches + 1, dim], c.w.get(posKey, [1, numPatches + 1, dim]));
  return g.op1('Add', [x, pos]);
}
