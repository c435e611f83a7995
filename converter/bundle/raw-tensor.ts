/**
 * Raw little-endian tensor files beside the decoder (embedding table, llama_proj), referenced from
 * the manifest as RawTensorRef. The engine reads them with a typed-array view, no parsing.
 */
import { endianness } from 'node:os';
import type { RawTensorRef } from '../../src/core/manifest';
import { ITEM_SIZE } from '../checkpoint/dtypes';
import type { TensorSource } from '../checkpoint/types';
import { bytesOf } from '../onnx/graph';
import { handled } from '../parallel/pool';
import { currentRuntime } from '../parallel/runtime';
import { toF16 } from '../quant/fp16';
import type { BundleWriter } from './writer';

export async function writeRawTensor(w: BundleWriter, file: string, data: Float32Array, shape: number[], dtype: RawTensorRef['dtype']): Promise<RawTensorRef> {
  if (endianness() !== 'LE') throw new Error('raw tensor files are little-endian; converting on a big-endian machine is not supported');
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`${file}: ${data.length} values for shape [${shape}]`);
  if (dtype === 'int8') {
    const [rows, cols] = shape as [number, number];
    const q = quantizeRowsQ8(data, rows, cols);
    const scalesFile = file.replace(/\.bin$/, '') + '.scales.f32.bin';
    await w.writeFile(file, new Uint8Array(q.values.buffer, q.values.byteOffset, q.values.byteLength));
    await w.writeFile(scalesFile, bytesOf(q.scales));
    return { file, dtype, shape, rowScales: { file: scalesFile, dtype: 'float32', shape: [rows] } };
  }
  await w.writeFile(file, bytesOf(dtype === 'float16' ? toF16(data) : data));
  return { file, dtype, shape };
}

/** Symmetric per-row int8: scale = max|row| / 127, q = round(x / scale). */
export function quantizeRowsQ8(data: Float32Array, rows: number, cols: number): { values: Int8Array; scales: Float32Array } {
  const values = new Int8Array(rows * cols);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let j = 0; j < cols; j++) m = Math.max(m, Math.abs(data[r * cols + j]!));
    const s = m > 0 ? m / 127 : 1;
    scales[r] = s;
    const inv = 1 / Math.fround(s);
    for (let j = 0; j < cols; j++) values[r * cols + j] = Math.max(-127, Math.min(127, Math.round(data[r * cols + j]! * inv)));
  }
  return { values, scales };
}

/**
 * `writeRawTensor` of checkpoint tensor `name`. With a worker pool an fp16 file is admitted like a
 * weight, read as stored, decoded and converted on a worker, and written when that is done
 * (`commit` waits for it): the decoders start meanwhile.
 */
export async function writeRawTensorFrom(w: BundleWriter, file: string, src: TensorSource, name: string, shape: number[], dtype: RawTensorRef['dtype']): Promise<RawTensorRef> {
  const pool = currentRuntime().pool;
  if (!pool || !src.readStored || dtype !== 'float16') return writeRawTensor(w, file, await src.readF32(name), shape, dtype);
  if (endianness() !== 'LE') throw new Error('raw tensor files are little-endian; converting on a big-endian machine is not supported');
  const info = src.info(name);
  const count = shape.reduce((a, b) => a * b, 1);
  if (info.shape.reduce((a, b) => a * b, 1) !== count) throw new Error(`${file}: tensor ${name} of shape [${info.shape}] for shape [${shape}]`);
  // Stored bytes in, fp16 out (the worker decodes a chunk at a time); held until written.
  const ticket = await pool.reserve(count * (ITEM_SIZE[info.dtype] + 2));
  try {
    const data = await src.readStored(name);
    handled(w.writeFileLater(file, pool.run({ kind: 'f16', data }, { file: info.file, tensor: name })).finally(() => ticket.release()));
  } catch (e) {
    ticket.release();
    throw e;
  }
  return { file, dtype, shape };
}
