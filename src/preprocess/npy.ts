/** Parse a NumPy .npy file from bytes (v1–v3, little-endian or byte-sized dtypes, C order). */
import { PandaError } from '../core/errors';
import { corrupt } from './errors';

export interface NpyArray {
  /** Values widened to float64 (IMU data is small). */
  data: Float64Array;
  shape: number[];
}

export function isNpy(b: Uint8Array): boolean {
  return b.length >= 10 && b[0] === 0x93 && String.fromCharCode(...b.subarray(1, 6)) === 'NUMPY';
}

export function parseNpy(b: Uint8Array): NpyArray {
  if (!isNpy(b)) throw corrupt('This is not a .npy file.');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const major = b[6]!;
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const hstart = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(b.subarray(hstart, hstart + hlen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw corrupt('The .npy header is malformed.');
  if (/'fortran_order':\s*True/.test(header)) throw new PandaError('MEDIA_UNSUPPORTED', 'Fortran-ordered .npy arrays are not supported; save with np.ascontiguousarray.');
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, x) => a * x, 1);
  const kinds: Record<string, [number, (o: number) => number]> = {
    '<f4': [4, (o) => dv.getFloat32(o, true)],
    '<f8': [8, (o) => dv.getFloat64(o, true)],
    '<f2': [2, (o) => halfToFloat(dv.getUint16(o, true))],
    '<i2': [2, (o) => dv.getInt16(o, true)],
    '<i4': [4, (o) => dv.getInt32(o, true)],
    '<i8': [8, (o) => Number(dv.getBigInt64(o, true))],
    '|i1': [1, (o) => dv.getInt8(o)],
    '|u1': [1, (o) => dv.getUint8(o)],
    '<u2': [2, (o) => dv.getUint16(o, true)],
  };
  const kind = kinds[descr];
  if (!kind) throw new PandaError('MEDIA_UNSUPPORTED', `.npy dtype ${descr} is not supported; save as float32.`, { descr });
  const [size, get] = kind;
  const off = hstart + hlen;
  if (off + count * size > b.length) throw corrupt('The .npy file is shorter than its header says.', { shape, descr });
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = get(off + i * size);
  return { data, shape };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (m / 1024);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + m / 1024);
}
