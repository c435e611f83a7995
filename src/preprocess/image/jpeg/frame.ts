/** JPEG frame geometry (T.81 A.1.1) and per-component coefficient storage. */

export interface JpegComponent {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** Downsampled size in samples: ceil(W·h/hmax) × ceil(H·v/vmax). */
  width: number;
  height: number;
  /** Blocks that carry image data (non-interleaved scans cover exactly these). */
  blocksW: number;
  blocksH: number;
  /** Allocated blocks, padded to whole MCUs (interleaved scans cover these). */
  blocksPerLine: number;
  blocksPerColumn: number;
  /** (blocksPerColumn·blocksPerLine, 64) coefficients in natural (not zigzag) order. */
  coefs: Int16Array;
  dcPred: number;
}

export interface JpegFrame {
  width: number;
  height: number;
  progressive: boolean;
  hmax: number;
  vmax: number;
  mcusX: number;
  mcusY: number;
  components: JpegComponent[];
}

export function layoutFrame(width: number, height: number, progressive: boolean, comps: { id: number; h: number; v: number; tq: number }[]): JpegFrame {
  const hmax = Math.max(...comps.map((c) => c.h));
  const vmax = Math.max(...comps.map((c) => c.v));
  const mcusX = Math.ceil(width / (8 * hmax));
  const mcusY = Math.ceil(height / (8 * vmax));
  const components = comps.map((c): JpegComponent => {
    const cw = Math.ceil((width * c.h) / hmax);
    const ch = Math.ceil((height * c.v) / vmax);
    const blocksPerLine = mcusX * c.h;
    const blocksPerColumn = mcusY * c.v;
    return {
      ...c,
      width: cw,
      height: ch,
      blocksW: Math.ceil(cw / 8),
      blocksH: Math.ceil(ch / 8),
      blocksPerLine,
      blocksPerColumn,
      coefs: new Int16Array(blocksPerLine * blocksPerColumn * 64),
      dcPred: 0,
    };
  });
  return { width, height, progressive, hmax, vmax, mcusX, mcusY, components };
}

/** Zigzag index → natural (row-major) index. */
export const ZIGZAG = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42,
  49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);
