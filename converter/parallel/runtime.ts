/**
 * What one conversion shares with the code it calls, without threading it through every builder:
 * the worker pool (absent: everything runs inline on the main thread, as before) and the sha256 of
 * every file hashed as it was written (so the bundle writer does not read the bundle back at the
 * end). It rides on AsyncLocalStorage so the ImageBind converter, which bundle/convert.ts calls
 * with options of its own, finds it too.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ConverterPool } from './pool';

export interface FileHash {
  size: number;
  sha256: string;
}

/** sha256 of files, by absolute path, recorded by whoever wrote their bytes. */
export class FileHashes {
  private readonly byPath = new Map<string, FileHash>();

  record(path: string, h: FileHash): void {
    this.byPath.set(resolve(path), h);
  }

  get(path: string): FileHash | undefined {
    return this.byPath.get(resolve(path));
  }
}

export interface ConvertRuntime {
  pool?: ConverterPool;
  hashes?: FileHashes;
}

const store = new AsyncLocalStorage<ConvertRuntime>();

export function runWith<T>(rt: ConvertRuntime, fn: () => Promise<T>): Promise<T> {
  return store.run(rt, fn);
}

export function currentRuntime(): ConvertRuntime {
  return store.getStore() ?? {};
}

export function sha256Of(...parts: Uint8Array[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** writeFile that records the file's hash (from the bytes in hand) when a conversion runs. */
export async function writeHashedFile(path: string, data: Uint8Array | string): Promise<void> {
  await writeFile(path, data);
  const hashes = currentRuntime().hashes;
  if (hashes) {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    hashes.record(path, { size: bytes.byteLength, sha256: sha256Of(bytes) });
  }
}
