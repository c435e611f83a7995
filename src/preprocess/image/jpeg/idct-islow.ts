/**
 * libjpeg's "islow" inverse DCT (jidctint.c: Loeffler–Ligtenberg–Moschytz, 13-bit constants,
 * 2 extra bits in pass 1) — the method PIL uses by default, reproduced bit for bit. libjpeg-turbo's
 * SIMD versions are bit-exact with this C algorithm. Products can exceed 32 bits on extreme
 * coefficients (libjpeg uses a 64-bit JLONG), so we stay in doubles and shift with Math.floor.
 */
const CONST_BITS = 13;
const PASS1_BITS = 2;
const F_0_298 = 2446;
const F_0_390 = 3196;
const F_0_541 = 4433;
const F_0_765 = 6270;
const F_0_899 = 7373;
const F_1_175 = 9633;
const F_1_501 = 12299;
const F_1_847 = 15137;
const F_1_961 = 16069;
const F_2_053 = 16819;
const F_2_562 = 20995;
const F_3_072 = 25172;

const descale = (x: number, n: number): number => Math.floor((x + 2 ** (n - 1)) / 2 ** n);

/**
 * One 8×8 block: `coefs[base..base+64)` (natural order) × `quant` (natural order) → 8-bit samples
 * written to `out` at `outOff` with row stride `stride`.
 */
export function idctIslow(coefs: Int16Array, base: number, quant: Uint16Array, ws: Float64Array, out: Uint8Array, outOff: number, stride: number): void {
  // Pass 1: columns → workspace.
  for (let c = 0; c < 8; c++) {
    const q = (i: number): number => coefs[base + i * 8 + c]! * quant[i * 8 + c]!;
    let z2 = q(2);
    let z3 = q(6);
    let z1 = (z2 + z3) * F_0_541;
    let tmp2 = z1 + z3 * -F_1_847;
    let tmp3 = z1 + z2 * F_0_765;
    z2 = q(0);
    z3 = q(4);
    let tmp0 = (z2 + z3) * 2 ** CONST_BITS;
    let tmp1 = (z2 - z3) * 2 ** CONST_BITS;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp0 = q(7);
    tmp1 = q(5);
    tmp2 = q(3);
    tmp3 = q(1);
    const odd = oddPart(tmp0, tmp1, tmp2, tmp3);
    const n = CONST_BITS - PASS1_BITS;
    ws[0 * 8 + c] = descale(tmp10 + odd[3], n);
    ws[7 * 8 + c] = descale(tmp10 - odd[3], n);
    ws[1 * 8 + c] = descale(tmp11 + odd[2], n);
    ws[6 * 8 + c] = descale(tmp11 - odd[2], n);
    ws[2 * 8 + c] = descale(tmp12 + odd[1], n);
    ws[5 * 8 + c] = descale(tmp12 - odd[1], n);
    ws[3 * 8 + c] = descale(tmp13 + odd[0], n);
    ws[4 * 8 + c] = descale(tmp13 - odd[0], n);
  }
  // Pass 2: rows → samples (+128 level shift, clamp).
  const n = CONST_BITS + PASS1_BITS + 3;
  for (let rI = 0; rI < 8; rI++) {
    const w = rI * 8;
    let z2 = ws[w + 2]!;
    let z3 = ws[w + 6]!;
    const z1 = (z2 + z3) * F_0_541;
    const tmp2 = z1 + z3 * -F_1_847;
    const tmp3 = z1 + z2 * F_0_765;
    z2 = ws[w]!;
    z3 = ws[w + 4]!;
    const tmp0 = (z2 + z3) * 2 ** CONST_BITS;
    const tmp1 = (z2 - z3) * 2 ** CONST_BITS;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    const odd = oddPart(ws[w + 7]!, ws[w + 5]!, ws[w + 3]!, ws[w + 1]!);
    const o = outOff + rI * stride;
    out[o] = clampSample(descale(tmp10 + odd[3], n));
    out[o + 7] = clampSample(descale(tmp10 - odd[3], n));
    out[o + 1] = clampSample(descale(tmp11 + odd[2], n));
    out[o + 6] = clampSample(descale(tmp11 - odd[2], n));
    out[o + 2] = clampSample(descale(tmp12 + odd[1], n));
    out[o + 5] = clampSample(descale(tmp12 - odd[1], n));
    out[o + 3] = clampSample(descale(tmp13 + odd[0], n));
    out[o + 4] = clampSample(descale(tmp13 - odd[0], n));
  }
}

const oddBuf = new Float64Array(4);

/** Odd part shared by both passes; returns [tmp0, tmp1, tmp2, tmp3] as in jidctint.c. */
function oddPart(t0: number, t1: number, t2: number, t3: number): Float64Array {
  let z1 = t0 + t3;
  let z2 = t1 + t2;
  let z3 = t0 + t2;
  let z4 = t1 + t3;
  const z5 = (z3 + z4) * F_1_175;
  t0 *= F_0_298;
  t1 *= F_2_053;
  t2 *= F_3_072;
  t3 *= F_1_501;
  z1 *= -F_0_899;
  z2 *= -F_2_562;
  z3 = z3 * -F_1_961 + z5;
  z4 = z4 * -F_0_390 + z5;
  oddBuf[0] = t0 + z1 + z3;
  oddBuf[1] = t1 + z2 + z4;
  oddBuf[2] = t2 + z2 + z3;
  oddBuf[3] = t3 + z1 + z4;
  return oddBuf;
}

/**
 * libjpeg's range_limit[x & RANGE_MASK] after the +CENTERJSAMPLE shift. For in-range data this is a
 * clamp; for wildly out-of-range (corrupt) data libjpeg wraps through its 1024-entry table.
 */
function clampSample(x: number): number {
  const v = (x + 128) & 1023;
  // Table layout: 0..255 identity, 256..639 → 255, 640..1023 → 0 (negative wrap), as in jutils/jdmaster.
  if (v < 256) return v;
  return v < 640 ? 255 : 0;
}
