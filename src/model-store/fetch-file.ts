/**
 * Fetch one file content into IndexedDB: chunked, checked while streaming, resumable.
 * Invariants: chunks and the file record saying how many are stored are written in one
 * transaction; a file is marked complete only after every byte was checked against the manifest;
 * on a mismatch every chunk of it is deleted. Nothing here returns bytes to a caller.
 *
 * Checking overlaps the network: while chunk k is checked and written, chunk k+1 is being received;
 * at most PIPELINE chunks are in flight (bounded memory). When the manifest lists each chunk's
 * sha256 (`BundleFile.chunks`), chunks are checked on their own with WebCrypto, several at once;
 * otherwise the whole file's sha256 runs in a worker (hash-state.ts), chunk after chunk. Checking and
 * writing are two stages that overlap each other too; writes stay in order.
 */
import { PandaError, throwIfAborted } from '../core/errors';
import { Chunker } from './chunking';
import type { ModelDb } from './idb';
import { newSha256, openSha256, sha256Piece, type Sha256State, type Sha256Stream } from './hash-state';
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

/** Chunks received but not yet checked and stored: enough to keep the network busy meanwhile. */
const PIPELINE = 4;

/** A chunk that passed its check. */
interface Checked {
  bytes: Uint8Array<ArrayBuffer>;
  /** The whole-file hash state right after this chunk (null when chunks are checked on their own). */
  state: Sha256State | null;
}

/**
 * How a file's bytes are checked as its chunks arrive: the manifest's sha256 of each chunk
 * (`pieces`, checked on their own and at once), or the whole file's sha256 streamed chunk by chunk.
 */
interface Checker {
  /** Checks chunk `index`; resolves with the bytes to store and the hash state to save beside them. */
  check(index: number, bytes: Uint8Array<ArrayBuffer>): Promise<Checked>;
  /** After the last chunk: throws INTEGRITY_MISMATCH unless the file is the manifest's. */
  finish(): Promise<void>;
  close(): void;
}

const corrupt = (path: string, what: string, actual: string, expected: string) =>
  new PandaError('INTEGRITY_MISMATCH', `${path} is corrupt: the sha256 of ${what} is ${actual}, the manifest says ${expected}. It was not stored; try again or check the bundle.`, {
    path,
    expected,
    actual,
  });

/** Whole-file sha256, updated strictly in chunk order (one running hash). */
function streamChecker(hash: Sha256Stream, path: string, expected: string): Checker {
  let chain: Promise<unknown> = Promise.resolve();
  return {
    check(_index, bytes) {
      const r = chain.then(async () => {
        const back = await hash.update(bytes);
        return { bytes: back, state: await hash.save() };
      });
      chain = r.catch(() => undefined);
      return r;
    },
    async finish() {
      const digest = await hash.digest();
      if (digest !== expected) throw corrupt(path, 'the file', digest, expected);
    },
    close: () => hash.close(),
  };
}

/** Each chunk against the manifest's sha256 for it: no order, no state to save (resume is free). */
function pieceChecker(pieces: string[], path: string, chunkSize: number): Checker {
  return {
    async check(index, bytes) {
      const { hex, bytes: back } = await sha256Piece(bytes);
      const want = pieces[index];
      if (hex !== want) throw corrupt(path, `bytes ${index * chunkSize}–${index * chunkSize + bytes.length} (chunk ${index})`, hex, want ?? '(no such chunk)');
      return { bytes: back, state: null };
    },
    finish: async () => undefined,
    close: () => undefined,
  };
}

/**
 * Re-read stored chunks 0..n-1 into a fresh hasher (a resume without saved hash state, or
 * `verify`); null when one is missing. `onBytes` sees each chunk's size as it is hashed.
 */
export async function rehash(db: ModelDb, sha: string, n: number, onBytes?: (n: number) => void): Promise<Sha256Stream | null> {
  const h = await newSha256();
  for (let i = 0; i < n; i++) {
    const b = await db.getChunk(sha, i);
    if (!b) {
      h.close();
      return null;
    }
    const hashed = await h.update(new Uint8Array(await b.arrayBuffer()));
    onBytes?.(hashed.length);
  }
  return h;
}

/** Check stored chunks 0..n-1 piece by piece (stored by the streaming path, never checked so). */
async function recheck(db: ModelDb, sha: string, n: number, checker: Checker): Promise<boolean> {
  for (let i = 0; i < n; i++) {
    const b = await db.getChunk(sha, i);
    if (!b) return false;
    try {
      await checker.check(i, new Uint8Array(await b.arrayBuffer()));
    } catch {
      return false;
    }
  }
  return true;
}

