import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { floatToBf16Bits, floatToHalfBits } from '../../../converter/checkpoint/dtypes';
import { openCheckpoint, writeSafetensors, writeTorchCheckpoint, type WriterTensor } from '../../../converter/checkpoint/index';
import { RandomAccessFile } from '../../../converter/checkpoint/random-access-file';
import { entryDataOffset, readZipDirectory } from '../../../converter/checkpoint/zip-reader';
import { DELTA, tempDir, VICUNA } from './zip-fixtures';

/** Rewrites a fixture checkpoint from its decoded values; fp16 -> f32 -> fp16 is lossless. */
async function rewrite(src: string, dst: string, parameter: boolean): Promise<void> {
  const s = await openCheckpoint(src);
  const tensors: WriterTensor[] = s.list().map((t) => ({ name: t.name, shape: t.shape, parameter, data: () => s.readF32(t.name) }));
  await writeTorchCheckpoint(dst, tensors, { archiveName: basename(src).replace(/\.(bin|pt)$/, '') });
  await s.close();
}

describe('torch.save-compatible writer', () => {
  it.each([
    [`${VICUNA}/pytorch_model-00001-of-00002.bin`, false],
    [`${VICUNA}/pytorch_model-00002-of-00002.bin`, false],
    [DELTA, true],
  ])('reproduces %s byte for byte (pickle, zip layout, padding, CRCs, zip64 end records)', async (src, parameter) => {
    const out = join(tempDir('exact'), basename(src));
    await rewrite(src, out, parameter);
    expect(Buffer.compare(readFileSync(out), readFileSync(src))).toBe(0);
  });

  it('writes strided views, cuda locations, bf16/fp32 storages and reads them back', async () => {
    const dir = tempDir('strided');
    const file = join(dir, 'view.pt');
    const storage = Float32Array.from({ length: 24 }, (_, i) => i - 7.5);
    await writeTorchCheckpoint(file, [
      // A transposed (4,3) view of a (3,4) storage: element [i][j] = storage[j*4 + i]
      { name: 't', shape: [4, 3], stride: [1, 4], storageNumel: 12, dtype: 'float32', data: () => storage.slice(0, 12) },
      // A column slice with an offset: shape (3,2) from a (3,8) storage, columns 5..6
      { name: 'slice', shape: [3, 2], stride: [8, 1], storageOffset: 5, storageNumel: 24, dtype: 'bfloat16', data: () => storage },
      { name: 'scalar', shape: [], dtype: 'float16', data: () => new Float32Array([0.1]) },
      { name: 'empty', shape: [0, 5], data: () => new Float32Array(0) },
    ], { location: 'cuda:0' });
    const src = await openCheckpoint(file);
    expect(src.list().map((t) => [t.name, t.dtype, t.shape])).toEqual([
      ['t', 'float32', [4, 3]], ['slice', 'bfloat16', [3, 2]], ['scalar', 'float16', []], ['empty', 'float16', [0, 5]],
    ]);
    const t = await src.readF32('t');
    for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) expect(t[i * 3 + j]).toBe(storage[j * 4 + i]);
    expect(Array.from(await src.readF32('slice'))).toEqual([5, 6, 13, 14, 21, 22].map((k) => storage[k]));
    expect(Array.from(await src.readF32('scalar'))).toEqual([0.0999755859375]); // nearest fp16 to 0.1
    expect((await src.readF32('empty')).length).toBe(0);
    await src.close();
    expect(readFileSync(file).includes(Buffer.from('cuda:0'))).toBe(true);
  });

  it('uses zip64 fields past the threshold and the reader follows them', async () => {
    const dir = tempDir('zip64');
    const file = join(dir, 'big.bin');
    const vals = (k: number) => Float32Array.from({ length: 1000 }, (_, i) => (i * 31 + k) % 97 - 48);
    const tensors = [0, 1, 2].map((k) => ({ name: `w${k}`, shape: [10, 100], data: () => vals(k) }));
    // 1500 bytes: the third storage starts past the threshold and is itself "big".
    await writeTorchCheckpoint(file, tensors, { zip64Threshold: 1500 });
    const f = await RandomAccessFile.open(file);
    const entries = await readZipDirectory(f);
    // torch aligns record data to 64 bytes, zip64 extra fields included.
    for (const e of entries.values()) expect((await entryDataOffset(f, e, e.name)) % 64).toBe(0);
    await f.close();
    expect(entries.get('big/data/2')?.size).toBe(2000);
    expect(entries.get('big/data/2')!.localHeaderOffset).toBeGreaterThan(1500);
    const bytes = readFileSync(file);
    // The central record of data/2 holds 0xFFFFFFFF placeholders.
    const cd = bytes.lastIndexOf(Buffer.from('big/data/2')) - 46;
    expect(bytes.readUInt32LE(cd)).toBe(0x02014b50);
    expect(bytes.readUInt32LE(cd + 24)).toBe(0xffffffff);
    expect(bytes.readUInt32LE(cd + 42)).toBe(0xffffffff);
    const src = await openCheckpoint(file);
    for (const k of [0, 1, 2]) expect(Array.from(await src.readF32(`w${k}`))).toEqual(Array.from(vals(k)));
    await src.close();
  });

  it('rounds fp32 to fp16/bf16 to nearest even, like torch', () => {
    expect(floatToHalfBits(1)).toBe(0x3c00);
    expect(floatToHalfBits(65504)).toBe(0x7bff);
    expect(floatToHalfBits(65520)).toBe(0x7c00); // rounds up to inf
    expect(floatToHalfBits(-(2 ** -24))).toBe(0x8001); // smallest subnormal
    expect(floatToHalfBits(2 ** -25)).toBe(0); // tie to even -> 0
    expect(floatToHalfBits(3 * 2 ** -25)).toBe(2); // tie to even -> 2
    expect(floatToHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie to even (down)
    expect(floatToHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie to even (up)
    expect(floatToHalfBits(NaN) & 0x7e00).toBe(0x7e00);
    expect(floatToBf16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(floatToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(floatToBf16Bits(-Infinity)).toBe(0xff80);
  });
});

describe('safetensors', () => {
  it('writes and lazily reads single files and an HF-sharded directory', async () => {
    const dir = tempDir('st');
    const a = Float32Array.from({ length: 6 }, (_, i) => i / 3);
    const b = Float32Array.from({ length: 4 }, (_, i) => -i * 1.5);
    await writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), [
      { name: 'a', shape: [2, 3], dtype: 'float32', data: () => a },
    ], { format: 'pt' });
    await writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), [
      { name: 'b.ü', shape: [4], dtype: 'bfloat16', data: () => b },
      { name: 'c', shape: [2, 2], data: () => new Uint16Array([0x3c00, 0x4000, 0xc000, 0x0001]) },
    ]);
    const head = readFileSync(join(dir, 'model-00002-of-00002.safetensors'));
    expect(Number(head.readBigUInt64LE(0)) % 8).toBe(0);
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({
      metadata: {}, weight_map: { a: 'model-00001-of-00002.safetensors', 'b.ü': 'model-00002-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' },
    }));
    const src = await openCheckpoint(dir);
    expect(src.list().map((t) => [t.name, t.dtype, t.shape])).toEqual([['a', 'float32', [2, 3]], ['b.ü', 'bfloat16', [4]], ['c', 'float16', [2, 2]]]);
    expect(Array.from(await src.readF32('a'))).toEqual(Array.from(a));
    expect(Array.from(await src.readF32('b.ü'))).toEqual([-0, -1.5, -3, -4.5]);
    expect(Array.from(await src.readF32('c'))).toEqual([1, 2, -2, 2 ** -24]);
    await src.close();
  });

  it('converts the fixture delta to safetensors and back without changing a value', async () => {
    const dir = tempDir('st2');
    const pt = await openCheckpoint(DELTA);
    await writeSafetensors(join(dir, 'model.safetensors'), pt.list().map((t) => ({ name: t.name, shape: t.shape, data: () => pt.readF32(t.name) })));
    const st = await openCheckpoint(dir);
    expect(st.list().map((t) => [t.name, t.shape])).toEqual(pt.list().map((t) => [t.name, t.shape]));
    for (const t of pt.list()) expect(await st.readF32(t.name)).toEqual(await pt.readF32(t.name));
    await pt.close();
    await st.close();
  });
});
