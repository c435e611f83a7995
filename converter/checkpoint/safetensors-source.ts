import { PandaError } from '../../src/core/errors';
import { FileTensorSource } from './file-source';
import { ITEM_SIZE, storedToF32 } from './dtypes';
import { RandomAccessFile } from './random-access-file';
import { numelOf } from './strided';
import type { StorageDType, StoredTensor, TensorInfo, TensorSource } from './types';

/** safetensors dtype tags and ours. */
export const SAFETENSORS_DTYPES: Record<string, StorageDType> = {
  F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64', I64: 'int64', I32: 'int32', I16: 'int16',
  I8: 'int8', U8: 'uint8', BOOL: 'bool',
};

interface Slot { info: TensorInfo; begin: number; end: number }

/** Header sanity bound: real headers are well under 100 MB. */
const MAX_HEADER = 100_000_000;

/** `.safetensors`: u64 header length, JSON header, then raw little-endian bytes; read lazily per tensor. */
export async function openSafetensors(path: string): Promise<TensorSource> {
  const f = await RandomAccessFile.open(path);
  try {
    if (f.size < 8) throw f.truncated(8, 'the safetensors header length');
    const len = Number(new DataView((await f.read(0, 8)).buffer).getBigUint64(0, true));
    if (len > MAX_HEADER) throw new PandaError('CHECKPOINT_FORMAT', `${path}: implausible safetensors header length ${len}.`, { file: path });
    if (8 + len > f.size) throw f.truncated(8 + len, 'the safetensors header');
    let header: Record<string, { dtype?: string; shape?: number[]; data_offsets?: [number, number] }>;
    try {
      header = JSON.parse(new TextDecoder().decode(await f.read(8, len)));
    } catch (e) {
      throw new PandaError('CHECKPOINT_FORMAT', `${path}: the safetensors header is not valid JSON (${(e as Error).message}).`, { file: path });
    }
    const dataStart = 8 + len;
    const slots = new Map<string, Slot>();
    const entries = Object.entries(header).filter(([k]) => k !== '__metadata__');
    // File order = data order (the JSON header's key order is alphabetical in the reference writer).
    entries.sort((a, b) => (a[1].data_offsets?.[0] ?? 0) - (b[1].data_offsets?.[0] ?? 0));
    for (const [name, t] of entries) {
      const dtype = SAFETENSORS_DTYPES[t.dtype ?? ''];
      if (!dtype) {
        throw new PandaError('UNSUPPORTED_DTYPE', `${path}: tensor ${name} has dtype ${t.dtype}, which cannot be converted to float32.`, { file: path, tensor: name, dtype: t.dtype });
      }
      const shape = t.shape ?? [];
      const [b, e] = t.data_offsets ?? [0, -1];
      if (e - b !== numelOf(shape) * ITEM_SIZE[dtype]) {
        throw new PandaError('CHECKPOINT_FORMAT', `${path}: tensor ${name} has ${e - b} bytes for shape [${shape}] ${dtype}.`, { file: path, tensor: name });
      }
      slots.set(name, { info: { name, dtype, shape, file: path }, begin: dataStart + b, end: dataStart + e });
    }
    return new SafetensorsSource(f, slots);
  } catch (e) {
    await f.close();
    throw e;
  }
}

class SafetensorsSource extends FileTensorSource<Slot> {
  async readF32(name: string): Promise<Float32Array> {
    return storedToF32(await this.readStored(name));
  }

  async readStored(name: string): Promise<StoredTensor> {
    const { info, begin, end } = this.slot(name);
    if (end > this.f.size) throw this.f.truncated(end, `tensor ${name}`);
    const bytes = await this.f.read(begin, end - begin, `tensor ${name}`);
    return { bytes, dtype: info.dtype, span: numelOf(info.shape), shape: [...info.shape] };
  }
}
