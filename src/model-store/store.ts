/** `createModelStore()`: the IndexedDB-backed ModelStore (see types.ts for the contract). */
import { PandaError, throwIfAborted } from '../core/errors';
import { downloadedFiles, parseManifest, type BundleManifest } from '../core/manifest';
import { openCachedBundle } from './cached-bundle';
import { DEFAULT_CHUNK_SIZE, checkChunkSize } from './chunking';
import { fetchFile, rehash } from './fetch-file';
import { sha256Piece } from './hash-state';
import { ModelDb, type BundleRecord } from './idb';
import { diffManifests, manifestHashes } from './manifest-diff';
import { runPool } from './pool';
import { ProgressTracker } from './progress';
import { checkQuota, formatBytes, freeBytes, mapQuotaError, requestPersist } from './quota';
import { missingBytes, planBundle, storedBytes, type FileRecord } from './resume-plan';
import type { BundleSource, CachedBundle, CachedBundleInfo, ModelStore, PrepareEvent, PrepareOptions } from './types';

export interface ModelStoreOptions {
  /** IndexedDB database name (tests use their own). */
  dbName?: string;
  /** Bytes per stored chunk; a multiple of 64 (default 16 MiB). Existing files keep theirs. */
  chunkSize?: number;
  /** When a complete copy is cached, give up revalidating manifest.json after this long (default 5000 ms). */
  manifestTimeoutMs?: number;
  /** Minimum ms between progress events (default 100). */
  progressIntervalMs?: number;
  now?: () => number;
}

const isOffline = (e: unknown) => e instanceof PandaError && e.code === 'DOWNLOAD_FAILED' && e.details.retryable === true;

/** `fn` with a signal that also aborts after `ms`; the timeout surfaces as a retryable DOWNLOAD_FAILED. */
async function withTimeout<T>(ms: number, outer: AbortSignal | undefined, fn: (s: AbortSignal) => Promise<T>): Promise<T> {
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctrl.abort();
  }, ms);
  try {
    return await fn(ctrl.signal);
  } catch (e) {
    if (timedOut) throw new PandaError('DOWNLOAD_FAILED', `The server did not answer within ${ms / 1000} s.`, { retryable: true, network: true });
    throw e;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
  }
}

/** Run `fn` under a Web Lock when the browser has them (all current ones do); else directly. */
async function withLock<T>(name: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return fn();
  try {
    return await locks.request(name, signal ? { signal } : {}, fn);
  } catch (e) {
    if ((e as { name?: string }).name === 'AbortError' && signal?.aborted) throw new PandaError('ABORTED', 'Stopped.');
    throw e;
  }
}

