/**
 * Fetch one file content into IndexedDB: chunked, hashed while streaming, resumable.
 * Invariants: chunk k and the file record saying "k+1 chunks stored" are written in one
 * transaction; a file is marked complete only after its sha256 matched; on mismatch every
 * chunk of it is deleted. Nothing here returns bytes to a caller.
 *
 * Hashing runs in a worker (hash-state.ts) and overlaps the network: while chunk k is hashed and
 * written, chunk k+1 is being received; at most PIPELINE chunks are in flight (bounded memory).
 * Hashing and writing are two ordered stages that overlap each other too.
 */
import { PandaError, throwIfAborted } from '../core/errors';
import { Chunker } from './chunking';
import type { ModelDb } from './idb';
import { newSha256, openSha256, type Sha256Stream } from './hash-state';
import type { FileRecord, PlanJob } from './resume-plan';
import type { BundleSource, NoticeCode } from './types';

export interface FetchFileHooks {
  /** Bytes of `job` now stored or in flight: `loaded` is absolute, `delta` the new bytes received. */
  onBytes(delta: number, loaded: number): void;
  /** The file restarted at `loaded` (a restart from 0 or a resume point). */
  onReset(loaded: number): void;
  notice(code: NoticeCode, message: string): void;
}

export interface FetchFileOptions {
  retries: number;
  signal: AbortSignal;
  /** Delay before retry n (ms); injectable so tests do not wait. */
  backoffMs?: (attempt: number) => number;
}

const isRetryable = (e: unknown) => e instanceof PandaError && e.code === 'DOWNLOAD_FAILED' && e.details.retryable === true;

/** Chunks received but not yet hashed and stored: enough to keep the network busy meanwhile. */
const PIPELINE = 3;

/** Re-read stored chunks 0..n-1 into a fresh hasher (when no hash state was saved). */
async function rehash(db: ModelDb, sha: string, n: number): Promise<Sha256Stream | null> {
  const h = await newSha256();
  for (let i = 0; i < n; i++) {
    const b = await db.getChunk(sha, i);
    if (!b) {
      h.close();
      return null;
    }
    await h.update(new Uint8Array(await b.arrayBuffer()));
  }
  return h;
}

