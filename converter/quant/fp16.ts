/**
 * fp16 for the converter's weights and raw tensor files: the names the graph builders use, over
 * the one implementation in src/core/half.ts.
 */
import { f16ToF32, f32ArrayToF16, f32ToF16 } from '../../src/core/half';

export { roundThroughF16 } from '../../src/core/half';
export const f32ToF16Bits = f32ToF16;
export const f16BitsToF32 = f16ToF32;

/** Converts a whole array; the result is the little-endian bytes of an fp16 tensor. */
export function toF16(src: Float32Array): Uint16Array {
  return f32ArrayToF16(src);
}
