/**
 * Public types of the model store: sources, progress events and the cached bundle handle.
 * The store keeps model bundles in IndexedDB so the app can start offline; see README.md.
 */
import type { BundleManifest } from '../core/manifest';

/** A bytes stream of one bundle file starting at `start` (0 when the source ignored a Range request). */
export interface FileStream {
  start: number;
  body: ReadableStream<Uint8Array>;
}

/** Where a bundle comes from. Every file is read through the manifest's `files` list. */
export interface BundleSource {
  readonly kind: 'url' | 'folder';
  /** What the user picked, for messages: the base URL or the folder name. */
  readonly label: string;
  /** Cache id known before the manifest is read (URL sources), so a cached copy can open offline. */
  readonly knownId?: string;
  /** Cache id of the bundle this source holds. */
  idFor(manifest: BundleManifest): string;
  /** The manifest.json text (URL sources revalidate with the server: `cache: 'no-cache'`). */
  readManifest(signal?: AbortSignal): Promise<string>;
  /** Bytes of `path` from byte `start` on; resolves with `start: 0` when the server does not honour Range. */
  openFile(path: string, start: number, signal?: AbortSignal): Promise<FileStream>;
}

export type FileStatus = 'queued' | 'downloading' | 'done' | 'cached' | 'failed';

export interface FileProgress {
  path: string;
  size: number;
  loaded: number;
  status: FileStatus;
}

export interface ProgressSnapshot {
  loaded: number;
  total: number;
  /** Bytes per second over the last few seconds (bytes fetched in this session only). */
  rate: number;
  /** Seconds left at the current rate; null while the rate is unknown. */
  etaSeconds: number | null;
  files: FileProgress[];
}

export type NoticeCode =
  | 'OFFLINE_USING_CACHE' // the manifest could not be fetched; the cached copy is used
  | 'MANIFEST_CHANGED' // the server has a new manifest; changed files are fetched again
  | 'RESUMED' // a file continues from stored chunks
  | 'REHASHED' // stored chunks were re-hashed because no hash state was saved
  | 'RANGE_UNSUPPORTED' // the server ignored Range: the file restarts from byte 0
  | 'RETRYING' // a dropped connection is retried from the last received byte
  | 'PERSIST_DENIED'; // the browser may evict the cache under storage pressure

/** Everything `prepare` reports, as one tagged union. */
export type PrepareEvent =
  | { type: 'manifest'; id: string; name: string; totalBytes: number; missingBytes: number }
  | { type: 'storage'; neededBytes: number; freeBytes: number | null; persisted: boolean | null }
  | { type: 'progress'; progress: ProgressSnapshot }
  | { type: 'notice'; code: NoticeCode; message: string; path?: string };

export interface PrepareOptions {
  signal?: AbortSignal;
  onProgress?: (e: PrepareEvent) => void;
  /** Files downloaded at the same time (default 3). */
  concurrency?: number;
  /** Retries per file after a dropped connection or a 5xx (default 3). */
  retries?: number;
  /**
   * Called once the manifest is read and the storage quota checked, before any model file is
   * requested (only when something must be downloaded). Throw to refuse the download, e.g. when
   * the device cannot run the bundle.
   */
  beforeDownload?: (manifest: BundleManifest, missingBytes: number) => void | Promise<void>;
}

/** A bundle whose every file is stored and was verified against its sha256. */
export interface CachedBundle {
  id: string;
  manifest: BundleManifest;
  /** The whole file in memory. Throws BUNDLE_FILE_MISSING for a path not in the manifest or evicted. */
  readFile(path: string): Promise<Uint8Array>;
  /** A Blob assembled from the stored chunk Blobs: not read into memory until used. */
  readBlob(path: string): Promise<Blob>;
}

export interface CachedBundleInfo {
  id: string;
  name: string;
  /** Base URL or folder name it came from. */
  label: string;
  kind: 'url' | 'folder';
  /** Bytes of the complete version; 0 when none finished yet. */
  sizeBytes: number;
  /** Bytes stored for this bundle, including a partial download. */
  storedBytes: number;
  /** True when a complete, verified version can be opened offline. */
  complete: boolean;
  /** True when a download is unfinished (it resumes on the next prepare). */
  partial: boolean;
  lastUsed: number;
}

export interface ModelStore {
  /** Download (or resume) and verify a bundle; returns at once from cache when nothing changed. */
  prepare(source: BundleSource, opts?: PrepareOptions): Promise<CachedBundle>;
  /** Open a complete cached bundle without any network. */
  open(id: string): Promise<CachedBundle>;
  list(): Promise<CachedBundleInfo[]>;
  /** Re-hash every stored file; broken files are dropped so the next prepare fetches them again. */
  verify(id: string, opts?: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void }): Promise<boolean>;
  remove(id: string): Promise<void>;
}
