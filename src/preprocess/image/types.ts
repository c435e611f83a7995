/** A decoded image before any colour conversion: interleaved samples, row-major. */
export interface DecodedImage {
  width: number;
  height: number;
  /** 1 = L, 2 = LA, 3 = RGB, 4 = RGBA (palette images are expanded by their decoder). */
  channels: 1 | 2 | 3 | 4;
  /** 8 → Uint8Array samples; 16 → Uint16Array samples (PNG only). */
  bitDepth: 8 | 16;
  data: Uint8Array | Uint16Array;
}
