/**
 * Per-row symmetric int8 (the q8 token-embedding table): scale = max|row| / 127, q = round(x / scale).
 * The engine dequantises only the rows it looks up.
 */
import { decodeToF32, ITEM_SIZE, storedToF32 } from '../checkpoint/dtypes';
import type { StoredTensor } from '../checkpoint/types';

export interface RowsQ8 {
  values: Int8Array;
  scales: Float32Array;
}

export function quantizeRowsQ8(data: Float32Array, rows: number, cols: number): RowsQ8 {
  const values = new Int8Array(rows * cols);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let j = 0; j < cols; j++) m = Math.max(m, Math.abs(data[r * cols + j]!));
    const s = m > 0 ? m / 127 : 1;
    scales[r] = s;
    const inv = 1 / Math.fround(s);
    for (let j = 0; j < cols; j++) values[r * cols + j] = Math.max(-127, Math.min(127, Math.round(data[r * cols + j]! * inv)));
  }
  return { values, scales };
}

/** Rows decoded at a time: about 16 MB of float32. */
const STREAM_FLOATS = 1 << 22;

/**
 * quantizeRowsQ8(storedToF32(d)) decoding a few rows at a time (rows are independent, so the bytes
 * are the same): the stored table, its int8 copy and ~16 MB, not a float32 copy of the table
 * (0.66 GB for 13B's 32000 × 5120).
 */
export function quantizeStoredRowsQ8(d: StoredTensor | Float32Array, rows: number, cols: number, streamFloats = STREAM_FLOATS): RowsQ8 {
  if (d instanceof Float32Array || d.stride) return quantizeRowsQ8(d instanceof Float32Array ? d : storedToF32(d), rows, cols);
  const out: RowsQ8 = { values: new Int8Array(rows * cols), scales: new Float32Array(rows) };
  const step = Math.max(1, Math.floor(streamFloats / cols));
  const size = ITEM_SIZE[d.dtype];
  for (let r = 0; r < rows; r += step) {
    const r1 = Math.min(rows, r + step);
    const q = quantizeRowsQ8(decodeToF32(d.bytes.subarray(r * cols * size, r1 * cols * size), d.dtype, (r1 - r) * cols), r1 - r, cols);
    out.values.set(q.values, r * cols);
    out.scales.set(q.scales, r);
  }
  return out;
}

/** Bytes `quantizeStoredRowsQ8` holds at its peak for a table stored with `storedItemSize` bytes per value. */
export function storedRowsQ8Bytes(rows: number, cols: number, storedItemSize: number): number {
  return rows * cols * (storedItemSize + 1) + rows * 4 + 2 * 4 * STREAM_FLOATS;
}
