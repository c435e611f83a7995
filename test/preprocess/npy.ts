/** Minimal .npy reader for the reference tensors (little-endian f4/f8/i4/i8/u1/u2, C order). */
import { readFileSync } from 'node:fs';

export interface Npy {
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array;
  shape: number[];
}

export function readNpy(path: string): Npy {
  const b = readFileSync(path);
  const major = b[6]!;
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = b.subarray(hstart, hstart + hlen).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)![1]!;
  if (/'fortran_order':\s*True/.test(header)) throw new Error('fortran order not supported');
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)![1]!.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const off = hstart + hlen;
  const buf = b.buffer.slice(b.byteOffset + off, b.byteOffset + b.length);
  const ctor = { '<f4': Float32Array, '<f8': Float64Array, '<i4': Int32Array, '<i8': BigInt64Array, '|u1': Uint8Array, '<u2': Uint16Array }[descr];
  if (!ctor) throw new Error(`dtype ${descr} not supported`);
  return { data: new ctor(buf), shape };
}
