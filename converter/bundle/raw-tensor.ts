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
import { quantizeRowsQ8, quantizeStoredRowsQ8, type RowsQ8, storedRowsQ8Bytes } from '../quant/rows-q8';
import type { BundleWriter } from './writer';

export async function writeRawTensor(w: BundleWriter, file: string, data: Float32Array, shape: number[], dtype: RawTensorRef['dtype']): Promise<RawTensorRef> {
  if (endianness() !== 'LE') throw new Error('raw tensor files are little-endian; converting on a big-endian machine is not supported');
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`${file}: ${data.length} values for shape [${shape}]`);
  if (dtype === 'int8') {
    const [rows, cols] = shape as [number, number];
    return writeRowsQ8(w, file, quantizeRowsQ8(data, rows, cols), shape);
  }
  await w.writeFile(file, bytesOf(dtype === 'float16' ? toF16(data) : data));
  return { file, dtype, shape };
}

const rowScalesFile = (file: string): string => file.replace(/\.bin$/, '') + '.scales.f32.bin';
const int8Bytes = (q: RowsQ8): Uint8Array => new Uint8Array(q.values.buffer, q.values.byteOffset, q.values.byteLength);
const int8Ref = (file: string, shape: number[]): RawTensorRef => ({ file, dtype: 'int8', shape, rowScales: { file: rowScalesFile(file), dtype: 'float32', shape: [shape[0]!] } });

async function writeRowsQ8(w: BundleWriter, file: string, q: RowsQ8, shape: number[]): Promise<RawTensorRef> {
  await w.writeFile(file, int8Bytes(q));
  await w.writeFile(rowScalesFile(file), bytesOf(q.scales));
  return int8Ref(file, shape);
}

/**
 * `writeRawTensor` of checkpoint tensor `name`. With a worker pool an fp16 or int8 file is admitted
 * like a weight, read as stored, decoded (a few rows at a time for int8) and converted on a worker,
 * and written when that is done (`commit` waits for it): the decoders start meanwhile. Without a
 * pool an int8 table is still quantised a few rows at a time from the stored bytes.
 */
export async function writeRawTensorFrom(w: BundleWriter, file: string, src: TensorSource, name: string, shape: number[], dtype: RawTensorRef['dtype']): Promise<RawTensorRef> {
  const pool = currentRuntime().pool;
  const streamed = src.readStored && (dtype === 'float16' || dtype === 'int8');
  if (!streamed) return writeRawTensor(w, file, await src.readF32(name), shape, dtype);
  if (endianness() !== 'LE') throw new Error('raw tensor files are little-endian; converting on a big-endian machine is not supported');
  const info = src.info(name);
  const count = shape.reduce((a, b) => a * b, 1);
  if (info.shape.reduce((a, b) => a * b, 1) !== count) throw new Error(`${file}: tensor ${name} of shape [${info.shape}] for shape [${shape}]`);
  const [rows, cols] = [shape[0]!, count / shape[0]!];
  if (!pool) {
    // Inline: the int8 table is still quantised a few rows at a time from the stored bytes.
    if (dtype === 'float16') return writeRawTensor(w, file, await src.readF32(name), shape, dtype);
    return writeRowsQ8(w, file, quantizeStoredRowsQ8(await src.readStored!(name), rows, cols), shape);
  }
  // Stored bytes in, fp16 or int8 out (the worker decodes a few rows at a time); held until written.
  const item = ITEM_SIZE[info.dtype];
  const ticket = await pool.reserve(dtype === 'int8' ? storedRowsQ8Bytes(rows, cols, item) : count * (item + 2));
  try {
    const data = await src.readStored!(name);
    const where = { file: info.file, tensor: name };
    let written: Promise<unknown>;
    if (dtype === 'int8') {
      const q = pool.run({ kind: 'q8-rows', data, rows, cols }, where);
      written = Promise.all([w.writeFileLater(file, q.then(int8Bytes)), w.writeFileLater(rowScalesFile(file), q.then((r) => r.scales))]);
    } else written = w.writeFileLater(file, pool.run({ kind: 'f16', data }, where));
    handled(written.finally(() => ticket.release()));
  } catch (e) {
    ticket.release();
    throw e;
  }
  return dtype === 'int8' ? int8Ref(file, shape) : { file, dtype, shape };
}
