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
 * is computed on a worker (`linearDataStreamed`, a few rows at a time: the bytes `linearChunkData`
 * gives for the whole matrix) while the graph moves on: the initializers
 * take promises and land in the external data file in the same order, so the bytes are the same.
 */
import { type LoraParts, mergeLora } from '../lora';
import { quantizeQ4, Q4_BLOCK } from '../../quant/q4';
import { toF16 } from '../../quant/fp16';
import type { WeightFormat } from '../../../src/core/manifest';
import { handled, type TaskWhere, type Ticket } from '../../parallel/pool';
import { decodeToF32, ITEM_SIZE, storedToF32 } from '../../checkpoint/dtypes';
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

/** Rows decoded at a time by `linearDataStreamed`: about 16 MB of float32. */
const STREAM_FLOATS = 1 << 22;

/**
 * Rows [r0, r1) of (N, K) `w` as float32, LoRA merged when given: exactly those rows of
 * mergeLora(storedToF32(w)) (decoding and the merge are row by row), without the whole matrix.
 */
function rowsF32(w: StoredTensor | Float32Array, lora: LoraParts | undefined, k: number, r0: number, r1: number): Float32Array {
  let rows: Float32Array;
  if (w instanceof Float32Array) rows = w.subarray(r0 * k, r1 * k);
  else {
    const size = ITEM_SIZE[w.dtype];
    rows = decodeToF32(w.bytes.subarray(r0 * k * size, r1 * k * size), w.dtype, (r1 - r0) * k);
  }
  return lora ? mergeLora(rows, lora.a, lora.b.subarray(r0 * lora.rank, r1 * lora.rank), r1 - r0, k, lora.rank, lora.scaling) : rows;
}

/**
 * `linearChunkData` of every row chunk of (N, K) `w` as stored (LoRA merged when given), decoding a
 * few rows at a time: the same bytes, holding the stored tensor, the outputs and ~16 MB — not a
 * float32 copy of the whole matrix, a merged one and a transposed one (2 GB for 13B's lm_head).
 */
export function linearDataStreamed(w: StoredTensor | Float32Array, lora: LoraParts | undefined, n: number, k: number, chunks: [number, number][], format: WeightFormat, streamFloats = STREAM_FLOATS): ArrayBufferView[][] {
  // A strided checkpoint view (rare: HF files are contiguous) is gathered whole first.
  const src = !(w instanceof Float32Array) && w.stride ? storedToF32(w) : w;
  const step = Math.max(1, Math.floor(streamFloats / k));
  return chunks.map(([n0, n1]) => {
    const cols = n1 - n0;
    if (format === 'q4') {
      const blocks = Math.ceil(k / Q4_BLOCK);
      const packed = new Uint8Array(cols * blocks * (Q4_BLOCK / 2));
      const scales = new Float32Array(cols * blocks);
      for (let r = n0; r < n1; r += step) {
        const r1 = Math.min(n1, r + step);
        const q = quantizeQ4(rowsF32(src, lora, k, r, r1), r1 - r, k);
        packed.set(q.packed, (r - n0) * blocks * (Q4_BLOCK / 2));
        scales.set(q.scales, (r - n0) * blocks);
      }
      return [packed, toF16(scales)];
    }
    // Wᵀ (K, cols): each decoded row becomes a column (fp16 rounding is per element, as toF16(Wᵀ)).
    const out = format === 'fp16' ? new Uint16Array(k * cols) : new Float32Array(k * cols);
    for (let r = n0; r < n1; r += step) {
      const r1 = Math.min(n1, r + step);
      const f = rowsF32(src, lora, k, r, r1);
      const rows = format === 'fp16' ? toF16(f) : f;
      for (let i = r; i < r1; i++) {
        const off = (i - r) * k;
        for (let j = 0; j < k; j++) out[j * cols + (i - n0)] = rows[off + j]!;
      }
    }
    return [out];
  });
}

/**
 * The most bytes one pooled Linear of `numel` weights holds at once (linearDataStreamed): as
 * stored, its output, and the rows in flight. What the pool's admission counts, so tensors in
 * flight fit its budget.
 */
export function pooledLinearBytes(numel: number, storedItemSize: number, format: WeightFormat): number {
  const out = format === 'q4' ? numel / 2 + numel / 8 : numel * (format === 'fp16' ? 2 : 4);
  return numel * storedItemSize + out + 3 * 4 * STREAM_FLOATS;
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
    const d = linearDataStreamed(w.w, w.lora, n, k, chunks, ctx.format);
    data = (c) => d[c]!;
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
