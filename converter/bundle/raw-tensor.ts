/**
 * Raw little-endian tensor files beside the decoder (embedding table, llama_proj), referenced from
 * the manifest as RawTensorRef. The engine reads them with a typed-array view, no parsing.
 */
import { endianness } from 'node:os';
import type { RawTensorRef } from '../../src/core/manifest';
import { bytesOf } from '../onnx/graph';
import { toF16 } from '../quant/fp16';
import type { BundleWriter } from './writer';

export async function writeRawTensor(w: BundleWriter, file: string, data: Float32Array, shape: number[], dtype: RawTensorRef['dtype']): Promise<RawTensorRef> {
  if (endianness() !== 'LE') throw new Error('raw tensor files are little-endian; converting on a big-endian machine is not supported');
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`${file}: ${data.length} values for shape [${shape}]`);
  await w.writeFile(file, bytesOf(dtype === 'float16' ? toF16(data) : data));
  return { file, dtype, shape };
}
