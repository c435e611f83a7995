/**
 * A bias-free Linear y = x · Wᵀ in the variant's weight format.
 *
 *   fp32 / fp16:  x (…, K) ──MatMul── Wᵀ (K, N) ──► y (…, N)
 *   fp16 weight in an fp32 graph: Wᵀ stored fp16 ──Cast(fp32)──► MatMul (used for lm_head)
 *   q4:           x (…, K) ──MatMulNBits(B [N, K/32, 16] uint8, scales [N·K/32]) ──► y (…, N)
 *
 * A weight too big for one GPU buffer is split into row chunks W[n0:n1] (several MatMuls) and the
 * outputs are joined with Concat on the last axis.
 */
import { quantizeQ4, Q4_BLOCK } from '../../quant/q4';
import { toF16 } from '../../quant/fp16';
import type { BuildCtx } from './types';

/** Transposes an (N, K) row-major matrix rows [n0, n1) into (K, n1 − n0). */
function transposeRows(w: Float32Array, k: number, n0: number, n1: number): Float32Array {
  const cols = n1 - n0;
  const out = new Float32Array(k * cols);
  for (let n = n0; n < n1; n++) {
    const src = n * k;
    for (let j = 0; j < k; j++) out[j * cols + (n - n0)] = w[src + j]!;
  }
  return out;
}

function bytesPerRow(format: BuildCtx['format'], k: number): number {
  if (format === 'q4') return Math.ceil(k / Q4_BLOCK) * (Q4_BLOCK / 2);
  return k * (format === 'fp16' ? 2 : 4);
}

/** `w` is (N, K) in HF (out, in) layout; `name` is the initializer base name. */
export function makeLinear(ctx: BuildCtx, x: string, w: Float32Array, n: number, k: number, name: string): string {
  const { g } = ctx;
  const rowsPerChunk = Math.max(1, Math.floor(ctx.maxInitializerBytes / bytesPerRow(ctx.format, k)));
  const chunks: [number, number][] = [];
  for (let n0 = 0; n0 < n; n0 += rowsPerChunk) chunks.push([n0, Math.min(n, n0 + rowsPerChunk)]);
  const outs = chunks.map(([n0, n1], c) => {
    const suffix = chunks.length > 1 ? `.${c}` : '';
    const rows = n1 - n0;
    if (ctx.format === 'q4') {
      const q = quantizeQ4(w.subarray(n0 * k, n1 * k), rows, k);
      const b = g.initializer(`${name}.q4${suffix}`, 'uint8', [rows, q.blocks, Q4_BLOCK / 2], q.packed);
      const scalesData = ctx.act === 'float16' ? toF16(q.scales) : q.scales;
      const s = g.initializer(`${name}.scales${suffix}`, ctx.act, [rows * q.blocks], scalesData);
      return g.op1('MatMulNBits', [x, b, s], {
        domain: 'com.microsoft',
        name: `MatMulNBits${suffix}`,
        attrs: { K: k, N: rows, bits: 4, block_size: Q4_BLOCK },
      });
    }
    const t = transposeRows(w, k, n0, n1);
    if (ctx.format !== 'fp16') return g.op1('MatMul', [x, g.initializer(`${name}${suffix}`, 'float32', [k, rows], t)], { name: `MatMul${suffix}` });
    const init = g.initializer(`${name}${suffix}`, 'float16', [k, rows], toF16(t));
    // fp16 storage in an fp32 graph (half the bytes; exact when the checkpoint is fp16): widen once.
    const w16 = ctx.act === 'float32' ? g.op1('Cast', [init], { attrs: { to: 1 }, name: `Cast${suffix}` }) : init;
    return g.op1('MatMul', [x, w16], { name: `MatMul${suffix}` });
  });
  return outs.length === 1 ? outs[0]! : g.op1('Concat', outs, { attrs: { axis: -1 } });
}
