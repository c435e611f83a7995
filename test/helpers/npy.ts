import { readFileSync } from 'node:fs';

export type NpyData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface Npy {
  data: NpyData;
  shape: number[];
}

const CTORS = {
  '<f4': Float32Array,
  '<f8': Float64Array,
  '<i4': Int32Array,
  '<i8': BigInt64Array,
  '|u1': Uint8Array,
  '|b1': Uint8Array,
} as const;

/**
 * Reads a NumPy `.npy` file (format 1.0/2.0/3.0): little-endian float32/float64/int32/int64/uint8
 * (and bool as uint8), C order only. The data is copied into an aligned typed array.
 */
export function readNpy(path: string): Npy {
  const buf = readFileSync(path);
  if (buf.length < 10 || buf[0] !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') {
    throw new Error(`${path} is not a .npy file`);
  }
  const major = buf[6]!;
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', headerStart, headerStart + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`${path}: unparseable npy header ${header}`);
  if (fortran === 'True') throw new Error(`${path}: Fortran-order arrays are not supported`);
  const Ctor = CTORS[descr as keyof typeof CTORS];
  if (!Ctor) throw new Error(`${path}: unsupported dtype ${descr}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const start = headerStart + headerLen;
  const bytes = count * Ctor.BYTES_PER_ELEMENT;
  if (buf.length < start + bytes) throw new Error(`${path}: truncated (${buf.length - start} of ${bytes} data bytes)`);
  const copy = new ArrayBuffer(bytes);
  new Uint8Array(copy).set(buf.subarray(start, start + bytes));
  return { data: new Ctor(copy), shape };
}
