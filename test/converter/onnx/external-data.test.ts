/**
 * FileExternalDataSink writes every initializer at the offset it placed it at, whether its bytes
 * were in hand (write) or arrived later from a worker (writeLater), in any mix: a sync write after
 * an async one once landed at a stale file position (two ImageBind-Huge tensors swapped places in a
 * pooled conversion while the recorded hash, taken from the bytes, was right).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileExternalDataSink } from '../../../converter/onnx/external-data';
import { FileHashes, runWith } from '../../../converter/parallel/runtime';
import { createHash } from 'node:crypto';

const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);
const later = <T,>(v: T, ms = 5): Promise<T> => new Promise((r) => setTimeout(() => r(v), ms));

describe('FileExternalDataSink', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a write in hand after bytes that arrived later lands at its own offset, and the recorded hash is the file’s', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sink-'));
    const hashes = new FileHashes();
    const placed = await runWith({ hashes }, async () => {
      const sink = new FileExternalDataSink(dir, 'g.onnx');
      const a = sink.writeLater(5000, later(fill(5000, 1)));
      await sink.flush(); // a is written (positional write); the queue is empty again
      const b = sink.write(fill(3000, 2)); // written at once
      const c = sink.writeLater(2000, later(fill(2000, 3)));
      const d = sink.write(fill(1500, 4)); // queued behind c
      await sink.flush();
      const e = sink.write(fill(1200, 5));
      sink.close();
      return [a, b, c, d, e];
    });
    const file = readFileSync(join(dir, 'g.onnx.data'));
    placed.forEach((p, i) => expect(file.subarray(p.offset, p.offset + p.length).every((x) => x === i + 1), `initializer ${i} at ${p.offset}`).toBe(true));
    expect(hashes.get(join(dir, 'g.onnx.data'))?.sha256).toBe(createHash('sha256').update(file).digest('hex'));
  });
});
