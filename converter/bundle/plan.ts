/**
 * Which decoder variants a `--quant` choice writes, and for which backends (measured; see the
 * converter README section in the report and shared/spec/web-runtime.md):
 *
 * - q4 (MatMulNBits, fp32 activations, lm_head stored fp16 and widened): smallest download; fast on WebGPU and the
 *   native CPU EP. The wasm EP dequantises MatMulNBits on every call: one 7B-shaped layer (H 4096,
 *   I 11008), 1-token decode with 64 cached positions, took 4.5 s q4 vs 0.9 s fp32 on wasm (1 thread)
 *   but 73 ms q4 vs 188 ms fp32 on the CPU EP (min of 10, busy 2-core machine; /tmp bench in the
 *   converter report). So when the fp32 decoder fits the wasm heap (< 2 GB) an fp32 copy is written for wasm.
 * - fp16 (fp16 weights AND fp16 activations; RMSNorm variance and softmax in fp32 like HF): WebGPU
 *   with `shader-f16` only (SwiftShader and many adapters lack it; the wasm EP has no fp16 kernels).
 *   onnxruntime-node's CPU EP runs it through inserted casts (slow, for tests). Same fp32 copy for wasm.
 * - fp32: runs everywhere; 4 bytes/weight.
 */
import type { Backend } from '../../src/core/ort';
import type { LlmConfig, WeightFormat } from '../../src/core/manifest';

export interface DecoderPlan {
  format: WeightFormat;
  fileName: string;
  backends: Backend[];
  /** lm_head's own weight format (e.g. fp16 storage in an fp32 decoder); default LM_HEAD_FORMAT. */
  lmHeadFormat?: WeightFormat;
  /** Layers per graph (0: the whole decoder in one graph; default: planLayerGroups by size). */
  layersPerGroup?: number;
}

/** The wasm EP's heap is 32-bit (4 GiB); an fp32 decoder must leave room for activations, KV and ORT. */
export const WASM_FP32_LIMIT_BYTES = 2e9;

export function decoderParams(c: LlmConfig): number {
  const H = c.hiddenSize;
  return c.numLayers * (4 * H * H + 3 * H * c.intermediateSize + 2 * H) + H + c.vocabSize * H;
}

export const decoderFile = (f: WeightFormat): string => `decoder-${f}.onnx`;

export function planDecoders(quant: WeightFormat, c: LlmConfig): DecoderPlan[] {
  const fp32Fits = decoderParams(c) * 4 < WASM_FP32_LIMIT_BYTES;
  switch (quant) {
    case 'fp32':
      return [{ format: 'fp32', fileName: decoderFile('fp32'), backends: ['wasm', 'cpu', 'webgpu'] }];
    case 'q4':
      return [{ format: 'q4', fileName: decoderFile('q4'), backends: ['webgpu', 'cpu'] }, ...(fp32Fits ? [{ format: 'fp32' as const, fileName: decoderFile('fp32'), backends: ['wasm'] as Backend[] }] : [])];
    case 'fp16':
      return [{ format: 'fp16', fileName: decoderFile('fp16'), backends: ['webgpu', 'cpu'] }, ...(fp32Fits ? [{ format: 'fp32' as const, fileName: decoderFile('fp32'), backends: ['wasm'] as Backend[] }] : [])];
  }
}

/** Bytes per weight the page holds while it creates a session: q4 = 4-bit codes + one scale per block of 32 (stored fp16, widened to fp32 on load). */
const WEIGHT_BYTES: Record<WeightFormat, number> = { fp32: 4, fp16: 2, q4: 0.5 + 4 / 32 };

/** A decoder whose weights pass this is cut into layer groups (one graph is fine below it). */
export const GROUP_DECODERS_ABOVE_BYTES = 1024 ** 3;
/**
 * Target bytes of one layer group: what the page holds in memory at once while it creates that
 * group's session (7B q4: 5 layers ≈ 0.63 GB, 7 groups; 13B q4: 3 layers ≈ 0.59 GB, 14 groups).
 */
export const GROUP_TARGET_BYTES = 640 * 1024 ** 2;

/**
 * Consecutive layer ranges [first, end) for a decoder's graphs. `layersPerGroup`: 0 = one graph,
 * N = N layers each (the last group may be shorter), undefined = one graph up to
 * GROUP_DECODERS_ABOVE_BYTES, else groups of the most layers that fit GROUP_TARGET_BYTES.
 */
export function planLayerGroups(c: LlmConfig, format: WeightFormat, lmHeadFormat: WeightFormat, layersPerGroup?: number): [number, number][] {
  const L = c.numLayers;
  const H = c.hiddenSize;
  const layerBytes = (4 * H * H + 3 * H * c.intermediateSize) * WEIGHT_BYTES[format];
  const headBytes = c.vocabSize * H * WEIGHT_BYTES[lmHeadFormat];
  let n = layersPerGroup;
  if (n === undefined) n = layerBytes * L + headBytes <= GROUP_DECODERS_ABOVE_BYTES ? 0 : Math.max(1, Math.floor(GROUP_TARGET_BYTES / layerBytes));
  if (!Number.isInteger(n) || n < 0) throw new Error(`layers per group must be a whole number ≥ 0 (got ${n})`);
  if (n === 0 || n >= L) return [[0, L]];
  const out: [number, number][] = [];
  for (let a = 0; a < L; a += n) out.push([a, Math.min(L, a + n)]);
  return out;
}
