import { describe, expect, it } from 'vitest';
import { storedToF32 } from '../../../converter/checkpoint/dtypes';
import type { StoredTensor } from '../../../converter/checkpoint/types';
import { linearChunkData, linearDataStreamed } from '../../../converter/llama/graph/linear';
import { mergeLora } from '../../../converter/llama/lora';
import { quantizeRowsQ8, quantizeStoredRowsQ8 } from '../../../converter/quant/rows-q8';
import { f32ArrayToF16 } from '../../../src/core/half';
import type { WeightFormat } from '../../../src/core/manifest';

/**
 * The converter decodes a stored weight a few rows at a time (13B's lm_head no longer needs 2 GB):
 * every streamed result must be byte for byte what the whole-matrix functions give.
 */
function random(n: number, seed: number): Float32Array {
  let x = seed;
  return Float32Array.from({ length: n }, () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.2);
}

/** fp16 / bf16 / fp32 checkpoint bytes of `v` (bf16 by truncation is fine for a test). */
function stored(v: Float32Array, shape: number[], dtype: StoredTensor['dtype']): StoredTensor {
  if (dtype === 'float32') return { bytes: new Uint8Array(v.slice().buffer), dtype, span: v.length, shape };
  const bits = dtype === 'float16' ? f32ArrayToF16(v) : Uint16Array.from(new Uint32Array(v.slice().buffer), (u) => u >>> 16);
  return { bytes: new Uint8Array(bits.buffer), dtype, span: v.length, shape };
}

const bytes = (v: ArrayBufferView): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

describe('streamed decoding gives the whole-matrix bytes', () => {
  const [n, k, rank] = [37, 70, 4]; // k not a multiple of the q4 block; rows not a multiple of the step
  const chunks: [number, number][] = [[0, 16], [16, 37]];
  const lora = { a: random(rank * k, 3), b: random(n * rank, 4), rank, scaling: 8 };

  for (const dtype of ['float16', 'bfloat16', 'float32'] as const) {
    for (const format of ['q4', 'fp16', 'fp32'] as WeightFormat[]) {
      for (const withLora of [false, true]) {
        it(`${dtype} → ${format}${withLora ? ' with LoRA merged' : ''}, 3 rows at a time and whole`, () => {
          const s = stored(random(n * k, 1), [n, k], dtype);
          const f = storedToF32(s);
          const merged = withLora ? mergeLora(f, lora.a, lora.b, n, k, rank, lora.scaling) : f;
          const want = chunks.map(([n0, n1]) => linearChunkData(merged, k, n0, n1, format).map(bytes));
          for (const streamFloats of [3 * k, 1 << 22]) {
            const got = linearDataStreamed(s, withLora ? lora : undefined, n, k, chunks, format, streamFloats);
            expect(got.map((c) => c.map(bytes))).toEqual(want);
          }
        });
      }
    }
  }

  it('a strided (non-contiguous) stored view is gathered and gives the same bytes', () => {
    const t = random(n * k, 5); // stored as (k, n) and viewed transposed as (n, k)
    const s: StoredTensor = { ...stored(t, [k, n], 'float16'), shape: [n, k], stride: [1, n] };
    const want = chunks.map(([n0, n1]) => linearChunkData(storedToF32(s), k, n0, n1, 'q4').map(bytes));
    expect(linearDataStreamed(s, undefined, n, k, chunks, 'q4', 2 * k).map((c) => c.map(bytes))).toEqual(want);
  });

  it('per-row int8 tables: streamed = whole, for each stored dtype', () => {
    for (const dtype of ['float16', 'bfloat16', 'float32'] as const) {
      const s = stored(random(n * k, 9), [n, k], dtype);
      const want = quantizeRowsQ8(storedToF32(s), n, k);
      for (const streamFloats of [5 * k, 1 << 22]) {
        const got = quantizeStoredRowsQ8(s, n, k, streamFloats);
        expect(bytes(got.values)).toEqual(bytes(want.values));
        expect(bytes(got.scales)).toEqual(bytes(want.scales));
      }
    }
  });
});
