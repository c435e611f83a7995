/**
 * Streams initializer bytes into numbered external-data files beside the .onnx graph, starting a
 * new file when the current one would pass `maxFileBytes` (browsers cap one ArrayBuffer, and the
 * model store caches files in chunks). Offsets are aligned to 4 KiB so the files can be mmapped.
 *
 * Placement (file, offset) is decided when an initializer is added; the bytes may come later
 * (`writeLater`, from a worker) and are written strictly in placement order, so a pooled build
 * writes the same files as an inline one. Each file's sha256 is computed from the bytes as they
 * are written (padding included) and recorded in the conversion's FileHashes, if any.
 */
import { closeSync, openSync, write, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { currentRuntime, FileDigest, type FileHashes } from '../parallel/runtime';
import type { ExternalDataSink, ExternalPlacement } from './graph';

const ALIGN = 4096;
const writeAt = promisify(write);

interface Pending {
  file: number;
  start: number;
  length: number;
  bytes: Uint8Array | Promise<Uint8Array>;
}

type Entry = Pending | { done: () => void };

export class FileExternalDataSink implements ExternalDataSink {
  /** Every file placed so far (written by the time `flush` resolves). */
  readonly files: string[] = [];
  readonly inlineThreshold: number;
  private readonly maxFileBytes: number;
  /** Placement cursor. */
  private planOffset = 0;
  /** Write cursor: the open file, its index and end. */
  private fd = -1;
  private fdFile = -1;
  private offset = 0;
  private hash?: FileDigest;
  private readonly hashes?: FileHashes;
  /** In placement order; only non-empty while some bytes are still being computed. */
  private readonly queue: Entry[] = [];
  private draining = false;
  /** An asynchronous write is in flight on `fd`. */
  private writing = false;
  private failure?: unknown;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly baseName: string,
    opts: { maxFileBytes?: number; inlineThreshold?: number } = {},
  ) {
    this.maxFileBytes = opts.maxFileBytes ?? 1024 * 1024 * 1024;
    this.inlineThreshold = opts.inlineThreshold ?? 1024;
    this.hashes = currentRuntime().hashes;
  }

  write(bytes: Uint8Array): ExternalPlacement {
    const p = this.place(bytes.byteLength);
    // Nothing waiting: write now, exactly as an unpooled build does.
    if (this.queue.length === 0) this.put(p.file, p.start, bytes);
    else this.queue.push({ ...p, bytes });
    return this.placement(p);
  }

  writeLater(length: number, bytes: Promise<Uint8Array>): ExternalPlacement {
    bytes.catch(() => {}); // handled: the drain records it and flush() rethrows it
    const p = this.place(length);
    this.queue.push({ ...p, bytes });
    void this.drain();
    return this.placement(p);
  }

  written(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((done) => this.queue.push({ done }));
  }

  async flush(): Promise<void> {
    await this.written();
    if (this.failure !== undefined) throw this.failure;
  }

  /** Closes the last file (recording its hash). Unwritten data is dropped: call `flush` first. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const complete = this.queue.length === 0 && this.failure === undefined;
    this.abandonQueue();
    // A write still in flight keeps the file open; the drain closes it when that write returns.
    if (!this.writing) this.finishFile(complete);
  }

  private place(length: number): { file: number; start: number; length: number } {
    if (this.failure !== undefined) throw this.failure;
    if (this.closed) throw new Error(`external data ${this.baseName}: write after close`);
    if (length > this.maxFileBytes) {
      throw new Error(`one initializer of ${length} bytes exceeds the external-data file limit of ${this.maxFileBytes} bytes`);
    }
    let start = Math.ceil(this.planOffset / ALIGN) * ALIGN;
    if (this.files.length === 0 || start + length > this.maxFileBytes) {
      this.files.push(`${this.baseName}.data${this.files.length ? `.${this.files.length}` : ''}`);
      start = 0;
    }
    this.planOffset = start + length;
    return { file: this.files.length - 1, start, length };
  }

  private placement(p: { file: number; start: number; length: number }): ExternalPlacement {
    return { location: this.files[p.file]!, offset: p.start, length: p.length };
  }

  /** Writes queued entries in order as their bytes arrive; one drain at a time. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length && !this.closed) {
        const e = this.queue[0]!;
        if ('done' in e) {
          this.queue.shift();
          e.done();
          continue;
        }
        let bytes: Uint8Array;
        try {
          bytes = await e.bytes;
        } catch (err) {
          this.failure ??= err;
          this.abandonQueue();
          break;
        }
        if (this.closed) break;
        if (bytes.byteLength !== e.length) {
          this.failure ??= new Error(`external data ${this.files[e.file]}: ${bytes.byteLength} bytes arrived for a place of ${e.length}`);
          this.abandonQueue();
          break;
        }
        this.writing = true;
        try {
          await this.putAsync(e.file, e.start, bytes);
        } finally {
          this.writing = false;
        }
        this.queue.shift();
      }
    } catch (err) {
      this.failure ??= err;
      this.abandonQueue();
    } finally {
      this.draining = false;
      if (this.closed) this.finishFile(false); // closed while a write was in flight
    }
  }

  /** Drops pending data; whoever waits for `written` is let go. */
  private abandonQueue(): void {
    for (const e of this.queue.splice(0)) if ('done' in e) e.done();
  }

  /** Opens `file` if it is not the current one; returns the parts to write: padding up to `start`, then `bytes`. */
  private parts(file: number, start: number, bytes: Uint8Array): Uint8Array[] {
    if (file !== this.fdFile) {
      this.finishFile(true);
      this.fd = openSync(join(this.dir, this.files[file]!), 'w');
      this.fdFile = file;
      this.offset = 0;
      this.hash = this.hashes ? new FileDigest() : undefined;
    }
    return start > this.offset ? [new Uint8Array(start - this.offset), bytes] : [bytes];
  }

  private put(file: number, start: number, bytes: Uint8Array): void {
    for (const part of this.parts(file, start, bytes)) {
      let written = 0;
      // Explicit positions, as putAsync's: a positional write does not move the file position, so
      // a write "at the current position" after one would land at a stale offset (it did: two
      // encoder tensors swapped places in a pooled ImageBind-Huge conversion, the hash was right).
      while (written < part.byteLength) written += writeSync(this.fd, part, written, part.byteLength - written, this.offset + written);
      this.hash?.update(part);
      this.offset += part.byteLength;
    }
  }

  /** `put` off the main thread (libuv's pool): the main thread hashes meanwhile and goes on feeding workers. */
  private async putAsync(file: number, start: number, bytes: Uint8Array): Promise<void> {
    for (const part of this.parts(file, start, bytes)) {
      const fd = this.fd;
      const done = (async () => {
        let written = 0;
        while (written < part.byteLength) written += (await writeAt(fd, part, written, part.byteLength - written, this.offset + written)).bytesWritten;
      })();
      this.hash?.update(part);
      await done;
      this.offset += part.byteLength;
    }
  }

  private finishFile(record: boolean): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    if (record && this.hash && this.hashes) this.hashes.record(join(this.dir, this.files[this.fdFile]!), this.hash.digest());
    this.fd = -1;
    this.hash = undefined;
  }
}