export async function fetchFile(db: ModelDb, source: BundleSource, job: PlanJob, hooks: FetchFileHooks, opts: FetchFileOptions): Promise<void> {
  if (job.plan.kind === 'cached') return;
  const path = job.paths[0]!;
  const { chunkSize, pieces } = job.plan;
  const rec: FileRecord = { sha256: job.sha256, size: job.size, chunkSize, chunks: 0, hashState: null, complete: false, ...(pieces ? { pieces: true } : {}) };

  const hook = (code: NoticeCode, msg: string) => hooks.notice(code, msg);
  const newChecker = async (): Promise<Checker> => (pieces ? pieceChecker(pieces, path, chunkSize) : streamChecker(await newSha256(), path, job.sha256));

  // Where to start: after the stored chunks, with their hash state (saved, or recomputed).
  let resumed: Checker | null = null;
  if (job.plan.fromChunk > 0) {
    const n = job.plan.fromChunk;
    if (pieces) {
      resumed = await newChecker();
      if (job.plan.recheck) {
        hook('REHASHED', `Checking ${n} stored chunk(s) of ${path} against the manifest before continuing.`);
        if (!(await recheck(db, job.sha256, n, resumed))) resumed = null;
      }
    } else {
      const st = job.plan.hashState;
      let stream = st && st.length === n * chunkSize ? await openSha256(st) : null;
      if (!stream) {
        hook('REHASHED', `Re-reading ${n} stored chunk(s) of ${path} to continue its checksum (no saved hash state).`);
        stream = await rehash(db, job.sha256, n);
      }
      if (stream) {
        rec.hashState = await stream.save();
        resumed = streamChecker(stream, path, job.sha256);
      }
    }
    if (resumed) rec.chunks = n;
    else await db.deleteFile(job.sha256);
  }
  let checker: Checker = resumed ?? (await newChecker());

  // `received` counts bytes received so far: the stored chunks plus what `chunker` holds.
  let received = rec.chunks * chunkSize;
  let chunker = new Chunker(chunkSize);
  hooks.onReset(received);
  if (received > 0) hook('RESUMED', `Resuming ${path} at ${received} of ${job.size} bytes.`);

  // Check whole chunks as they are stored, so a saved hash state always covers exactly the stored
  // chunks (bytes past the last boundary live only in `chunker` until their chunk is full). Two
  // stages that overlap: later chunks are checked (in a worker, or by WebCrypto) while earlier ones
  // are written to IndexedDB. The chunks checked while a write was committing go out together: one
  // transaction for them and the file record (with the state after the last), in order. At most
  // PIPELINE chunks wait (bounded memory). `settle()` waits for both stages (and rethrows).
  interface Entry {
    checked: Promise<Checked>;
    value?: Checked;
  }
  let queue: Entry[] = [];
  let checking: Promise<unknown> = Promise.resolve();
  let storing: Promise<void> = Promise.resolve();
  let nextIndex = rec.chunks;
  let onWritten: () => void = () => undefined;
  const writeBatch = async (): Promise<void> => {
    const head = queue[0];
    if (!head) return; // written with an earlier batch
    head.value ??= await head.checked;
    let n = 1;
    while (n < queue.length && queue[n]!.value) n++;
    const batch = queue.slice(0, n).map((e) => e.value!);
    const index = rec.chunks;
    rec.chunks += n;
    rec.hashState = batch[n - 1]!.state;
    await db.putChunks(rec, index, batch.map((c) => c.bytes));
    queue = queue.slice(n);
    onWritten();
  };
  const enqueue = async (bytes: Uint8Array<ArrayBuffer>) => {
    const e: Entry = { checked: checker.check(nextIndex++, bytes) };
    e.checked.then(
      (v) => (e.value = v),
      () => undefined,
    );
    checking = Promise.all([checking, e.checked.catch(() => undefined)]);
    queue.push(e);
    storing = storing.then(writeBatch);
    storing.catch(() => undefined); // settle() rethrows it; until then it is not an unhandled rejection
    while (queue.length >= PIPELINE) await Promise.race([storing, new Promise<void>((r) => (onWritten = r))]);
  };
  const store = async (bytes: Uint8Array<ArrayBuffer>) => {
    await enqueue(bytes);
    await settle();
  };
  const settle = async () => {
    const [c, st] = [checking, storing];
    checking = Promise.resolve();
    storing = Promise.resolve();
    await c;
    await st;
  };

  const restart = async () => {
    await settle().catch(() => undefined);
    await db.deleteFile(job.sha256);
    rec.chunks = 0;
    rec.hashState = null;
    received = 0;
    nextIndex = 0;
    queue = [];
    checker.close();
    checker = await newChecker();
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
      await checker.finish();
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
