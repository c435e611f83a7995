/**
 * YUV → RGB as ffmpeg's swscale does it when decord (and our Node path) asks for rgb24 at the
 * video's own size: each pixel takes the chroma sample of its 2×2 (or 2×1) block (no
 * interpolation), and a stream that does not say its matrix is BT.601. Browsers would draw such
 * a frame as BT.709 with interpolated chroma (measured: a saturated test pattern differed by 8.6
 * levels on average, a pure red by 24 in green), so the page converts the decoded planes itself.
 */
export type YuvMatrix = 'bt601' | 'bt709' | 'bt2020';

export interface YuvPlanes {
  width: number;
  height: number;
  y: Uint8Array;
  yStride: number;
  /** Separate U and V planes (I420/I422/I444), or one interleaved UV plane (NV12: `v` unused). */
  u: Uint8Array;
  v: Uint8Array | null;
  uvStride: number;
  /** log2 of the chroma subsampling: I420/NV12 (1,1), I422 (1,0), I444 (0,0). */
  shiftX: number;
  shiftY: number;
  matrix: YuvMatrix;
  fullRange: boolean;
}

const K: Record<YuvMatrix, [number, number]> = { bt601: [0.299, 0.114], bt709: [0.2126, 0.0722], bt2020: [0.2627, 0.0593] };

/** The matrix a WebCodecs/CSS colour-space name stands for; unknown or unspecified → BT.601. */
export function matrixOf(name: string | null | undefined): YuvMatrix {
  if (name === 'bt709') return 'bt709';
  if (name === 'bt2020-ncl') return 'bt2020';
  return 'bt601';
}

/** Row-major RGBA (alpha 255), width × height × 4. */
export function yuvToRgba(p: YuvPlanes): Uint8Array {
  const [kr, kb] = K[p.matrix];
  const kg = 1 - kr - kb;
  const ys = p.fullRange ? 1 : 255 / 219;
  const yo = p.fullRange ? 0 : 16;
  const cs = p.fullRange ? 1 : 255 / 224;
  const rv = cs * 2 * (1 - kr);
  const bu = cs * 2 * (1 - kb);
  const gu = (cs * 2 * (1 - kb) * kb) / kg;
  const gv = (cs * 2 * (1 - kr) * kr) / kg;
  const out = new Uint8Array(p.width * p.height * 4);
  const clamp = (x: number): number => (x <= 0 ? 0 : x >= 255 ? 255 : Math.round(x));
  const nv12 = p.v === null;
  for (let row = 0; row < p.height; row++) {
    const yRow = row * p.yStride;
    const cRow = (row >> p.shiftY) * p.uvStride;
    let o = row * p.width * 4;
    for (let col = 0; col < p.width; col++) {
      const c = col >> p.shiftX;
      const u = (nv12 ? p.u[cRow + 2 * c]! : p.u[cRow + c]!) - 128;
      const v = (nv12 ? p.u[cRow + 2 * c + 1]! : p.v![cRow + c]!) - 128;
      const y = ys * (p.y[yRow + col]! - yo);
      out[o] = clamp(y + rv * v);
      out[o + 1] = clamp(y - gu * u - gv * v);
      out[o + 2] = clamp(y + bu * u);
      out[o + 3] = 255;
      o += 4;
    }
  }
  return out;
}
