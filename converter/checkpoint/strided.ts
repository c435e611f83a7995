/** Product of a shape (1 for a scalar). */
export function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Highest element index (relative to the view's offset) a strided view touches; -1 when empty. */
export function viewExtent(shape: readonly number[], stride: readonly number[]): number {
  if (shape.some((d) => d === 0)) return -1;
  return shape.reduce((acc, d, i) => acc + (d - 1) * stride[i]!, 0);
}

/** True when the strides are row-major contiguous (size-1 dims may have any stride). */
export function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

/** Copies a strided view of `src` (element 0 = the view's offset) into a row-major array. */
export function gatherStrided(src: Float32Array, shape: readonly number[], stride: readonly number[]): Float32Array {
  const n = numelOf(shape);
  const out = new Float32Array(n);
  if (n === 0) return out;
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let at = 0;
  for (let o = 0; o < n; o++) {
    out[o] = src[at]!;
    // Odometer increment over the dims, last dim fastest.
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      at += stride[d]!;
      if (idx[d]! < shape[d]!) break;
      at -= idx[d]! * stride[d]!;
      idx[d] = 0;
    }
  }
  return out;
}
