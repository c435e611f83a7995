import { basename, extname } from 'node:path';
import { pickleStateDict, type PickledTensor } from './pickle-writer';
import { numelOf } from './strided';
import { storageBytes, type WriterDType } from './tensor-bytes';
import { TorchZipWriter } from './zip-writer';

export { writeSafetensors, type SafetensorsTensor } from './safetensors-writer';
export type { WriterDType } from './tensor-bytes';

/** One tensor to write. `data` is called once, when its bytes are written, so memory stays bounded. */
export interface WriterTensor {
  name: string;
  shape: number[];
  /** Storage dtype (default float16, like HF LLaMA checkpoints). */
  dtype?: WriterDType;
  /** The whole storage: Float32Array (converted) or Uint16Array (raw fp16/bf16 bits). */
  data: () => Float32Array | Uint16Array | Promise<Float32Array | Uint16Array>;
  /** A strided view into the storage (elements); default row-major, offset 0, numel = prod(shape). */
  stride?: number[];
  storageOffset?: number;
  storageNumel?: number;
  /** Pickle as `nn.Parameter` (torch._utils._rebuild_parameter, requires_grad=True), like PandaGPT's delta. */
  parameter?: boolean;
}

export interface TorchWriterOptions {
  /** Zip folder name; torch uses the file name without extension. */
  archiveName?: string;
  /** Storage location tag (torch writes the device, e.g. 'cpu' or 'cuda:0'). */
  location?: string;
  /** Test hook: records at/after this offset or size get zip64 fields (default 0xFFFFFFFF, as torch). */
  zip64Threshold?: number;
}

const STORAGE_CLASS: Record<WriterDType, string> = { float16: 'HalfStorage', bfloat16: 'BFloat16Storage', float32: 'FloatStorage' };

function rowMajorStride(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]!; }
  return s;
}

/**
 * Writes a checkpoint in the exact layout `torch.save(state_dict)` (torch 1.13, zip format) produces:
 * `<archive>/data.pkl`, then `<archive>/data/<key>` in sorted key order, then `<archive>/version`.
 * Tensors come from an (async) iterable; only their metadata is kept, bytes are produced one at a time.
 */
export async function writeTorchCheckpoint(
  path: string,
  tensors: Iterable<WriterTensor> | AsyncIterable<WriterTensor>,
  opts: TorchWriterOptions = {},
): Promise<void> {
  const list: WriterTensor[] = [];
  for await (const t of tensors) list.push(t);
  const pickled: PickledTensor[] = list.map((t, i) => ({
    name: t.name,
    storageClass: STORAGE_CLASS[t.dtype ?? 'float16'],
    key: String(i),
    numel: t.storageNumel ?? numelOf(t.shape),
    offset: t.storageOffset ?? 0,
    shape: t.shape,
    stride: t.stride ?? rowMajorStride(t.shape),
    parameter: t.parameter ?? false,
  }));
  const archive = opts.archiveName ?? basename(path, extname(path));
  const zip = await TorchZipWriter.create(path, archive, opts.zip64Threshold);
  try {
    await zip.writeRecord('data.pkl', pickleStateDict(pickled, opts.location ?? 'cpu'));
    // torch writes storages sorted by key *string* ('0', '1', '10', '100', '11', ...).
    const order = pickled.map((p, i) => ({ key: p.key, i })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const { key, i } of order) {
      const t = list[i]!;
      const bytes = storageBytes(t.name, t.dtype ?? 'float16', await t.data(), pickled[i]!.numel);
      await zip.writeRecord(`data/${key}`, bytes);
    }
    await zip.writeRecord('version', new TextEncoder().encode('3\n'));
    await zip.finish();
  } catch (e) {
    await zip.abort();
    throw e;
  }
}
