/**
 * Streams initializer bytes into numbered external-data files beside the .onnx graph, starting a
 * new file when the current one would pass `maxFileBytes` (browsers cap one ArrayBuffer, and the
 * model store caches files in chunks). Offsets are aligned to 4 KiB so the files can be mmapped.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ExternalDataSink } from './graph';

const ALIGN = 4096;

export class FileExternalDataSink implements ExternalDataSink {
  readonly files: string[] = [];
  private fd = -1;
  private offset = 0;
  readonly inlineThreshold: number;
  private readonly maxFileBytes: number;

  constructor(
    private readonly dir: string,
    private readonly baseName: string,
    opts: { maxFileBytes?: number; inlineThreshold?: number } = {},
  ) {
    this.maxFileBytes = opts.maxFileBytes ?? 1024 * 1024 * 1024;
    this.inlineThreshold = opts.inlineThreshold ?? 1024;
  }

  write(bytes: Uint8Array): { location: string; offset: number; length: number } {
    if (bytes.byteLength > this.maxFileBytes) {
      throw new Error(`one initializer of ${bytes.byteLength} bytes exceeds the external-data file limit of ${this.maxFileBytes} bytes`);
    }
    let start = Math.ceil(this.offset / ALIGN) * ALIGN;
    if (this.fd < 0 || start + bytes.byteLength > this.maxFileBytes) {
      this.nextFile();
      start = 0;
    }
    if (start > this.offset) writeSync(this.fd, new Uint8Array(start - this.offset));
    let written = 0;
    while (written < bytes.byteLength) written += writeSync(this.fd, bytes, written, bytes.byteLength - written);
    this.offset = start + bytes.byteLength;
    return { location: this.files[this.files.length - 1]!, offset: start, length: bytes.byteLength };
  }

  private nextFile(): void {
    if (this.fd >= 0) closeSync(this.fd);
    const name = `${this.baseName}.data${this.files.length ? `.${this.files.length}` : ''}`;
    this.files.push(name);
    this.fd = openSync(join(this.dir, name), 'w');
    this.offset = 0;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
