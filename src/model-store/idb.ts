/**
 * IndexedDB layout (one idb-keyval store, database `pandagpt-models`):
 *   ['b', bundleId]         → BundleRecord (manifest text of the complete and of a pending version)
 *   ['f', sha256]           → FileRecord (download state of one file content)
 *   ['c', sha256, index]    → Blob (one chunk; 16 MiB by default)
 * Chunks are keyed by content hash, so an updated bundle keeps its unchanged files and two bundles
 * share identical files; chunks no bundle refers to are deleted on remove / update.
 */
import { createStore, del, get, promisifyRequest, type UseStore } from 'idb-keyval';
import type { FileRecord } from './resume-plan';

export interface BundleRecord {
  id: string;
  name: string;
  label: string;
  kind: 'url' | 'folder';
  /** manifest.json of the last complete, verified version; null until one finished. */
  manifestText: string | null;
  /** manifest.json of a download in progress (first download or update). */
  pendingManifestText: string | null;
  sizeBytes: number;
  createdAt: number;
  lastUsed: number;
}

export type Key = IDBValidKey;
const bKey = (id: string): Key => ['b', id];
const fKey = (sha: string): Key => ['f', sha];
const cKey = (sha: string, i: number): Key => ['c', sha, i];
/** All chunk keys of one content: ['c', sha, 0] .. ['c', sha, +inf]. */
const chunkRange = (sha: string) => IDBKeyRange.bound(['c', sha, 0], ['c', sha, Infinity]);

export class ModelDb {
  readonly store: UseStore;
  constructor(dbName = 'pandagpt-models', storeName = 'kv') {
    this.store = createStore(dbName, storeName);
  }

  getBundle(id: string): Promise<BundleRecord | undefined> {
    return get<BundleRecord>(bKey(id), this.store);
  }

  putBundle(r: BundleRecord): Promise<void> {
    return this.store('readwrite', (s) => {
      s.put(r, bKey(r.id));
      return promisifyRequest(s.transaction);
    });
  }

  listBundles(): Promise<BundleRecord[]> {
    return this.store('readonly', (s) => promisifyRequest(s.getAll(IDBKeyRange.bound(['b'], ['b', []]))) as Promise<BundleRecord[]>);
  }

  getFile(sha: string): Promise<FileRecord | undefined> {
    return get<FileRecord>(fKey(sha), this.store);
  }

  /**
   * Store chunks `from`, `from + 1`, ... and the file's new state in one transaction, so they never
   * disagree (and several chunks cost one commit).
   */
  putChunks(rec: FileRecord, from: number, chunks: Uint8Array<ArrayBuffer>[]): Promise<void> {
    const blobs = chunks.map((c) => new Blob([c]));
    return this.store('readwrite', (s) => {
      blobs.forEach((b, i) => s.put(b, cKey(rec.sha256, from + i)));
      s.put(rec, fKey(rec.sha256));
      return promisifyRequest(s.transaction);
    });
  }

  putFile(rec: FileRecord): Promise<void> {
    return this.store('readwrite', (s) => {
      s.put(rec, fKey(rec.sha256));
      return promisifyRequest(s.transaction);
    });
  }

  getChunk(sha: string, index: number): Promise<Blob | undefined> {
    return get<Blob>(cKey(sha, index), this.store);
  }

  /** Drop a file's chunks and state (integrity failure, restart, garbage collection). */
  deleteFile(sha: string): Promise<void> {
    return this.store('readwrite', (s) => {
      s.delete(chunkRange(sha));
      s.delete(fKey(sha));
      return promisifyRequest(s.transaction);
    });
  }

  deleteBundle(id: string): Promise<void> {
    return del(bKey(id), this.store);
  }

  /** Content hashes that have a file record or chunks. */
  async storedHashes(): Promise<Set<string>> {
    const ks = await this.store('readonly', (s) => promisifyRequest(s.getAllKeys(IDBKeyRange.bound(['c'], ['f', []]))));
    return new Set((ks as unknown[]).map((k) => (k as [string, string])[1]));
  }
}
