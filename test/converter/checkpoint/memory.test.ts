import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { floatToHalfBits } from '../../../converter/checkpoint/dtypes';
import { openCheckpoint, writeTorchCheckpoint, type WriterTensor } from '../../../converter/checkpoint/index';
import { tempDir } from './zip-fixtures';

// Reclaiming dropped buffers promptly makes RSS reflect what the code retains, not GC timing.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const TENSORS = 40;
const ROWS = 2048;
const COLS = 2048; // 8 MiB of fp16 per tensor, 320 MiB in all
const MiB = 2 ** 20;

describe('streaming memory', () => {
  it('writes and reads a 320 MiB checkpoint with RSS growth bounded by a few tensors', async () => {
    const dir = tempDir('mem');
    const file = join(dir, 'big.bin');
    try {
      await roundTrip(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function roundTrip(file: string): Promise<void> {
  const valueOf = (k: number) => (k - 20) / 8;
  gc();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };
  const tensors: WriterTensor[] = Array.from({ length: TENSORS }, (_, k) => ({
    name: `layers.${k}.weight`,
    shape: [ROWS, COLS],
    data: () => {
      sample();
      gc();
      const bits = new Uint16Array(ROWS * COLS).fill(floatToHalfBits(valueOf(k)));
      bits[k] = floatToHalfBits(-1); // one marker per tensor, so tensors cannot be swapped unnoticed
      return bits;
    },
  }));
  await writeTorchCheckpoint(file, tensors);
  sample();
  const size = statSync(file).size;
  expect(size).toBeGreaterThan(TENSORS * ROWS * COLS * 2);
  const writePeak = peak - rss0;

  gc();
  const rss1 = process.memoryUsage().rss;
  peak = rss1;
  const src = await openCheckpoint(file);
  expect(src.list()).toHaveLength(TENSORS);
  for (let k = 0; k < TENSORS; k++) {
    const v = await src.readF32(`layers.${k}.weight`);
    sample();
    expect(v.length).toBe(ROWS * COLS);
    expect(v[k]).toBe(-1);
    expect(v[k + 1]).toBe(valueOf(k));
    expect(v[v.length - 1]).toBe(valueOf(k));
    gc();
  }
  await src.close();
  const readPeak = peak - rss1;
  console.log(`file ${(size / MiB).toFixed(0)} MiB; RSS growth: write ${(writePeak / MiB).toFixed(0)} MiB, read ${(readPeak / MiB).toFixed(0)} MiB`);
  // One tensor read holds 8 MiB of bytes + 16 MiB of float32; allow for allocator slack.
  expect(writePeak).toBeLessThan(size / 4);
  expect(readPeak).toBeLessThan(size / 4);
}
