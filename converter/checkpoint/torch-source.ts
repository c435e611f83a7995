import { PandaError } from '../../src/core/errors';
import { FileTensorSource } from './file-source';
import { ITEM_SIZE, storedToF32 } from './dtypes';
import { RandomAccessFile } from './random-access-file';
import { isContiguous, numelOf, viewExtent } from './strided';
import { collectTensors, unpickleTorch, type TensorRef } from './torch-pickle';
import type { StoredTensor, TensorInfo, TensorSource } from './types';
import { assertStored, entryDataOffset, readEntry, readZipDirectory, type ZipEntry } from './zip-reader';

interface Slot { info: TensorInfo; ref: TensorRef; entry: ZipEntry }

/**
 * A `torch.save` zip checkpoint (`<archive>/data.pkl` + `<archive>/data/<key>` STORED entries).
 * Opening reads the central directory and the pickle only; each `readF32` reads one storage range.
 */
export async function openTorchZip(path: string): Promise<TensorSource> {
  const f = await RandomAccessFile.open(path);
  try {
    const entries = await readZipDirectory(f);
    const pklNames = [...entries.keys()].filter((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
    if (pklNames.length === 0) {
      throw new PandaError('CHECKPOINT_FORMAT', `${path} is a zip but not a torch.save checkpoint (no data.pkl entry).`, { file: path });
    }
    // The archive prefix is whatever precedes data.pkl (torch uses the file's stem, but renames don't update it).
    const pklName = pklNames.sort((a, b) => a.length - b.length)[0]!;
    const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length);
    // torch >= 2.1 records the writer's byte order; everything below decodes little-endian.
    const byteorder = entries.get(`${prefix}byteorder`);
    if (byteorder && new TextDecoder().decode(await readEntry(f, byteorder, 'byteorder')).trim() !== 'little') {
      throw new PandaError('CHECKPOINT_FORMAT', `${path} was saved on a big-endian machine; re-save it on a little-endian one.`, { file: path });
    }
    const root = unpickleTorch(await readEntry(f, entries.get(pklName)!, 'data.pkl'), path);
    const slots = new Map<string, Slot>();
    for (const [name, ref] of collectTensors(root, path)) {
      const entryName = `${prefix}data/${ref.storage.key}`;
      const entry = entries.get(entryName);
      if (!entry) {
        throw new PandaError('CHECKPOINT_FORMAT', `${path}: tensor ${name} refers to storage ${entryName}, which is not in the zip.`, { file: path, tensor: name });
      }
      assertStored(path, entry, `tensor ${name}`);
      const dtype = ref.storage.type.dtype!;
      const extent = viewExtent(ref.shape, ref.stride);
      if (ref.offset + extent >= ref.storage.numel || ref.storage.numel * ITEM_SIZE[dtype] > entry.size) {
        throw new PandaError(
          'CHECKPOINT_FORMAT',
          `${path}: tensor ${name} (shape [${ref.shape}], stride [${ref.stride}], offset ${ref.offset}) does not fit its storage of ${ref.storage.numel} elements (${entry.size} bytes).`,
          { file: path, tensor: name },
        );
      }
      slots.set(name, { info: { name, dtype, shape: ref.shape, file: path }, ref, entry });
    }
    return new TorchZipSource(f, slots);
  } catch (e) {
    await f.close();
    throw e;
  }
}

class TorchZipSource extends FileTensorSource<Slot> {
  async readF32(name: string): Promise<Float32Array> {
    if (numelOf(this.slot(name).ref.shape) === 0) return new Float32Array(0);
    return storedToF32(await this.readStored(name));
  }

  async readStored(name: string): Promise<StoredTensor> {
    const { ref, entry, info } = this.slot(name);
    const shape = [...ref.shape];
    if (numelOf(ref.shape) === 0) return { bytes: new Uint8Array(0), dtype: info.dtype, span: 0, shape };
    const size = ITEM_SIZE[info.dtype];
    const span = viewExtent(ref.shape, ref.stride) + 1;
    const what = `tensor ${name}`;
    const base = await entryDataOffset(this.f, entry, what);
    const start = base + ref.offset * size;
    if (base + entry.size > this.f.size) throw this.f.truncated(base + entry.size, what);
    // Only the span the view touches is read: memory stays bounded by the largest tensor.
    const bytes = await this.f.read(start, span * size, what);
    return { bytes, dtype: info.dtype, span, shape, ...(isContiguous(ref.shape, ref.stride) ? {} : { stride: [...ref.stride] }) };
  }
}
