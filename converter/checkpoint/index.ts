import { existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { PandaError } from '../../src/core/errors';
import { openSafetensors } from './safetensors-source';
import { openShardIndex } from './sharded';
import { openTorchZip } from './torch-source';
import type { TensorSource } from './types';

export type { StorageDType, TensorInfo, TensorSource } from './types';
export { writeSafetensors, writeTorchCheckpoint, type SafetensorsTensor, type TorchWriterOptions, type WriterDType, type WriterTensor } from './torch-writer';

/** What a directory may hold, in the order HF loaders prefer. */
const INDEX_FILES = ['model.safetensors.index.json', 'pytorch_model.bin.index.json'];
const SINGLE_FILES = ['model.safetensors', 'pytorch_model.bin'];

/**
 * Opens a checkpoint lazily: a `torch.save` zip (`.pt/.pth/.bin`), a `.safetensors` file, or an HF
 * directory (sharded with an index, or a single `pytorch_model.bin` / `model.safetensors`).
 */
export async function openCheckpoint(path: string): Promise<TensorSource> {
  if (!existsSync(path)) {
    throw new PandaError('CHECKPOINT_FORMAT', `Checkpoint ${path} does not exist; pass a .pt/.pth/.bin/.safetensors file or an HF model directory.`, { file: path });
  }
  if (statSync(path).isDirectory()) {
    for (const idx of INDEX_FILES) {
      if (existsSync(join(path, idx))) return openShardIndex(join(path, idx), path, openCheckpointFile);
    }
    for (const single of SINGLE_FILES) {
      if (existsSync(join(path, single))) return openCheckpointFile(join(path, single));
    }
    throw new PandaError(
      'CHECKPOINT_FORMAT',
      `${path} holds no checkpoint: expected one of ${[...INDEX_FILES, ...SINGLE_FILES].join(', ')}.`,
      { file: path },
    );
  }
  return openCheckpointFile(path);
}

/** Picks the reader by the file's magic bytes, not its extension (`.bin` is used for both). */
export async function openCheckpointFile(path: string): Promise<TensorSource> {
  const fh = await open(path, 'r');
  const head = new Uint8Array(9);
  let n: number;
  try {
    n = (await fh.read(head, 0, 9, 0)).bytesRead;
  } finally {
    await fh.close();
  }
  if (n >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return openTorchZip(path);
  if (n === 9 && head[8] === 0x7b) return openSafetensors(path);
  if (n >= 2 && head[0] === 0x80 && head[1] === 0x02) {
    throw new PandaError(
      'CHECKPOINT_FORMAT',
      `${path} uses torch's legacy (pre-1.6) pickle format. Re-save it with torch.save(state_dict, path) from torch >= 1.6.`,
      { file: path },
    );
  }
  if (n < 9) throw new PandaError('CHECKPOINT_TRUNCATED', `${path} is truncated (${n} bytes).`, { file: path, size: n });
  throw new PandaError('CHECKPOINT_FORMAT', `${path} is neither a torch.save zip nor a safetensors file.`, { file: path });
}

/** Asserts a tensor exists with exactly this shape (the converter's guard before any transform). */
export function expectShape(src: TensorSource, name: string, shape: number[]): void {
  if (!src.has(name)) {
    const files = [...new Set(src.list().map((t) => t.file))].join(', ');
    const near = src.list().map((t) => t.name).filter((n) => n.split('.').pop() === name.split('.').pop()).slice(0, 3);
    throw new PandaError(
      'CHECKPOINT_MISSING_TENSOR',
      `The checkpoint (${files}) has no tensor ${name} (expected shape [${shape.join(', ')}]).${near.length ? ` Similar names: ${near.join(', ')}.` : ''} Is this the right checkpoint?`,
      { file: files, tensor: name, expected: shape },
    );
  }
  const info = src.info(name);
  if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
    throw new PandaError(
      'CHECKPOINT_SHAPE_MISMATCH',
      `${info.file}: tensor ${name} has shape [${info.shape.join(', ')}] but [${shape.join(', ')}] was expected. Check the model config matches the checkpoint.`,
      { file: info.file, tensor: name, expected: shape, actual: info.shape },
    );
  }
}
