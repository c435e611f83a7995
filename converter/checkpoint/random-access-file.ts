import { open, type FileHandle } from 'node:fs/promises';
import { PandaError } from '../../src/core/errors';

/** Largest single positional read; bigger ranges are read in pieces (Node caps one read at 2 GiB). */
const MAX_CHUNK = 1 << 30;

/**
 * A file read only by positional reads, so a 10 GB shard never enters memory as a whole.
 * Reads past EOF raise CHECKPOINT_TRUNCATED naming the file and, when known, the tensor.
 */
export class RandomAccessFile {
  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<RandomAccessFile> {
    const fh = await open(path, 'r');
    const { size } = await fh.stat();
    return new RandomAccessFile(path, fh, size);
  }

  /** Reads exactly `length` bytes at `position`; `what` names the tensor/entry for the error. */
  async read(position: number, length: number, what?: string): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const want = Math.min(MAX_CHUNK, length - done);
      const { bytesRead } = await this.fh.read(out, done, want, position + done);
      if (bytesRead === 0) throw this.truncated(position + length, what);
      done += bytesRead;
    }
    return out;
  }

  truncated(needed: number, what?: string): PandaError {
    const subject = what ? ` while reading ${what}` : '';
    return new PandaError(
      'CHECKPOINT_TRUNCATED',
      `${this.path} is truncated${subject}: it needs ${needed} bytes but has ${this.size}. Re-download or re-copy the file.`,
      { file: this.path, tensor: what, needed, size: this.size },
    );
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
