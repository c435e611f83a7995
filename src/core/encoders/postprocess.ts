/**
 * ImageBind postprocessing on raw head rows (N, dim), as the manifest's `postprocess` says:
 * L2-normalise each row (F.normalize: x / max(‖x‖, 1e-12)), multiply by `scale`, then average the
 * rows when `clipMean` (video: 15 clip/crops, audio: 3 clips; the mean is not re-normalised).
 */
import type { EncoderPart } from '../manifest';

/** raw (rows·dim) ─► per-row postprocessed (rows·dim), before any clip mean. */
export function postprocessRows(raw: Float32Array, rows: number, dim: number, pp: EncoderPart['postprocess']): Float32Array {
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const row = raw.subarray(r * dim, (r + 1) * dim);
    let norm = 1;
    if (pp.normalize) {
      let ss = 0;
      for (let i = 0; i < dim; i++) ss += row[i]! * row[i]!;
      norm = Math.max(Math.sqrt(ss), 1e-12);
    }
    // Divide, then scale, each rounded to float32: the order torch uses (normalize, then logit scale).
    for (let i = 0; i < dim; i++) out[r * dim + i] = Math.fround(row[i]! / norm) * pp.scale;
  }
  return out;
}

/** Mean over rows: (rows·dim) ─► (dim). */
export function meanRows(x: Float32Array, rows: number, dim: number): Float32Array {
  const acc = new Float64Array(dim);
  for (let r = 0; r < rows; r++) for (let i = 0; i < dim; i++) acc[i]! += x[r * dim + i]!;
  return Float32Array.from(acc, (v) => v / rows);
}

/** The vector PandaGPT feeds into llama_proj for one item (all rows = its clips). */
export function postprocess(raw: Float32Array, rows: number, dim: number, pp: EncoderPart['postprocess']): Float32Array {
  const perRow = postprocessRows(raw, rows, dim, pp);
  if (pp.clipMean) return meanRows(perRow, rows, dim);
  if (rows !== 1) throw new Error(`internal: ${rows} rows for an encoder without clip mean`);
  return perRow;
}
