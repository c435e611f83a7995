/**
 * Chroma upsampling and colour conversion exactly as libjpeg-turbo with PIL's defaults
 * (do_fancy_upsampling = TRUE, so jdsample.c's triangle filters and never the merged upsampler;
 * jdcolor.c's 16-bit fixed-point YCbCr→RGB tables).
 */

/** A decoded component plane: `width × height` valid samples in rows of `stride`. */
export interface Plane {
  data: Uint8Array;
  width: number;
  height: number;
  stride: number;
}

/** Upsample a component by (hf, vf) to an `outW × outH` plane (cropping the padded tail). */
export function upsample(p: Plane, hf: number, vf: number, outW: number, outH: number): Uint8Array {
  const out = new Uint8Array(outW * outH);
  if (hf === 1 && vf === 1) {
    for (let y = 0; y < outH; y++) out.set(p.data.subarray(y * p.stride, y * p.stride + outW), y * outW);
    return out;
  }
  // libjpeg only uses the fancy filters when the downsampled width is > 2.
  if (hf === 2 && vf === 2 && p.width > 2) return h2v2Fancy(p, out, outW, outH);
  if (hf === 2 && vf === 1 && p.width > 2) return h2v1Fancy(p, out, outW, outH);
  if (hf === 1 && vf === 2) return h1v2Fancy(p, out, outW, outH);
  // Box replication (jdsample.c int_upsample / h2v2_upsample).
  for (let y = 0; y < outH; y++) {
    const row = Math.min(Math.floor(y / vf), p.height - 1) * p.stride;
    for (let x = 0; x < outW; x++) out[y * outW + x] = p.data[row + Math.min(Math.floor(x / hf), p.width - 1)]!;
  }
  return out;
}

/** jdsample.c h2v1_fancy_upsample: horizontal triangle filter, 3/4·nearer + 1/4·further. */
function h2v1Fancy(p: Plane, out: Uint8Array, outW: number, outH: number): Uint8Array {
  const row = new Uint8Array(p.width * 2);
  for (let y = 0; y < outH; y++) {
    const s = p.data;
    const b = y * p.stride;
    const w = p.width;
    row[0] = s[b]!;
    row[1] = (s[b]! * 3 + s[b + 1]! + 2) >> 2;
    for (let x = 1; x < w - 1; x++) {
      const v = s[b + x]! * 3;
      row[2 * x] = (v + s[b + x - 1]! + 1) >> 2;
      row[2 * x + 1] = (v + s[b + x + 1]! + 2) >> 2;
    }
    row[2 * w - 2] = (s[b + w - 1]! * 3 + s[b + w - 2]! + 1) >> 2;
    row[2 * w - 1] = s[b + w - 1]!;
    out.set(row.subarray(0, outW), y * outW);
  }
  return out;
}

/** jdsample.c h1v2_fancy_upsample: vertical 3:1 mix with the nearer row, biases +1 (upper) / +2 (lower). */
function h1v2Fancy(p: Plane, out: Uint8Array, outW: number, outH: number): Uint8Array {
  const s = p.data;
  for (let y = 0; y < outH; y++) {
    const inRow = y >> 1;
    const upper = (y & 1) === 0;
    const nb = upper ? Math.max(inRow - 1, 0) : Math.min(inRow + 1, p.height - 1);
    const bias = upper ? 1 : 2;
    const b0 = inRow * p.stride;
    const b1 = nb * p.stride;
    for (let x = 0; x < outW; x++) out[y * outW + x] = (s[b0 + x]! * 3 + s[b1 + x]! + bias) >> 2;
  }
  return out;
}

/**
 * jdsample.c h2v2_fancy_upsample: vertical 3:1 mix with the nearer neighbour row (the first and last
 * rows are their own neighbours, as jdmainct.c replicates edge rows), then horizontal 3:1 with the
 * ordered-dither-like biases +8 / +7.
 */
function h2v2Fancy(p: Plane, out: Uint8Array, outW: number, outH: number): Uint8Array {
  const w = p.width;
  const row = new Uint8Array(w * 2);
  const s = p.data;
  for (let y = 0; y < outH; y++) {
    const inRow = y >> 1;
    const nb = (y & 1) === 0 ? Math.max(inRow - 1, 0) : Math.min(inRow + 1, p.height - 1);
    const b0 = inRow * p.stride;
    const b1 = nb * p.stride;
    let thiscolsum = s[b0]! * 3 + s[b1]!;
    let nextcolsum = s[b0 + 1]! * 3 + s[b1 + 1]!;
    row[0] = (thiscolsum * 4 + 8) >> 4;
    row[1] = (thiscolsum * 3 + nextcolsum + 7) >> 4;
    let lastcolsum = thiscolsum;
    thiscolsum = nextcolsum;
    for (let x = 2; x < w; x++) {
      nextcolsum = s[b0 + x]! * 3 + s[b1 + x]!;
      row[2 * x - 2] = (thiscolsum * 3 + lastcolsum + 8) >> 4;
      row[2 * x - 1] = (thiscolsum * 3 + nextcolsum + 7) >> 4;
      lastcolsum = thiscolsum;
      thiscolsum = nextcolsum;
    }
    row[2 * w - 2] = (thiscolsum * 3 + lastcolsum + 8) >> 4;
    row[2 * w - 1] = (thiscolsum * 4 + 7) >> 4;
    out.set(row.subarray(0, outW), y * outW);
  }
  return out;
}

const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
const fix = (x: number): number => Math.trunc(x * (1 << SCALEBITS) + 0.5);
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = (fix(1.402) * x + ONE_HALF) >> SCALEBITS;
  CB_B[i] = (fix(1.772) * x + ONE_HALF) >> SCALEBITS;
  CR_G[i] = -fix(0.71414) * x;
  CB_G[i] = -fix(0.34414) * x + ONE_HALF;
}
const clamp8 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/** jdcolor.c ycc_rgb_convert → interleaved RGB. */
export function yccToRgb(y: Uint8Array, cb: Uint8Array, cr: Uint8Array, rgb: Uint8Array): void {
  for (let i = 0; i < y.length; i++) {
    const Y = y[i]!;
    const b = cb[i]!;
    const r = cr[i]!;
    rgb[3 * i] = clamp8(Y + CR_R[r]!);
    rgb[3 * i + 1] = clamp8(Y + ((CB_G[b]! + CR_G[r]!) >> SCALEBITS));
    rgb[3 * i + 2] = clamp8(Y + CB_B[b]!);
  }
}
