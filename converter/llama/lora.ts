/**
 * LoRA merge (peft 0.3.0, fan_in_fan_out=False): W' = W + (alpha/r) · B @ A, in float32.
 *   W (out, in), A (r, in), B (out, r)
 */
export interface LoraInfo {
  rank: number;
  alpha: number;
  scaling: number;
}

/** One projection's LoRA factors and scale: A (r, in), B (out, r). */
export interface LoraParts {
  a: Float32Array;
  b: Float32Array;
  rank: number;
  scaling: number;
}

/** PandaGPT's LoraConfig uses lora_alpha = 32 (spec §5.3); the rank is read from the tensors. */
export const DEFAULT_LORA_ALPHA = 32;

export function loraInfo(rank: number, alpha = DEFAULT_LORA_ALPHA): LoraInfo {
  return { rank, alpha, scaling: alpha / rank };
}

/** Returns a new (out, in) matrix; `w` is not modified. Accumulates each dot product in double. */
export function mergeLora(w: Float32Array, a: Float32Array, b: Float32Array, out: number, inDim: number, rank: number, scaling: number): Float32Array {
  const merged = new Float32Array(w.length);
  const row = new Float64Array(inDim);
  for (let o = 0; o < out; o++) {
    row.fill(0);
    for (let r = 0; r < rank; r++) {
      const s = b[o * rank + r]!;
      if (s === 0) continue;
      const aOff = r * inDim;
      for (let i = 0; i < inDim; i++) row[i]! += s * a[aOff + i]!;
    }
    const off = o * inDim;
    for (let i = 0; i < inDim; i++) merged[off + i] = w[off + i]! + Math.fround(scaling * Math.fround(row[i]!));
  }
  return merged;
}