export async function fetchFile(db: ModelDb, source: BundleSource, job: PlanJob, hooks: FetchFileHooks, opts: FetchFileOptions): Promise<void> {
  if (job.plan.kind === 'cached') return;
  const path = job.paths[0]!;
  const { chunkSize } = job.plan;
  const rec: FileRecord = { sha256: job.sha256, size: job.size, chunkSize, chunks: 0, hashState: null, complete: false };

  const hook = (code: NoticeCode, msg: string) => hooks.notice(code, msg);

  // Where to start: after the stored chunks, with their hash state (saved, or recomputed).
  let resumed: Sha256Stream | null = null;
  if (job.plan.fromChunk > 0) {
    const st = job.plan.hashState;
    resumed = st && st.length === job.plan.fromChunk * chunkSize ? await openSha256(st) : null;
    if (!resumed) {
      hook('REHASHED', `Re-reading ${job.plan.fromChunk} stored chunk(s) of ${path} to continue its checksum (no saved hash state).`);
      resumed = await rehash(db, job.sha256, job.plan.fromChunk);
    }
    if (resumed) {
      rec.chunks = job.plan.fromChunk;
      rec.hashState = await resumed.save();
    } else await db.deleteFile(job.sha256);
  }
  let hash: Sha256Stream = resumed ?? (await newSha256());

  // `received` counts bytes received so far: the stored chunks plus what `chunker` holds.
  let received = rec.chunks * chunkSize;
  let chunker = new Chunker(chunkSize);
  hooks.onReset(received);
  if (received > 0) hook('RESUMED', `Resuming ${path} at ${received} of ${job.size} bytes.`);

  // Hash whole chunks as they are stored, so the saved hash state always covers exactly the
  // stored chunks (bytes past the last boundary live only in `chunker` until their chunk is full).
  // Two ordered stages that overlap: chunk k+1 is hashed (in the worker) while chunk k is written
  // to IndexedDB with the hash state taken right after it. `settle()` waits for both (and rethrows).
  let hashing: Promise<unknown> = Promise.resolve();
  let storing: Promise<void> = Promise.resolve();
  let inFlight = 0;
  const enqueue = async (bytes: Uint8Array<ArrayBuffer>) => {
    const hashed = hashing.then(async () => {
      const back = await hash.update(bytes);
      return { back, state: await hash.save() };
    });
    hashing = hashed.catch(() => undefined);
    inFlight++;
    const stored = storing.then(async () => {
      const { back, state } = await hashed;
      const index = rec.chunks;
      rec.chunks++;
      rec.hashState = state;
      await db.putChunk(rec, index, back);
    });
    storing = stored.finally(() => inFlight--);
    if (inFlight >= PIPELINE) await stored;
  };
  const store = async (bytes: Uint8Array<ArrayBuffer>) => {
    await enqueue(bytes);
    await settle();
  };
  const settle = async () => {
    const [h, st] = [hashing, storing];
    hashing = Promise.resolve();
    storing = Promise.resolve();
    await h;
    await st;
  };

  const restart = async () => {
    await settle().catch(() => undefined);
    await db.deleteFile(job.sha256);
    rec.chunks = 0;
    rec.hashState = null;
    received = 0;
    hash.close();
    hash = await newSha256();
    chunker = new Chunker(chunkSize);
    hooks.onReset(0);
  };

  let attempt = 0;
  for (;;) {
    throwIfAborted(opts.signal);
    try {
      if (received < job.size) {
        const stream = await source.openFile(path, received, opts.signal);
        if (stream.start !== received) {
          hook('RANGE_UNSUPPORTED', `The server does not support resuming (HTTP Range) for ${path}: downloading it again from the start.`);
          await restart();
        }
        const reader = stream.body.getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            if (received + value.length > job.size) {
              throw new PandaError('INTEGRITY_MISMATCH', `${path} is larger than the manifest says (${job.size} bytes). The bundle on the server does not match its manifest.`, {
                path,
                expectedSize: job.size,
              });
            }
            received += value.length;
            hooks.onBytes(value.length, received);
            for (const c of chunker.push(value)) await enqueue(c);
          }
          await settle();
        } catch (e) {
          await reader.cancel().catch(() => undefined);
          await settle().catch(() => undefined);
          if (e instanceof PandaError) throw e;
          if (opts.signal.aborted) throw new PandaError('ABORTED', 'Stopped.');
          throw new PandaError('DOWNLOAD_FAILED', `The connection dropped while downloading ${path} (${(e as Error)?.message ?? e}).`, { path, retryable: true, network: true });
        }
        if (received < job.size) {
          throw new PandaError('DOWNLOAD_FAILED', `${path} ended early: ${received} of ${job.size} bytes.`, { path, retryable: true });
        }
      }
      const last = chunker.flush();
      if (last) await store(last);
      const digest = await hash.digest();
      if (digest !== job.sha256) {
        throw new PandaError('INTEGRITY_MISMATCH', `${path} is corrupt: its sha256 is ${digest}, the manifest says ${job.sha256}. It was not stored; try again or check the bundle.`, {
          path,
          expected: job.sha256,
          actual: digest,
        });
      }
      rec.complete = true;
      rec.hashState = null;
      await db.putFile(rec);
      return;
    } catch (e) {
      if (e instanceof PandaError && e.code === 'INTEGRITY_MISMATCH') await db.deleteFile(job.sha256);
      if (!isRetryable(e) || attempt >= opts.retries || opts.signal.aborted) throw e;
      attempt++;
      hook('RETRYING', `${(e as Error).message} Retrying (${attempt}/${opts.retries}) from byte ${received}.`);
      await sleep(opts.backoffMs?.(attempt) ?? 500 * 2 ** (attempt - 1), opts.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new PandaError('ABORTED', 'Stopped.'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
