/**
 * fetchFile against an in-memory stand-in for IndexedDB (same methods as ModelDb) and a scripted
 * source: resume points, saved hash state, restarts and integrity, without a browser. Each case runs
 * with both checks: the manifest's per-chunk sha256 (WebCrypto) and the whole-file sha256 (streamed).
 * The real IndexedDB + fetch path is covered by e2e/model-store.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FileDigest } from '../../converter/parallel/runtime';
import { PandaError } from '../../src/core/errors';
import { fetchFile } from '../../src/model-store/fetch-file';
import type { ModelDb } from '../../src/model-store/idb';
import { planFile, type FileRecord, type PlanJob } from '../../src/model-store/resume-plan';
import type { BundleSource, NoticeCode } from '../../src/model-store/types';

class MemDb {
  files = new Map<string, FileRecord>();
  chunks = new Map<string, Blob>();
  writes = 0;
  async getFile(sha: string) {
    const r = this.files.get(sha);
    return r && structuredClone(r);
  }
  async putFile(r: FileRecord) {
    this.files.set(r.sha256, structuredClone(r));
  }
  /** Sizes of the batches written (one transaction each). */
  batches: number[] = [];
  async putChunks(r: FileRecord, from: number, chunks: Uint8Array<ArrayBuffer>[]) {
    this.writes++;
    this.batches.push(chunks.length);
    await new Promise((ok) => setTimeout(ok, this.writeMs));
    chunks.forEach((c, i) => this.chunks.set(`${r.sha256}/${from + i}`, new Blob([c])));
    this.files.set(r.sha256, structuredClone(r));
  }
  /** A slow disk: each transaction takes this long. */
  writeMs = 0;
  async getChunk(sha: string, i: number) {
    return this.chunks.get(`${sha}/${i}`);
  }
  async deleteFile(sha: string) {
    this.files.delete(sha);
    for (const k of [...this.chunks.keys()]) if (k.startsWith(sha + '/')) this.chunks.delete(k);
  }
  async stored(sha: string): Promise<Buffer> {
    const r = this.files.get(sha)!;
    const parts: Buffer[] = [];
    for (let i = 0; i < r.chunks; i++) parts.push(Buffer.from(await this.chunks.get(`${sha}/${i}`)!.arrayBuffer()));
    return Buffer.concat(parts);
  }
}

interface Script {
  /** Fail the stream after this many bytes (once per entry). */
  dropAt?: number[];
  noRange?: boolean;
  corruptAt?: number;
}

function source(data: Buffer, s: Script, log: number[]): BundleSource {
  return {
    kind: 'url',
    label: 'test',
    idFor: () => 'test',
    readManifest: async () => '{}',
    async openFile(_path, start) {
      const from = s.noRange ? 0 : start;
      log.push(start);
      const drop = s.dropAt?.shift();
      let off = from;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (drop !== undefined && off >= drop) return c.error(new TypeError('network error'));
          if (off >= data.length) return c.close();
          const n = 777 + (off % 1300); // odd piece sizes, never aligned to chunks
          const piece = Buffer.from(data.subarray(off, Math.min(data.length, off + n, drop ?? Infinity)));
          if (s.corruptAt !== undefined && s.corruptAt >= off && s.corruptAt < off + piece.length) piece[s.corruptAt - off]! ^= 1;
          off += piece.length;
          c.enqueue(new Uint8Array(piece));
        },
      });
      return { start: from, body };
    },
  };
}

const CH = 4096;
type Mode = 'pieces' | 'stream';
async function runIn(db: MemDb, data: Buffer, s: Script, retries = 3, mode: Mode = 'stream') {
  const sha = createHash('sha256').update(data).digest('hex');
  // The manifest's piece hashes as the converter writes them.
  const pieces = mode === 'pieces' ? new FileDigest(CH).update(data).digest().chunks : undefined;
  const job: PlanJob = { sha256: sha, size: data.length, paths: ['f.bin'], plan: planFile(data.length, sha, await db.getFile(sha), CH, pieces) };
  const log: number[] = [];
  const notices: NoticeCode[] = [];
  let loaded = 0;
  const p = fetchFile(db as unknown as ModelDb, source(data, s, log), job, {
    onBytes: (_d, l) => (loaded = l),
    onReset: (l) => (loaded = l),
    notice: (c) => notices.push(c),
  }, { retries, signal: new AbortController().signal, backoffMs: () => 0 });
  return { p, log, notices, sha, loaded: () => loaded };
}

