import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from './npy';
import { tempDir } from '../converter/checkpoint/zip-fixtures';

const REF = 'test/fixtures/pandagpt-tiny/reference';
const index = JSON.parse(readFileSync(`${REF}/index.json`, 'utf8'));

describe('readNpy', () => {
  it('reads int64 CLIP tokens equal to index.json', () => {
    const t = readNpy(`${REF}/text/tokens.npy`);
    expect(t.shape).toEqual([5, 77]);
    expect(t.data).toBeInstanceOf(BigInt64Array);
    const want = (index.text_encoder.items as Array<{ tokens: number[] }>).flatMap((it) => it.tokens);
    expect(Array.from(t.data as BigInt64Array, Number)).toEqual(want);
  });

  it('reads int32 top-k ids whose first column is the greedy sequence', () => {
    const c = index.llm.cases[0];
    const t = readNpy(`test/fixtures/pandagpt-tiny/${c.step_topk_ids.file}`);
    expect(t.shape).toEqual(c.step_topk_ids.shape);
    expect(t.data).toBeInstanceOf(Int32Array);
    const ids = Array.from({ length: t.shape[0]! }, (_, k) => t.data[k * t.shape[1]!]);
    expect(ids).toEqual(c.greedy.ids);
  });

  it('reads float64 and float32 arrays with their shapes', () => {
    const s = readNpy(`${REF}/media/video_a.input_stats.npy`);
    expect(s.data).toBeInstanceOf(Float64Array);
    expect(s.shape).toEqual([15, 3, 2, 4]);
    const e = readNpy(`${REF}/text/embeddings.npy`);
    expect(e.data).toBeInstanceOf(Float32Array);
    expect(e.shape).toEqual([5, 64]);
    // Each row is L2-normalised then scaled by min(exp(4.75), 100) = 100.
    for (let r = 0; r < 5; r++) {
      let n = 0;
      for (let j = 0; j < 64; j++) n += (e.data[r * 64 + j] as number) ** 2;
      expect(Math.sqrt(n)).toBeCloseTo(100, 3);
    }
  });

  it('reads uint8 and scalar arrays and rejects Fortran order', () => {
    const dir = tempDir('npy');
    const write = (name: string, header: string, data: number[]) => {
      const h = header.padEnd(118, ' ') + '\n'; // 10 + 118 = 128 bytes of preamble
      writeFileSync(join(dir, name), Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, h.length, 0]), Buffer.from(h, 'latin1'), Buffer.from(data)]));
      return join(dir, name);
    };
    const u = readNpy(write('u.npy', "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }", [1, 2, 3, 250, 251, 255]));
    expect(u.shape).toEqual([2, 3]);
    expect(Array.from(u.data as Uint8Array)).toEqual([1, 2, 3, 250, 251, 255]);
    const s = readNpy(write('s.npy', "{'descr': '<i4', 'fortran_order': False, 'shape': (), }", [0xff, 0xff, 0xff, 0xff]));
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data as Int32Array)).toEqual([-1]);
    expect(() => readNpy(write('f.npy', "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", [0, 0, 0, 0]))).toThrow(/Fortran/);
  });
});
