/**
 * Exact dyadic-rational helpers: Python's `Fraction(float)` arithmetic used by pytorchvideo's clip
 * samplers, done with BigInt so slice indices and frame times round exactly as the reference.
 */

/** A value num · 2^exp exactly. */
export interface Dyadic {
  num: bigint;
  exp: number;
}

/** Exact decomposition of a finite double. */
export function fromDouble(x: number): Dyadic {
  if (!Number.isFinite(x)) throw new RangeError(`not finite: ${x}`);
  if (x === 0) return { num: 0n, exp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const sign = hi >>> 31 ? -1n : 1n;
  const e = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (e === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = e - 1075;
  }
  return { num: sign * mant, exp };
}

/** a · p / q for small integers p ≥ 0, q a power of two (exact). */
export function scale(a: Dyadic, p: number, q: number): Dyadic {
  const shift = Math.log2(q);
  if (!Number.isInteger(shift)) throw new RangeError('q must be a power of two');
  return { num: a.num * BigInt(p), exp: a.exp - shift };
}

/** a + integer n (exact). */
export function addInt(a: Dyadic, n: number): Dyadic {
  if (a.exp >= 0) return { num: (a.num << BigInt(a.exp)) + BigInt(n), exp: 0 };
  return { num: a.num + (BigInt(n) << BigInt(-a.exp)), exp: a.exp };
}

/** floor(a · m) for an integer m ≥ 0, as Python's int() on a non-negative Fraction. */
export function floorTimes(a: Dyadic, m: number): number {
  const n = a.num * BigInt(m);
  if (a.exp >= 0) return Number(n << BigInt(a.exp));
  const d = 1n << BigInt(-a.exp);
  const q = n / d;
  return Number(n < 0n && q * d !== n ? q - 1n : q);
}

/** float(Fraction): the nearest double (one rounding, ties to even). */
export function toDouble(a: Dyadic): number {
  if (a.num === 0n) return 0;
  const neg = a.num < 0n;
  let n = neg ? -a.num : a.num;
  let exp = a.exp;
  // Round n to 53 significant bits ourselves so the final scaling is exact.
  const bits = n.toString(2).length;
  if (bits > 53) {
    const drop = BigInt(bits - 53);
    const half = 1n << (drop - 1n);
    const rem = n & ((1n << drop) - 1n);
    n >>= drop;
    if (rem > half || (rem === half && (n & 1n) === 1n)) n += 1n;
    exp += Number(drop);
  }
  const v = Number(n) * 2 ** exp;
  return neg ? -v : v;
}
