/**
 * ImageBind video transform on the planned RGB24 frames: /255 → ShortSideScale(224) (torch bilinear,
 * align_corners=False, no antialias) → NormalizeVideo (CLIP) → SpatialCrop(224, 3 crops).
 * Output (15, 3, 2, 224, 224): clip-major, then crop; each crop (C, T, H, W). Float32 emulated.
 */
import { PandaError } from '../../core/errors';
import { CLIP_MEAN, CLIP_STD } from '../image/vision';
import type { VideoPlan } from './frame-plan';

const f = Math.fround;
export const VIDEO_SIZE = 224;
export const CROPS = 3;

/** pytorchvideo short_side_scale: (new_w, new_h). */
export function shortSideScaleSize(w: number, h: number, size = VIDEO_SIZE): { w: number; h: number } {
  if (w < h) return { w: size, h: Math.floor((h / w) * size) };
  return { w: Math.floor((w / h) * size), h: size };
}

/** ImageBind uniform_crop offsets for crop 0/1/2 along the longer side (square: along x). */
export function cropOffsets(w: number, h: number, size = VIDEO_SIZE): { x: number; y: number }[] {
  const cy = Math.ceil((h - size) / 2);
  const cx = Math.ceil((w - size) / 2);
  return [0, 1, 2].map((i) => {
    if (h > w) return { x: cx, y: i === 0 ? 0 : i === 2 ? h - size : cy };
    return { x: i === 0 ? 0 : i === 2 ? w - size : cx, y: cy };
  });
}

interface Axis {
  i0: Int32Array;
  i1: Int32Array;
  l0: Float32Array;
  l1: Float32Array;
}

/** upsample_bilinear2d source indices/weights (align_corners=False), in float32 like ATen. */
function axis(inSize: number, outSize: number): Axis {
  const scale = f(inSize / outSize);
  const a: Axis = { i0: new Int32Array(outSize), i1: new Int32Array(outSize), l0: new Float32Array(outSize), l1: new Float32Array(outSize) };
  for (let d = 0; d < outSize; d++) {
    const src = Math.max(f(f(scale * f(d + 0.5)) - 0.5), 0);
    const i0 = Math.trunc(src);
    const l1 = f(src - i0);
    a.i0[d] = i0;
    a.i1[d] = i0 + (i0 < inSize - 1 ? 1 : 0);
    a.l1[d] = l1;
    a.l0[d] = f(1 - l1);
  }
  return a;
}

export interface VideoTensor {
  /** (15, 3, 2, 224, 224) */
  data: Float32Array;
  dims: number[];
  info: { sourceWh: [number, number]; scaledWh: [number, number]; cropOffsets: { x: number; y: number }[] };
}

/**
 * `frames[i]` is the RGB24 (h, w, 3) image of frame `plan.frames[i]`.
 */
export function videoFramesToTensor(plan: VideoPlan, frames: Uint8Array[], width: number, height: number): VideoTensor {
  if (frames.length !== plan.frames.length) {
    throw new PandaError('MEDIA_CORRUPT', `Expected ${plan.frames.length} decoded video frames, got ${frames.length}. The video may be truncated.`);
  }
  const byIndex = new Map(plan.frames.map((fi, i) => [fi, frames[i]!]));
  for (const fr of frames) {
    if (fr.length !== width * height * 3) throw new PandaError('MEDIA_CORRUPT', 'A decoded video frame has the wrong size.', { expected: width * height * 3, got: fr.length });
  }
  const sz = shortSideScaleSize(width, height);
  const offsets = cropOffsets(sz.w, sz.h);
  const ax = axis(width, sz.w);
  const ay = axis(height, sz.h);
  const S = VIDEO_SIZE;
  const plane = S * S;
  const T = 2;
  const data = new Float32Array(plan.clips.length * CROPS * 3 * T * plane);
  // One scaled, normalised frame (3, sh, sw) at a time; crops are then copied out of it.
  const scaled = new Float32Array(3 * sz.w * sz.h);
  plan.clips.forEach((clip, ci) => {
    clip.sampled.forEach((fi, t) => {
      const rgb = byIndex.get(fi)!;
      for (let c = 0; c < 3; c++) {
        const m = f(CLIP_MEAN[c]);
        const s = f(CLIP_STD[c]);
        for (let y = 0; y < sz.h; y++) {
          const y0 = ay.i0[y]! * width;
          const y1 = ay.i1[y]! * width;
          const h0 = ay.l0[y]!;
          const h1 = ay.l1[y]!;
          for (let x = 0; x < sz.w; x++) {
            const x0 = ax.i0[x]!;
            const x1 = ax.i1[x]!;
            const w0 = ax.l0[x]!;
            const w1 = ax.l1[x]!;
            const p = (i: number): number => f(rgb[i * 3 + c]! / 255);
            const top = f(f(w0 * p(y0 + x0)) + f(w1 * p(y0 + x1)));
            const bot = f(f(w0 * p(y1 + x0)) + f(w1 * p(y1 + x1)));
            const v = f(f(h0 * top) + f(h1 * bot));
            scaled[(c * sz.h + y) * sz.w + x] = f(f(v - m) / s);
          }
        }
      }
      offsets.forEach((o, k) => {
        const base = (ci * CROPS + k) * 3 * T * plane;
        for (let c = 0; c < 3; c++) {
          for (let y = 0; y < S; y++) {
            const src = (c * sz.h + y + o.y) * sz.w + o.x;
            data.set(scaled.subarray(src, src + S), base + (c * T + t) * plane + y * S);
          }
        }
      });
    });
  });
  return { data, dims: [plan.clips.length * CROPS, 3, T, S, S], info: { sourceWh: [width, height], scaledWh: [sz.w, sz.h], cropOffsets: offsets } };
}
