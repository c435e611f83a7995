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
