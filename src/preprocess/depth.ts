/**
 * Depth input (no official loader; the rule is documented in depth.md): a single-channel map in
 * metres, short side → 224 (PIL bilinear on float values), centre crop 224, no normalisation.
 */
import type { DecodedImage } from './image/types';
import { centerCropOffsets, IMAGE_SIZE, shortSideSize } from './image/geometry';
import { pilResizeFloat } from './image/pil-resize';
import { toLuma8 } from './image/pil-convert';

export interface DepthTensor {
  /** (1, 224, 224) float32 */
  data: Float32Array;
  dims: number[];
  info: { rule: 'uint16-millimetres' | 'uint8-relative'; sourceWh: [number, number]; resizedWh: [number, number]; cropTop: number; cropLeft: number };
}

/** Depth values before resizing: 16-bit gray = mm → m; anything 8-bit = luma / 255 (relative). */
export function depthValues(img: DecodedImage): { values: Float32Array; rule: DepthTensor['info']['rule'] } {
  const n = img.width * img.height;
  const values = new Float32Array(n);
  if (img.bitDepth === 16) {
    // 16-bit: first channel (gray or gray+alpha; for RGB the R channel) in millimetres.
    const c = img.channels;
    for (let i = 0; i < n; i++) values[i] = img.data[i * c]! / 1000;
    return { values, rule: 'uint16-millimetres' };
  }
  const l = toLuma8(img);
  for (let i = 0; i < n; i++) values[i] = l[i]! / 255;
  return { values, rule: 'uint8-relative' };
}

export function depthToTensor(img: DecodedImage): DepthTensor {
  const { values, rule } = depthValues(img);
  const { width: w, height: h } = img;
  const S = IMAGE_SIZE;
  const r = w === S && h === S ? { w, h } : shortSideSize(w, h);
  const resized = r.w === w && r.h === h ? values : pilResizeFloat(values, w, h, r.w, r.h, 'bilinear');
  const { top, left } = centerCropOffsets(r.w, r.h);
  const data = new Float32Array(S * S);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const sy = y + top;
      const sx = x + left;
      data[y * S + x] = sy >= 0 && sy < r.h && sx >= 0 && sx < r.w ? resized[sy * r.w + sx]! : 0;
    }
  }
  return { data, dims: [1, S, S], info: { rule, sourceWh: [w, h], resizedWh: [r.w, r.h], cropTop: top, cropLeft: left } };
}
