/**
 * A bias-free Linear y = x · Wᵀ in the variant's weight format.
 *
 *   fp32 / fp16:  x (…, K) ──MatMul── Wᵀ (K, N) ──► y (…, N)
 *   fp16 weight in an fp32 graph: Wᵀ stored fp16, read as fp32 ──► MatMul (used for lm_head)
 *   q4:           x (…, K) ──MatMulNBits(B [N, K/32, 16] uint8, scales [N·K/32]) ──► y (…, N)
 *                 scales are stored fp16: 2 bytes per 32 weights instead of 4.
 *   In an fp32 graph the fp16-stored tensors are float32 initializers in a widened file (the loader
 *   widens the fp16 file, Graph.initializerF16AsF32): onnxruntime uploads them straight to the GPU.
 *   A Cast in the graph instead is folded when the session is created, in onnxruntime's wasm heap,
 *   which never shrinks (7B: 0.4 GB of scales and a 0.26 → 0.52 GB lm_head held by the page).
 *
 * A weight too big for one GPU buffer is split into row chunks W[n0:n1] (several MatMuls) and the
 * outputs are joined with Concat on the last axis.
 *
 * With a worker pool (ctx.pool) the weight's data — LoRA merge, quantisation, transpose, fp16 —
 * is computed on a worker by the same `linearChunkData` while the graph moves on: the initializers
 * take promises and land in the external data file in the same order, so the bytes are the same.
 */
import { type LoraParts, mergeLora } from '../lora';
import { quantizeQ4, Q4_BLOCK } from '../../quant/q4';
import { toF16 } from '../../quant/fp16';
import type { WeightFormat } from '../../../src/core/manifest';
import { handled, type TaskWhere, type Ticket } from '../../parallel/pool';
import { storedToF32 } from '../../checkpoint/dtypes';
import type { StoredTensor } from '../../checkpoint/types';
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

function bytesPerRow(format: WeightFormat, k: number): number {
  if (format === 'q4') return Math.ceil(k / Q4_BLOCK) * (Q4_BLOCK / 2);
  return k * (format === 'fp16' ? 2 : 4);
}

/** Row ranges [n0, n1) so that no chunk's weight initializer passes `maxInitializerBytes`. */
export function linearRowChunks(format: WeightFormat, n: number, k: number, maxInitializerBytes: number): [number, number][] {
  const rowsPerChunk = Math.max(1, Math.floor(maxInitializerBytes / bytesPerRow(format, k)));
  const chunks: [number, number][] = [];
  for (let n0 = 0; n0 < n; n0 += rowsPerChunk) chunks.push([n0, Math.min(n, n0 + rowsPerChunk)]);
  return chunks;
}

/** The initializer data of rows [n0, n1) of (N, K) `w`: q4 → [B, fp16 scales], fp32 → [Wᵀ], fp16 → [Wᵀ as fp16]. */
export function linearChunkData(w: Float32Array, k: number, n0: number, n1: number, format: WeightFormat): ArrayBufferView[] {
  if (format === 'q4') {
    const q = quantizeQ4(w.subarray(n0 * k, n1 * k), n1 - n0, k);
    return [q.packed, toF16(q.scales)];
  }
  const t = transposeRows(w, k, n0, n1);
  return [format === 'fp16' ? toF16(t) : t];
}

/** A weight for a pooled build: read on the main thread; decoded, merged (LoRA) and quantised on a worker. */
export interface PooledWeight {
  /** As stored in the checkpoint (decoded on the worker) or float32. */
  w: StoredTensor | Float32Array;
  /** q/k/v/o: merged as W + scaling·B·A on the worker (exactly mergeLora). */
  lora?: LoraParts;
  where: TaskWhere;
  /** The pool admission of this tensor, released once its data is written. */
  ticket?: Ticket;
}

/**
 * The most bytes one pooled Linear of `numel` weights holds at once: as stored, as float32, LoRA
 * merged, and its output. What the pool's admission counts, so tensors in flight fit its budget.
 */
export function pooledLinearBytes(numel: number, storedItemSize: number, format: WeightFormat, lora: boolean): number {
  const out = format === 'q4' ? numel / 2 + numel / 8 : numel * (format === 'fp16' ? 2 : 4);
  return numel * (storedItemSize + 4 + (lora ? 4 : 0)) + out;
}

/** `w` is (N, K) in HF (out, in) layout; `name` is the initializer base name. */
export function makeLinear(ctx: BuildCtx, x: string, w: Float32Array | PooledWeight, n: number, k: number, name: string): string {
  const { g } = ctx;
  const chunks = linearRowChunks(ctx.format, n, k, ctx.maxInitializerBytes);
  let data: (c: number) => (ArrayBufferView | Promise<ArrayBufferView>)[];
  if (w instanceof Float32Array) {
    data = (c) => linearChunkData(w, k, chunks[c]![0], chunks[c]![1], ctx.format);
  } else if (ctx.pool) {
    const job = ctx.pool.run({ kind: 'llama-linear', w: w.w, lora: w.lora, n, k, format: ctx.format, chunks }, w.where);
    const parts = ctx.format === 'q4' ? 2 : 1;
    data = (c) => Array.from({ length: parts }, (_, i) => handled(job.then((r) => r[c]![i]!)));
  } else {
    const f = w.w instanceof Float32Array ? w.w : storedToF32(w.w);
    const merged = w.lora ? mergeLora(f, w.lora.a, w.lora.b, n, k, w.lora.rank, w.lora.scaling) : f;
    data = (c) => linearChunkData(merged, k, chunks[c]![0], chunks[c]![1], ctx.format);
  }
  const outs = chunks.map(([n0, n1], c) => {
    const suffix = chunks.length > 1 ? `.${c}` : '';
    const rows = n1 - n0;
    const d = data(c);
    if (ctx.format === 'q4') {
      const blocks = Math.ceil(k / Q4_BLOCK);
      const b = g.initializer(`${name}.q4${suffix}`, 'uint8', [rows, blocks, Q4_BLOCK / 2], d[0]!);
      const s = ctx.act === 'float32' ? g.initializerF16AsF32(`${name}.scales${suffix}`, [rows * blocks], d[1]!) : g.initializer(`${name}.scales${suffix}`, 'float16', [rows * blocks], d[1]!);
      return g.op1('MatMulNBits', [x, b, s], {
        domain: 'com.microsoft',
        name: `MatMulNBits${suffix}`,
        attrs: { K: k, N: rows, bits: 4, block_size: Q4_BLOCK },
      });
    }
    if (ctx.format !== 'fp16') return g.op1('MatMul', [x, g.initializer(`${name}${suffix}`, 'float32', [k, rows], d[0]!)], { name: `MatMul${suffix}` });
    // fp16 storage in an fp32 graph (half the bytes; exact when the checkpoint is fp16): widened by the loader.
    const wt = ctx.act === 'float32' ? g.initializerF16AsF32(`${name}${suffix}`, [k, rows], d[0]!) : g.initializer(`${name}${suffix}`, 'float16', [k, rows], d[0]!);
    return g.op1('MatMul', [x, wt], { name: `MatMul${suffix}` });
  });
  if (!(w instanceof Float32Array) && w.ticket) {
    const ticket = w.ticket;
    void g.whenWritten().then(() => ticket.release());
  }
  return outs.length === 1 ? outs[0]! : g.op1('Concat', outs, { attrs: { axis: -1 } });
}
