/** Which decoder weight format to load for a backend (pure; the worker applies it). */
import { PandaError } from '../src/core/errors';
import { pickVariant, type DecoderVariant, type WeightFormat } from '../src/core/manifest';
import type { Backend } from '../src/core/ort';

/**
 * fp16 graphs need `shader-f16` on WebGPU: without it ORT refuses them (native EP) or, worse,
 * returns zeros (JSEP fp16 MatMulNBits on SwiftShader). The wasm EP runs fp16 slowly, so it
 * takes fp16 only when nothing else exists.
 */
export function chooseDecoderFormat(variants: DecoderVariant[], backend: Backend, fp16: boolean, prefer?: WeightFormat): WeightFormat {
  const usesF16 = (v: DecoderVariant): boolean => v.format === 'fp16' || v.ioDtype === 'float16';
  const allowed = fp16 ? variants : variants.filter((v) => !usesF16(v));
  if (allowed.length === 0) {
    if (backend === 'webgpu') {
      throw new PandaError('BACKEND_UNAVAILABLE', 'This model only has fp16 weights, and this GPU lacks the shader-f16 feature. Choose the WebAssembly backend in Settings, or use a bundle with fp32 or q4 weights.', { backend });
    }
    return pickVariant(variants, backend, prefer).format;
  }
  return pickVariant(allowed, backend, prefer).format;
}