describe.each(['pieces', 'stream'] as const)('fetchFile (%s)', (mode) => {
  const data = randomBytes(10 * CH + 123);
  const run = (db: MemDb, d: Buffer, s: Script, retries = 3) => runIn(db, d, s, retries, mode);

  it('stores a verified file in exact chunks', async () => {
    const db = new MemDb();
    const r = await run(db, data, {});
    await r.p;
    expect(db.files.get(r.sha)).toMatchObject({ complete: true, chunks: 11, chunkSize: CH, hashState: null });
    expect(db.files.get(r.sha)!.pieces).toBe(mode === 'pieces' ? true : undefined);
    expect((await db.stored(r.sha)).equals(data)).toBe(true);
    expect(r.log).toEqual([0]);
    expect(r.loaded()).toBe(data.length);
  });

  it('on a slow disk, chunks checked meanwhile are written together (one transaction), in order, at most 4 waiting', async () => {
    const db = new MemDb();
    db.writeMs = 15;
    const r = await run(db, data, {});
    await r.p;
    expect((await db.stored(r.sha)).equals(data)).toBe(true);
    expect(db.batches.reduce((a, b) => a + b, 0)).toBe(11);
    expect(Math.max(...db.batches)).toBeGreaterThan(1);
    expect(Math.max(...db.batches)).toBeLessThanOrEqual(4);
    expect(db.files.get(r.sha)).toMatchObject({ complete: true, chunks: 11 });
  });

  it('retries a dropped stream from the exact byte it reached', async () => {
    const db = new MemDb();
    const r = await run(db, data, { dropAt: [5000, 30001] });
    await r.p;
    expect(r.log).toEqual([0, 5000, 30001]);
    expect(r.notices).toEqual(['RETRYING', 'RETRYING']);
    expect((await db.stored(r.sha)).equals(data)).toBe(true);
  });

  it('after a failure, resumes at the stored chunk boundary with the saved hash state, or none needed (no re-read)', async () => {
    const db = new MemDb();
    const first = await run(db, data, { dropAt: [3 * CH + 999] }, 0);
    await expect(first.p).rejects.toMatchObject({ code: 'DOWNLOAD_FAILED' });
    const rec = db.files.get(first.sha)!;
    expect(rec).toMatchObject({ complete: false, chunks: 3 });
    expect(rec.hashState?.length).toBe(mode === 'stream' ? 3 * CH : undefined);
    const second = await run(db, data, {});
    await second.p;
    expect(second.log).toEqual([3 * CH]);
    expect(second.notices).toEqual(['RESUMED']);
    expect((await db.stored(second.sha)).equals(data)).toBe(true);
  });

  if (mode === 'stream') it('re-hashes stored chunks when no hash state was saved', async () => {
    const db = new MemDb();
    const first = await run(db, data, { dropAt: [2 * CH + 5] }, 0);
    await expect(first.p).rejects.toThrow();
    db.files.get(first.sha)!.hashState = null;
    const second = await run(db, data, {});
    await second.p;
    expect(second.notices).toEqual(['REHASHED', 'RESUMED']);
    expect(second.log).toEqual([2 * CH]);
    expect(db.files.get(second.sha)!.complete).toBe(true);
  });

  it('restarts from 0 when the source ignores Range, and the result is still exact', async () => {
    const db = new MemDb();
    const r = await run(db, data, { dropAt: [5 * CH + 7], noRange: true });
    await r.p;
    expect(r.notices).toEqual(['RETRYING', 'RANGE_UNSUPPORTED']);
    expect((await db.stored(r.sha)).equals(data)).toBe(true);
  });

  it('a flipped byte fails with INTEGRITY_MISMATCH and leaves nothing stored', async () => {
    const db = new MemDb();
    const r = await run(db, data, { corruptAt: 7 * CH + 1 });
    const e = await r.p.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PandaError);
    expect((e as PandaError).code).toBe('INTEGRITY_MISMATCH');
    // Piece by piece, the message says which bytes are wrong.
    if (mode === 'pieces') expect((e as PandaError).message).toContain(`bytes ${7 * CH}–${8 * CH} (chunk 7)`);
    expect(db.files.size).toBe(0);
    expect(db.chunks.size).toBe(0);
  });
});

describe('fetchFile: from the streamed check to per-chunk hashes', () => {
  const data = randomBytes(10 * CH + 123);

  it('chunks stored by the streaming check are checked piece by piece before resuming', async () => {
    const db = new MemDb();
    const first = await runIn(db, data, { dropAt: [4 * CH + 1] }, 0, 'stream');
    await expect(first.p).rejects.toMatchObject({ code: 'DOWNLOAD_FAILED' });
    const second = await runIn(db, data, {}, 3, 'pieces');
    await second.p;
    expect(second.notices).toEqual(['REHASHED', 'RESUMED']);
    expect(second.log).toEqual([4 * CH]);
    expect(db.files.get(second.sha)).toMatchObject({ complete: true, pieces: true });
    expect((await db.stored(second.sha)).equals(data)).toBe(true);
  });

  it('a damaged stored chunk found by that check restarts the file from 0', async () => {
    const db = new MemDb();
    const first = await runIn(db, data, { dropAt: [4 * CH + 1] }, 0, 'stream');
    await expect(first.p).rejects.toMatchObject({ code: 'DOWNLOAD_FAILED' });
    const bad = Buffer.from(await db.chunks.get(`${first.sha}/2`)!.arrayBuffer());
    bad[10]! ^= 0xff;
    db.chunks.set(`${first.sha}/2`, new Blob([bad]));
    const second = await runIn(db, data, {}, 3, 'pieces');
    await second.p;
    expect(second.log).toEqual([0]);
    expect((await db.stored(second.sha)).equals(data)).toBe(true);
  });
});
