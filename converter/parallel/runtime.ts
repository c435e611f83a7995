/**
 * What one conversion shares with the code it calls, without threading it through every builder:
 * the worker pool (absent: everything runs inline on the main thread, as before) and the sha256 of
 * every file hashed as it was written (so the bundle writer does not read the bundle back at the
 * end). It rides on AsyncLocalStorage so the ImageBind converter, which bundle/convert.ts calls
 * with options of its own, finds it too.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { HASH_CHUNK_BYTES, type BundleFile } from '../../src/core/manifest';
import type { ConverterPool } from './pool';

/** What the manifest says of a file's bytes: its size, its sha256 and its pieces' (BundleFile.chunks). */
export type FileHash = Required<Pick<BundleFile, 'size' | 'sha256' | 'chunks'>>;

/** sha256 of a whole file and of each `pieceBytes` piece of it, fed its bytes in order. */
export class FileDigest {
  private readonly whole = createHash('sha256');
  private piece = createHash('sha256');
  private inPiece = 0;
  private size = 0;
  private readonly pieces: string[] = [];

  constructor(private readonly pieceBytes = HASH_CHUNK_BYTES) {}

  update(bytes: Uint8Array): this {
    this.whole.update(bytes);
    this.size += bytes.byteLength;
    for (let off = 0; off < bytes.byteLength; ) {
      const take = Math.min(this.pieceBytes - this.inPiece, bytes.byteLength - off);
      this.piece.update(bytes.subarray(off, off + take));
      this.inPiece += take;
      off += take;
      if (this.inPiece === this.pieceBytes) {
        this.pieces.push(this.piece.digest('hex'));
        this.piece = createHash('sha256');
        this.inPiece = 0;
      }
    }
    return this;
  }

  digest(): FileHash {
    if (this.inPiece > 0) this.pieces.push(this.piece.digest('hex'));
    return { size: this.size, sha256: this.whole.digest('hex'), chunks: { size: this.pieceBytes, sha256: this.pieces } };
  }
}

/** FileHash of bytes in hand. */
export function digestOf(bytes: Uint8Array): FileHash {
  return new FileDigest().update(bytes).digest();
}

/** FileHash of a file on disk, streamed. */
export async function digestFile(path: string): Promise<FileHash> {
  const d = new FileDigest();
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) d.update(chunk as Buffer);
  return d.digest();
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

/** writeFile that records the file's hash (from the bytes in hand) when a conversion runs. */
export async function writeHashedFile(path: string, data: Uint8Array | string): Promise<void> {
  await writeFile(path, data);
  const hashes = currentRuntime().hashes;
  if (hashes) {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    hashes.record(path, digestOf(bytes));
  }
}