export function createModelStore(opts: ModelStoreOptions = {}): ModelStore {
  const db = new ModelDb(opts.dbName);
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  checkChunkSize(chunkSize);
  const now = opts.now ?? (() => performance.now());
  const interval = opts.progressIntervalMs ?? 100;
  const manifestTimeout = opts.manifestTimeoutMs ?? 5000;

  async function touch(r: BundleRecord): Promise<void> {
    r.lastUsed = Date.now();
    await db.putBundle(r);
  }

  /** Delete stored contents no bundle record (complete or pending) refers to. */
  async function collectGarbage(): Promise<void> {
    const keep = new Set<string>();
    for (const r of await db.listBundles()) {
      for (const t of [r.manifestText, r.pendingManifestText]) if (t) manifestHashes(parseManifest(t)).forEach((h) => keep.add(h));
    }
    for (const h of await db.storedHashes()) if (!keep.has(h)) await db.deleteFile(h);
  }

  async function isComplete(m: BundleManifest): Promise<boolean> {
    for (const h of manifestHashes(m)) if (!(await db.getFile(h))?.complete) return false;
    return true;
  }

  async function open(id: string): Promise<CachedBundle> {
    const r = await db.getBundle(id);
    if (!r?.manifestText) throw new PandaError('BUNDLE_FILE_MISSING', `No complete copy of "${id}" is cached. Load it again while online.`, { id });
    const m = parseManifest(r.manifestText);
    if (!(await isComplete(m))) throw new PandaError('BUNDLE_FILE_MISSING', `The cached copy of ${r.name} is incomplete (the browser may have evicted part of it). Load it again while online.`, { id });
    await touch(r);
    return openCachedBundle(db, id, m);
  }

  async function prepare(source: BundleSource, o: PrepareOptions = {}): Promise<CachedBundle> {
    const emit = (e: PrepareEvent) => o.onProgress?.(e);
    throwIfAborted(o.signal);

    let text: string;
    const cached = source.knownId ? await db.getBundle(source.knownId) : undefined;
    try {
      // With a cached copy, a server that does not answer soon (lie-fi) must not hold the app up.
      text = cached?.manifestText ? await withTimeout(manifestTimeout, o.signal, (s) => source.readManifest(s)) : await source.readManifest(o.signal);
    } catch (e) {
      // Offline, server down or too slow: a complete cached copy lets the app start anyway.
      if (isOffline(e) && cached?.manifestText) {
        emit({ type: 'notice', code: 'OFFLINE_USING_CACHE', message: `Could not check ${source.label} for updates (${(e as Error).message}); using the cached copy.` });
        return open(cached.id);
      }
      throw e;
    }
    const manifest = parseManifest(text);
    const id = source.idFor(manifest);
    // One download per bundle at a time across tabs and callers (the app and the panel may both
    // ask): a second caller waits, then finds the files complete and returns from cache.
    return withLock(`pandagpt-model:${id}`, o.signal, () => prepareLocked(source, o, text, manifest, id));
  }

  async function prepareLocked(source: BundleSource, o: PrepareOptions, text: string, manifest: BundleManifest, id: string): Promise<CachedBundle> {
    const emit = (e: PrepareEvent) => o.onProgress?.(e);
    const now0 = Date.now();
    const rec: BundleRecord = (await db.getBundle(id)) ?? {
      id,
      name: manifest.name,
      label: source.label,
      kind: source.kind,
      manifestText: null,
      pendingManifestText: null,
      sizeBytes: 0,
      createdAt: now0,
      lastUsed: now0,
    };
    const total = downloadedFiles(manifest).reduce((s, [, f]) => s + f.size, 0);

    // Unchanged and complete: no model file request at all.
    if (rec.manifestText === text && (await isComplete(manifest))) {
      emit({ type: 'manifest', id, name: manifest.name, totalBytes: total, missingBytes: 0 });
      const hadPending = rec.pendingManifestText !== null;
      rec.pendingManifestText = null; // an abandoned update (the server went back): drop its partial files
      await touch(rec);
      if (hadPending) await collectGarbage();
      return openCachedBundle(db, id, manifest);
    }
    if (rec.manifestText && rec.manifestText !== text) {
      const d = diffManifests(parseManifest(rec.manifestText), manifest);
      emit({
        type: 'notice',
        code: 'MANIFEST_CHANGED',
        message: `${source.label} has a new version: ${d.added.length + d.changed.length} file(s) to fetch (${formatBytes(d.changedBytes)}), ${d.unchanged.length} unchanged, ${d.removed.length} removed.`,
      });
    }

    const records = new Map<string, FileRecord>();
    for (const h of manifestHashes(manifest)) {
      const r = await db.getFile(h);
      if (r) records.set(h, r);
    }
    const jobs = planBundle(manifest, records, chunkSize);
    const missing = missingBytes(jobs);
    emit({ type: 'manifest', id, name: manifest.name, totalBytes: total, missingBytes: missing });

    if (missing > 0) {
      const free = await freeBytes();
      const persisted = await requestPersist();
      emit({ type: 'storage', neededBytes: missing, freeBytes: free, persisted });
      if (persisted === false) emit({ type: 'notice', code: 'PERSIST_DENIED', message: 'The browser did not grant persistent storage: it may delete cached models when the disk is nearly full.' });
      checkQuota(missing, free, manifest.name);
      await o.beforeDownload?.(manifest, missing);
    }

    rec.pendingManifestText = text;
    rec.label = source.label;
    await db.putBundle(rec);

    const paths = jobs.flatMap((j) => j.paths.map((p) => ({ p, j })));
    const tracker = new ProgressTracker(
      paths.map(({ p, j }) => ({ path: p, size: j.size, loaded: storedBytes(j), status: j.plan.kind === 'cached' ? 'cached' : 'queued' })),
      now,
    );
    let lastEmit = -Infinity;
    const report = (force = false) => {
      const t = now();
      if (!force && t - lastEmit < interval) return;
      lastEmit = t;
      emit({ type: 'progress', progress: tracker.snapshot() });
    };
    report(true);

    try {
      await runPool(
        jobs.filter((j) => j.plan.kind !== 'cached'),
        o.concurrency ?? 3,
        o.signal,
        async (job, signal) => {
          const set = (f: (p: string) => void) => job.paths.forEach(f);
          try {
            await fetchFile(
              db,
              source,
              job,
              {
                onBytes: (delta) => {
                  set((p) => tracker.add(p, delta));
                  report();
                },
                onReset: (loaded) => set((p) => tracker.setLoaded(p, loaded)),
                notice: (code, message) => emit({ type: 'notice', code, message, path: job.paths[0] }),
              },
              { retries: o.retries ?? 3, signal },
            );
          } catch (e) {
            set((p) => tracker.setStatus(p, 'failed'));
            report(true);
            throw mapQuotaError(e, manifest.name);
          }
          set((p) => tracker.setStatus(p, 'done'));
          report(true);
        },
      );
    } catch (e) {
      // The user's abort wins over the follow-up errors of the jobs it cancelled.
      if (o.signal?.aborted) throw new PandaError('ABORTED', 'Stopped.');
      throw e;
    }

    rec.manifestText = text;
    rec.pendingManifestText = null;
    rec.name = manifest.name;
    rec.sizeBytes = total;
    await touch(rec);
    await collectGarbage();
    return openCachedBundle(db, id, manifest);
  }

  async function list(): Promise<CachedBundleInfo[]> {
    const out: CachedBundleInfo[] = [];
    for (const r of await db.listBundles()) {
      const hashes = new Set<string>();
      for (const t of [r.manifestText, r.pendingManifestText]) if (t) manifestHashes(parseManifest(t)).forEach((h) => hashes.add(h));
      let stored = 0;
      for (const h of hashes) {
        const f = await db.getFile(h);
        if (f) stored += f.complete ? f.size : Math.min(f.size, f.chunks * f.chunkSize);
      }
      out.push({
        id: r.id,
        name: r.name,
        label: r.label,
        kind: r.kind,
        sizeBytes: r.manifestText ? r.sizeBytes : 0,
        storedBytes: stored,
        complete: r.manifestText !== null,
        partial: r.pendingManifestText !== null,
        lastUsed: r.lastUsed,
      });
    }
    return out.sort((a, b) => b.lastUsed - a.lastUsed);
  }

  /** Bytes of stored chunks 0..n-1 whose whole sha256 is `sha`; -1 when it is not (or one is missing). */
  async function streamHash(sha: string, n: number, onBytes: (n: number) => void): Promise<number> {
    let bytes = 0;
    const h = await rehash(db, sha, n, (k) => {
      bytes += k;
      onBytes(k);
    });
    return h && (await h.digest()) === sha ? bytes : -1;
  }

  /** Bytes of stored chunks 0..n-1 when each matches its piece hash, two checked at a time; else -1. */
  async function checkPieces(sha: string, n: number, pieces: string[], onBytes: (n: number) => void): Promise<number> {
    if (n !== pieces.length) return -1;
    let bytes = 0;
    let next = 0;
    let bad = false;
    const lane = async () => {
      while (next < n && !bad) {
        const i = next++;
        const b = await db.getChunk(sha, i);
        const hex = b ? (await sha256Piece(new Uint8Array(await b.arrayBuffer()))).hex : null;
        if (hex !== pieces[i]) bad = true;
        else {
          bytes += b!.size;
          onBytes(b!.size);
        }
      }
    };
    await Promise.all([lane(), lane()]);
    return bad ? -1 : bytes;
  }

  async function verify(id: string, vo: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<boolean> {
    const r = await db.getBundle(id);
    const text = r?.manifestText ?? r?.pendingManifestText;
    if (!r || !text) throw new PandaError('BUNDLE_FILE_MISSING', `Nothing is cached for "${id}".`, { id });
    const m = parseManifest(text);
    const total = downloadedFiles(m).reduce((s, [, f]) => s + f.size, 0);
    let done = 0;
    let ok = true;
    const onBytes = (n: number) => vo.onProgress?.((done += n), total);
    for (const f of new Map(downloadedFiles(m).map(([, f]) => [f.sha256, f])).values()) {
      throwIfAborted(vo.signal);
      const fr = await db.getFile(f.sha256);
      if (!fr?.complete) {
        ok = false;
        continue;
      }
      const n = f.chunks && fr.pieces && fr.chunkSize === f.chunks.size ? await checkPieces(f.sha256, fr.chunks, f.chunks.sha256, onBytes) : await streamHash(f.sha256, fr.chunks, onBytes);
      if (n !== f.size) {
        ok = false;
        // Drop the broken content so the next prepare fetches it again instead of serving bad bytes.
        await db.deleteFile(f.sha256);
      }
    }
    if (!ok && r.manifestText) {
      r.pendingManifestText = r.manifestText;
      r.manifestText = null;
      await db.putBundle(r);
    }
    return ok;
  }

  async function remove(id: string): Promise<void> {
    await db.deleteBundle(id);
    await collectGarbage();
  }

  return { prepare, open, list, verify, remove };
}
