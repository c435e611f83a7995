/**
 * PIL's antialiased resampling (libImaging/Resample.c) for 8-bit planes: separable, horizontal
 * pass first, coefficients normalised then quantised to 22-bit fixed point, each pass rounded and
 * clipped to uint8. Reproduced exactly so that our 224×224 tensors equal torchvision's on PIL.
 */

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;

export type PilFilter = 'bicubic' | 'bilinear';

const FILTERS: Record<PilFilter, { support: number; fn: (x: number) => number }> = {
  bicubic: {
    support: 2,
    fn: (x) => {
      const a = -0.5;
      if (x < 0) x = -x;
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  bilinear: {
    support: 1,
    fn: (x) => {
      if (x < 0) x = -x;
      return x < 1 ? 1 - x : 0;
    },
  },
};

export interface Coeffs {
  ksize: number;
  /** Per output pixel: first input index and tap count. */
  bounds: Int32Array;
  /** (outSize, ksize) normalised float weights. */
  weights: Float64Array;
}

/** Resample.c precompute_coeffs for the box [0, inSize). */
export function precomputeCoeffs(inSize: number, outSize: number, filter: PilFilter): Coeffs {
  const f = FILTERS[filter];
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = f.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Float64Array(outSize * ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    const k = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      const w = f.fn((x + xmin - center + 0.5) * ss);
      weights[k + x] = w;
      ww += w;
    }
    if (ww !== 0) for (let x = 0; x < xmax; x++) weights[k + x] = weights[k + x]! / ww;
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

/** normalize_coeffs_8bpc: round half away from zero into 22-bit fixed point. */
function fixedCoeffs(c: Coeffs): Int32Array {
  const out = new Int32Array(c.weights.length);
  for (let i = 0; i < c.weights.length; i++) {
    const w = c.weights[i]!;
    out[i] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
  }
  return out;
}

const clip8 = (ss: number): number => {
  const v = Math.floor(ss / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
};

/**
 * Resize interleaved 8-bit samples `(h, w, channels)` to `(outH, outW, channels)` like
 * `PIL.Image.resize((outW, outH), filter)`.
 */
export function pilResize8(src: Uint8Array, w: number, h: number, channels: number, outW: number, outH: number, filter: PilFilter): Uint8Array {
  const needH = outW !== w;
  const needV = outH !== h;
  const ch = precomputeCoeffs(w, outW, filter);
  const cv = precomputeCoeffs(h, outH, filter);
  let cur = src;
  let curH = h;
  let vBounds = cv.bounds;
  if (needH) {
    // Only the rows the vertical pass will read are resampled horizontally.
    const yFirst = needV ? cv.bounds[0]! : 0;
    const yLast = needV ? cv.bounds[outH * 2 - 2]! + cv.bounds[outH * 2 - 1]! : h;
    vBounds = cv.bounds.slice();
    for (let i = 0; i < outH; i++) vBounds[2 * i] = vBounds[2 * i]! - yFirst;
    const rows = yLast - yFirst;
    const kk = fixedCoeffs(ch);
    const tmp = new Uint8Array(rows * outW * channels);
    for (let y = 0; y < rows; y++) {
      const rowIn = (y + yFirst) * w * channels;
      const rowOut = y * outW * channels;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = ch.bounds[2 * xx]!;
        const xmax = ch.bounds[2 * xx + 1]!;
        const k = xx * ch.ksize;
        for (let c = 0; c < channels; c++) {
          let ss = ONE / 2;
          for (let x = 0; x < xmax; x++) ss += src[rowIn + (x + xmin) * channels + c]! * kk[k + x]!;
          tmp[rowOut + xx * channels + c] = clip8(ss);
        }
      }
    }
    cur = tmp;
    curH = rows;
  }
  if (!needV) return cur === src ? src.slice() : cur;
  void curH;
  const kk = fixedCoeffs(cv);
  const out = new Uint8Array(outH * outW * channels);
  const stride = outW * channels;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = vBounds[2 * yy]!;
    const ymax = vBounds[2 * yy + 1]!;
    const k = yy * cv.ksize;
    for (let i = 0; i < stride; i++) {
      let ss = ONE / 2;
      for (let y = 0; y < ymax; y++) ss += cur[(y + ymin) * stride + i]! * kk[k + y]!;
      out[yy * stride + i] = clip8(ss);
    }
  }
  return out;
}

/**
 * PIL's resize for single-channel float images (mode "F"): the same coefficients, accumulated in
 * double and stored as float32, no fixed point and no clipping.
 */
export function pilResizeFloat(src: Float32Array, w: number, h: number, outW: number, outH: number, filter: PilFilter): Float32Array {
  const ch = precomputeCoeffs(w, outW, filter);
  const cv = precomputeCoeffs(h, outH, filter);
  const tmp = new Float32Array(h * outW);
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < outW; xx++) {
      const xmin = ch.bounds[2 * xx]!;
      const n = ch.bounds[2 * xx + 1]!;
      let ss = 0;
      for (let x = 0; x < n; x++) ss += src[y * w + x + xmin]! * ch.weights[xx * ch.ksize + x]!;
      tmp[y * outW + xx] = ss;
    }
  }
  const out = new Float32Array(outH * outW);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = cv.bounds[2 * yy]!;
    const n = cv.bounds[2 * yy + 1]!;
    for (let x = 0; x < outW; x++) {
      let ss = 0;
      for (let y = 0; y < n; y++) ss += tmp[(y + ymin) * outW + x]! * cv.weights[yy * cv.ksize + y]!;
      out[yy * outW + x] = ss;
    }
  }
  return out;
}
