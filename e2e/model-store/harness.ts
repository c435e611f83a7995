/**
 * Test page for e2e/model-store: exposes the real model store on `window.harness`, so Playwright
 * drives real IndexedDB, fetch and File APIs in Chromium. Independent of the app.
 */
import { isPandaError } from '../../src/core/errors';
import { createFolderSource, createModelStore, createUrlSource, type BundleSource, type CachedBundle, type PrepareEvent } from '../../src/model-store';

export interface RunOptions {
  chunkSize?: number;
  retries?: number;
  concurrency?: number;
  /** Abort the download once this many bytes were received in this call. */
  abortAfterBytes?: number;
}

export interface RunResult {
  ok: boolean;
  id?: string;
  code?: string;
  message?: string;
  details?: Record<string, unknown>;
  /** sha256 (WebCrypto) of each file read back with readFile, and of readBlob. */
  files?: Record<string, { size: number; sha256: string; blobSha256: string; blobSize: number }>;
  notices: { code: string; message: string; path?: string }[];
  progressEvents: number;
  maxRate: number;
  sawEta: boolean;
  lastProgress: unknown;
  manifest?: unknown;
  storage?: unknown;
}

const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
const shaOf = async (b: Uint8Array<ArrayBuffer> | ArrayBuffer) => hex(await crypto.subtle.digest('SHA-256', b));

async function describeBundle(b: CachedBundle): Promise<NonNullable<RunResult['files']>> {
  const out: NonNullable<RunResult['files']> = {};
  for (const path of Object.keys(b.manifest.files)) {
    const bytes = (await b.readFile(path)) as Uint8Array<ArrayBuffer>;
    const blob = await b.readBlob(path);
    out[path] = { size: bytes.length, sha256: await shaOf(bytes), blobSha256: await shaOf(await blob.arrayBuffer()), blobSize: blob.size };
  }
  return out;
}

async function run(source: BundleSource, o: RunOptions): Promise<RunResult> {
  const store = createModelStore({ chunkSize: o.chunkSize ?? 1024 * 1024, progressIntervalMs: 0 });
  const r: RunResult = { ok: false, notices: [], progressEvents: 0, maxRate: 0, sawEta: false, lastProgress: null };
  const ctrl = new AbortController();
  let startLoaded: number | null = null;
  const onProgress = (e: PrepareEvent) => {
    if (e.type === 'notice') r.notices.push({ code: e.code, message: e.message, path: e.path });
    else if (e.type === 'manifest') r.manifest = e;
    else if (e.type === 'storage') r.storage = e;
    else {
      r.progressEvents++;
      r.maxRate = Math.max(r.maxRate, e.progress.rate);
      if (e.progress.etaSeconds !== null && e.progress.etaSeconds > 0) r.sawEta = true;
      r.lastProgress = e.progress;
      startLoaded ??= e.progress.loaded;
      if (o.abortAfterBytes !== undefined && e.progress.loaded - startLoaded >= o.abortAfterBytes) ctrl.abort();
    }
  };
  try {
    const b = await store.prepare(source, { signal: ctrl.signal, onProgress, retries: o.retries, concurrency: o.concurrency });
    r.ok = true;
    r.id = b.id;
    r.files = await describeBundle(b);
  } catch (e) {
    if (!isPandaError(e)) throw e;
    r.code = e.code;
    r.message = e.message;
    r.details = e.details;
  }
  return r;
}

const folderInput = () => document.getElementById('folder') as HTMLInputElement;

