import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../../converter/checkpoint';
import { linearWeightData } from '../../../converter/imagebind/layers';
import { readLlamaConfig } from '../../../converter/llama/config';
import { buildDecoder } from '../../../converter/llama/graph/decoder';
import { linearChunkData } from '../../../converter/llama/graph/linear';
import { LlamaWeights, validateLlama } from '../../../converter/llama/weights';
import { allOrFirstError, ConverterPool } from '../../../converter/parallel/pool';
import { FileHashes, runWith } from '../../../converter/parallel/runtime';
import { isPandaError } from '../../../src/core/errors';
import { DELTA, VICUNA } from '../llama/fixture';

const FAULTY = new URL('./faulty-tasks.ts', import.meta.url);

function random(n: number, seed = 1): Float32Array {
  let x = seed;
  return Float32Array.from({ length: n }, () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.1);
}

const bytes = (v: ArrayBufferView): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

describe('converter worker pool', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('computes exactly what the inline path computes, moving the input buffers', async () => {
    const pool = new ConverterPool({ threads: 2 });
    try {
      const [n, k] = [40, 70]; // k not a multiple of the q4 block
      const w = random(n * k);
      const want = linearChunkData(w.slice(), k, 0, n, 'q4');
      const got = await pool.run({ kind: 'llama-linear', w, n, k, format: 'q4', chunks: [[0, 24], [24, 40]] });
      expect(w.byteLength).toBe(0); // transferred, not copied
      expect(Buffer.concat(got.map((c) => bytes(c[0]!)))).toEqual(bytes(want[0]!));
      expect(Buffer.concat(got.map((c) => bytes(c[1]!)))).toEqual(bytes(want[1]!));
      const iw = random(n * k, 7);
      const q8 = linearWeightData(iw, n, k, 'q8');
      const r = await pool.run({ kind: 'imagebind-linear', w: iw.slice(), n, k, format: 'q8' });
      expect(r.map(bytes)).toEqual(q8.map(bytes));
    } finally {
      await pool.close();
    }
  });

  it('runs tasks on its workers at the same time', async () => {
    const pool = new ConverterPool({ threads: 2, tasksModule: FAULTY });
    try {
      await pool.call({ kind: 'sleep', ms: 0, value: 0 }, []); // both workers started
      await pool.call({ kind: 'sleep', ms: 0, value: 0 }, []);
      const t0 = performance.now();
      const r = await Promise.all([1, 2].map((value) => pool.call({ kind: 'sleep', ms: 600, value }, [])));
      expect(r).toEqual([1, 2]);
      expect(performance.now() - t0).toBeLessThan(1100);
      expect(pool.busyMs().every((b) => b >= 600)).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('turns an error thrown in a worker into a PandaError naming the file and tensor, and goes on', async () => {
    const pool = new ConverterPool({ threads: 1 });
    try {
      const where = { file: 'shard-1.bin', tensor: 'model.layers.3.mlp.up_proj.weight' };
      const err = await pool.run({ kind: 'llama-linear', w: new Float32Array(10), n: 4, k: 4, format: 'q4', chunks: [[0, 4]] }, where).catch((e: unknown) => e);
      expect(isPandaError(err)).toBe(true);
      expect(err).toMatchObject({ code: 'CONVERT_FAILED', details: where });
      expect((err as Error).message).toMatch(/^shard-1\.bin: tensor "model\.layers\.3\.mlp\.up_proj\.weight": quantizeQ4: 10 values for \(4, 4\)/);
      const ok = await pool.run({ kind: 'llama-linear', w: random(16), n: 4, k: 4, format: 'fp32', chunks: [[0, 4]] });
      expect(ok[0]![0]!.byteLength).toBe(64);
    } finally {
      await pool.close();
    }
  });

  it('fails every pending task when a worker dies, rejects later work, and closes without hanging', async () => {
    const pool = new ConverterPool({ threads: 2, tasksModule: FAULTY });
    const running = pool.call({ kind: 'sleep', ms: 60_000, value: 1 }, [], { tensor: 'slow' });
    const dying = pool.call({ kind: 'exit' }, [], { file: 'f.bin', tensor: 't' });
    const queued = pool.call({ kind: 'sleep', ms: 0, value: 2 }, []);
    const e = await dying.catch((x: unknown) => x);
    expect(isPandaError(e)).toBe(true);
    expect((e as Error).message).toMatch(/worker thread failed on f\.bin: tensor "t": worker exited with code 3/);
    await expect(running).rejects.toBe(e);
    await expect(queued).rejects.toBe(e);
    await expect(pool.call({ kind: 'sleep', ms: 0 }, [])).rejects.toBe(e);
    await expect(pool.reserve(1)).rejects.toBe(e);
    await pool.close();
  });

  it('admits at most two tensors per worker and keeps their bytes within the budget', async () => {
    const pool = new ConverterPool({ threads: 1, maxBytesInFlight: 100 });
    try {
      const granted: string[] = [];
      const take = (name: string, b: number) => pool.reserve(b).then((t) => (granted.push(name), t));
      const a = await take('a', 60);
      const b = await take('b', 30);
      const c = take('c', 10); // a third tensor: waits
      const big = take('big', 500); // over the budget: runs alone
      await new Promise((r) => setTimeout(r, 20));
      expect(granted).toEqual(['a', 'b']);
      a.release();
      a.release(); // idempotent
      const tc = await c;
      expect(granted).toEqual(['a', 'b', 'c']);
      b.release();
      await new Promise((r) => setTimeout(r, 20));
      expect(granted).not.toContain('big');
      tc.release();
      (await big).release();
      expect(granted).toEqual(['a', 'b', 'c', 'big']);
    } finally {
      await pool.close();
    }
  });

  it('surfaces a worker failure inside pooled decoder builds as a PandaError naming tensor and file, and stops the sibling build without hanging', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pool-decoder-'));
    dirs.push(dir);
    const base = await openCheckpoint(VICUNA);
    const delta = await openCheckpoint(DELTA);
    const pool = new ConverterPool({ threads: 2, tasksModule: FAULTY });
    try {
      const weights = new LlamaWeights(base, delta, validateLlama(base, delta, await readLlamaConfig(VICUNA)));
      // Two variants side by side, as convert.ts builds them: the q4 one fails, the fp32 one is stopped.
      const build = (format: 'q4' | 'fp32') => buildDecoder({ weights, format, dir, fileName: `${format}.onnx` });
      const both = runWith({ pool, hashes: new FileHashes() }, () => allOrFirstError([build('q4'), build('fp32')], (e) => pool.abort(e)));
      const e = await both.catch((x: unknown) => x);
      expect(isPandaError(e)).toBe(true);
      expect((e as Error).message).toMatch(/pytorch_model-0000\d-of-00002\.bin: tensor "model\.layers\.0\.mlp\.gate_proj\.weight": injected failure/);
      expect(e).toMatchObject({ code: 'CONVERT_FAILED', details: { tensor: 'model.layers.0.mlp.gate_proj.weight' } });
      await expect(pool.reserve(1)).rejects.toBe(e); // the pool stopped with it
    } finally {
      await pool.close();
      await base.close();
      await delta.close();
    }
  });
});
