/** torchvision Resize(224) + CenterCrop(224) geometry on PIL images. */

export const IMAGE_SIZE = 224;

/** Short side → `size`, long side → int(size·long/short) (torchvision truncates). */
export function shortSideSize(w: number, h: number, size = IMAGE_SIZE): { w: number; h: number } {
  if (w <= h) return { w: size, h: Math.trunc((size * h) / w) };
  return { w: Math.trunc((size * w) / h), h: size };
}

/** Python's round(): half to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** CenterCrop offsets: int(round((H − size)/2)), int(round((W − size)/2)). */
export function centerCropOffsets(w: number, h: number, size = IMAGE_SIZE): { top: number; left: number } {
  return { top: roundHalfEven((h - size) / 2), left: roundHalfEven((w - size) / 2) };
}