const harness = {
  prepareUrl: (base: string, o: RunOptions = {}) => run(createUrlSource(base), o),
  prepareFolder: (o: RunOptions = {}) => run(createFolderSource([...(folderInput().files ?? [])]), o),
  /** Two prepares of the same bundle at once (e.g. the app and the panel). */
  async prepareTwice(base: string, o: RunOptions = {}): Promise<RunResult[]> {
    return Promise.all([run(createUrlSource(base), o), run(createUrlSource(base), o)]);
  },
  /** Copy a bundle from `base` into the origin-private file system (needs network). */
  async copyToOpfs(base: string, paths: string[]): Promise<void> {
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('bundle', { create: true });
    for (const p of ['manifest.json', ...paths]) {
      const parts = p.split('/');
      let d = root;
      for (const seg of parts.slice(0, -1)) d = await d.getDirectoryHandle(seg, { create: true });
      const w = await (await d.getFileHandle(parts[parts.length - 1]!, { create: true })).createWritable();
      await w.write(await (await fetch(new URL(p, base))).arrayBuffer());
      await w.close();
    }
  },
  /** Prepare from a FileSystemDirectoryHandle (the OPFS copy), as from showDirectoryPicker(). */
  async prepareOpfs(o: RunOptions = {}): Promise<RunResult> {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('bundle');
    return run(createFolderSource(dir), o);
  },
  /** Timings (ms) for the throughput bench: download, cached prepare, readFile, readBlob, verify. */
  async bench(base: string, bigPath: string, chunkSize: number) {
    const store = createModelStore({ chunkSize });
    const t = () => performance.now();
    // The yardstick: a plain read of the same files from the same server (bodies discarded).
    const manifest = (await (await fetch(`${base}manifest.json`, { cache: 'no-store' })).json()) as { files: Record<string, { size: number }> };
    let t0 = t();
    await Promise.all(
      Object.keys(manifest.files).map(async (p) => {
        const reader = (await fetch(base + p, { cache: 'no-store' })).body!.getReader();
        while (!(await reader.read()).done);
      }),
    );
    const rawRead = t() - t0;
    t0 = t();
    const step = async <T,>(name: string, f: () => Promise<T>): Promise<T> => {
      try {
        return await f();
      } catch (e) {
        throw new Error(`${name}: ${(e as Error).message}`);
      }
    };
    const b = await step('download', () => store.prepare(createUrlSource(base)));
    const download = t() - t0;
    t0 = t();
    await store.prepare(createUrlSource(base));
    const cachedPrepare = t() - t0;
    t0 = t();
    const bytes = await step('readFile', () => b.readFile(bigPath));
    const readFile = t() - t0;
    t0 = t();
    const blob = await step('readBlob', () => b.readBlob(bigPath));
    const readBlob = t() - t0;
    t0 = t();
    const viaBlob = await step('blob.arrayBuffer', () => blob.arrayBuffer());
    const blobArrayBuffer = t() - t0;
    t0 = t();
    const ok = await step('verify', () => store.verify(b.id));
    const verify = t() - t0;
    return { rawRead, download, cachedPrepare, readFile, readBlob, blobArrayBuffer, verify, ok, size: bytes.length, blobSize: viaBlob.byteLength };
  },
  async open(id: string) {
    try {
      const b = await createModelStore().open(id);
      return { ok: true, files: await describeBundle(b) };
    } catch (e) {
      return { ok: false, code: isPandaError(e) ? e.code : 'INTERNAL', message: (e as Error).message };
    }
  },
  list: () => createModelStore().list(),
  verify: (id: string) => createModelStore().verify(id),
  remove: (id: string) => createModelStore().remove(id),
  /** Flip the first byte of a stored chunk, as disk corruption would. */
  async tamper(sha256: string): Promise<void> {
    const { get, set, createStore } = await import('idb-keyval');
    const st = createStore('pandagpt-models', 'kv');
    const blob = await get<Blob>(['c', sha256, 0], st);
    if (!blob) throw new Error('no chunk to tamper with');
    const bytes = new Uint8Array(await blob.arrayBuffer());
    bytes[0] ^= 0xff;
    await set(['c', sha256, 0], new Blob([bytes]), st);
  },
  /** Number of IndexedDB values (bundles, file records, chunks): shows what remove() leaves. */
  async countKeys(): Promise<number> {
    const { keys, createStore } = await import('idb-keyval');
    return (await keys(createStore('pandagpt-models', 'kv'))).length;
  },
};

declare global {
  interface Window {
    harness: typeof harness;
  }
}
window.harness = harness;
document.body.dataset.ready = '1';
