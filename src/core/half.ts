/**
 * IEEE 754 half ↔ single conversions: fp16 tensors at graph boundaries, raw fp16 bundle parts,
 * fp16 checkpoints and fp16 weights written by the converter. One implementation for all of them
 * (Node 20 has no Float16Array).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

let table: Float32Array | undefined;

/** fp16 bits → fp32 value for all 65536 patterns (exact: subnormals, ±inf, NaN). */
function halfTable(): Float32Array {
  if (table) return table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  table = t;
  return t;
}

export function f16ToF32(h: number): number {
  return halfTable()[h & 0xffff]!;
}

/** fp32 → fp16 bits, round to nearest even (torch's `.half()`, numpy's `astype(float16)`). */
export function f32ToF16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // inf / NaN (payload kept)
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    // Subnormal half: shift the implicit-1 mantissa down, rounding to nearest even.
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (rem > mid || (rem === mid && half & 1) ? half + 1 : half);
  }
  const half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and overflows to inf).
  return sign | (rem > 0x1000 || (rem === 0x1000 && half & 1) ? half + 1 : half);
}

export function f16ArrayToF32(src: Uint16Array, out = new Float32Array(src.length)): Float32Array {
  const t = halfTable();
  for (let i = 0; i < src.length; i++) out[i] = t[src[i]!]!;
  return out;
}

/** Whole-array fp32 → fp16 bits (same rounding as f32ToF16, the normal range inlined). */
export function f32ArrayToF16(src: ArrayLike<number>, out = new Uint16Array(src.length)): Uint16Array {
  if (src instanceof Float32Array) {
    const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
    for (let i = 0; i < src.length; i++) {
      const x = bits[i]!;
      const exp = (x >>> 23) & 0xff;
      if (exp > 112 && exp < 143) {
        const half = ((x >>> 16) & 0x8000) | ((exp - 112) << 10) | ((x >>> 13) & 0x3ff);
        const rem = x & 0x1fff;
        out[i] = rem > 0x1000 || (rem === 0x1000 && half & 1) ? half + 1 : half;
      } else {
        out[i] = f32ToF16(src[i]!);
      }
    }
    return out;
  }
  for (let i = 0; i < src.length; i++) out[i] = f32ToF16(src[i]!);
  return out;
}

/** fp32 values rounded through fp16 (what an fp16 tensor holds). */
export function roundThroughF16(src: Float32Array): Float32Array {
  return f16ArrayToF32(f32ArrayToF16(src));
}

/** The bytes of an fp16 tensor (little-endian) as the bytes of the same values in fp32. */
export function widenF16Bytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength % 2) throw new Error(`fp16 data of ${bytes.byteLength} bytes (odd)`);
  const src = bytes.byteOffset % 2 ? new Uint16Array(bytes.slice().buffer) : new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const out = f16ArrayToF32(src);
  return new Uint8Array(out.buffer);
}
