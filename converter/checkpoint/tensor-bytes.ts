import { PandaError } from '../../src/core/errors';
import { floatsToHalfBits, floatToBf16Bits } from './dtypes';

/** Storage dtypes the writers produce. */
export type WriterDType = 'float16' | 'bfloat16' | 'float32';

/**
 * Little-endian storage bytes for `count` elements. A Float32Array is converted (rounding to
 * nearest even); a Uint16Array is taken as raw fp16/bf16 bits (no conversion, no rounding).
 */
export function storageBytes(name: string, dtype: WriterDType, data: Float32Array | Uint16Array, count: number): Uint8Array {
  if (data.length !== count) {
    throw new PandaError('CONVERT_FAILED', `Tensor ${name}: got ${data.length} values for a storage of ${count} elements.`, { tensor: name });
  }
  if (dtype === 'float32') {
    if (!(data instanceof Float32Array)) throw new PandaError('CONVERT_FAILED', `Tensor ${name}: float32 storage needs a Float32Array.`, { tensor: name });
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  if (data instanceof Uint16Array) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let bits: Uint16Array;
  if (dtype === 'float16') bits = floatsToHalfBits(data);
  else {
    bits = new Uint16Array(count);
    for (let i = 0; i < count; i++) bits[i] = floatToBf16Bits(data[i]!);
  }
  return new Uint8Array(bits.buffer);
}
