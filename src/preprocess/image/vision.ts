/**
 * ImageBind `load_and_transform_vision_data` / PandaGPT `load_and_transform_thermal_data` on a
 * decoded image: convert → Resize(224, bicubic) → CenterCrop(224) → ToTensor (→ Normalize).
 */
import type { DecodedImage } from './types';
import { centerCropOffsets, IMAGE_SIZE, shortSideSize } from './geometry';
import { pilResize8 } from './pil-resize';
import { toLuma8, toRgb8 } from './pil-convert';

export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

export interface ImageTensor {
  /** (channels, 224, 224) float32 */
  data: Float32Array;
  dims: number[];
  geometry: { sourceWh: [number, number]; resizedWh: [number, number]; cropTop: number; cropLeft: number };
}

/** Resize + centre crop an interleaved uint8 (h, w, c) plane; returns the cropped (224, 224, c) plane. */
function resizeCrop(pix: Uint8Array, w: number, h: number, c: number): { crop: Uint8Array; geometry: ImageTensor['geometry'] } {
  const r = shortSideSize(w, h);
  const resized = pilResize8(pix, w, h, c, r.w, r.h, 'bicubic');
  const { top, left } = centerCropOffsets(r.w, r.h);
  const S = IMAGE_SIZE;
  const crop = new Uint8Array(S * S * c);
  for (let y = 0; y < S; y++) {
    const sy = y + top;
    for (let x = 0; x < S; x++) {
      const sx = x + left;
      for (let k = 0; k < c; k++) {
        // Crop windows larger than the image pad with zeros, as torchvision's CenterCrop does.
        crop[(y * S + x) * c + k] = sy >= 0 && sy < r.h && sx >= 0 && sx < r.w ? resized[(sy * r.w + sx) * c + k]! : 0;
      }
    }
  }
  return { crop, geometry: { sourceWh: [w, h], resizedWh: [r.w, r.h], cropTop: top, cropLeft: left } };
}

/** RGB image tensor (3,224,224): /255 then CLIP mean/std, in float32 like torch. */
export function imageToTensor(img: DecodedImage): ImageTensor {
  const { crop, geometry } = resizeCrop(toRgb8(img), img.width, img.height, 3);
  const S = IMAGE_SIZE;
  const data = new Float32Array(3 * S * S);
  for (let k = 0; k < 3; k++) {
    const m = Math.fround(CLIP_MEAN[k]);
    const s = Math.fround(CLIP_STD[k]);
    for (let i = 0; i < S * S; i++) data[k * S * S + i] = Math.fround(Math.fround(Math.fround(crop[i * 3 + k]! / 255) - m) / s);
  }
  return { data, dims: [3, S, S], geometry };
}

/** Thermal tensor (1,224,224): luma, /255, no normalisation. */
export function thermalToTensor(img: DecodedImage): ImageTensor {
  const { crop, geometry } = resizeCrop(toLuma8(img), img.width, img.height, 1);
  const data = new Float32Array(crop.length);
  for (let i = 0; i < crop.length; i++) data[i] = crop[i]! / 255;
  return { data, dims: [1, IMAGE_SIZE, IMAGE_SIZE], geometry };
}
