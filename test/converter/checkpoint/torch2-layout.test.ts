import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../../converter/checkpoint/index';
import { RandomAccessFile } from '../../../converter/checkpoint/random-access-file';
import { readEntry, readZipDirectory } from '../../../converter/checkpoint/zip-reader';
import { TorchZipWriter } from '../../../converter/checkpoint/zip-writer';
import { DELTA, tempDir } from './zip-fixtures';

/** Re-lays the fixture delta out as torch >= 2.1 does: `archive/` prefix plus its extra records. */
async function torch2Copy(dst: string, byteorder: string): Promise<void> {
  const f = await RandomAccessFile.open(DELTA);
  const entries = [...(await readZipDirectory(f)).values()];
  const out = await TorchZipWriter.create(dst, 'archive');
  const enc = (s: string) => new TextEncoder().encode(s);
  const body = async (suffix: string) => readEntry(f, entries.find((e) => e.name === `pytorch_model/${suffix}`)!, suffix);
  await out.writeRecord('data.pkl', await body('data.pkl'));
  await out.writeRecord('.format_version', enc('1'));
  await out.writeRecord('.storage_alignment', enc('64'));
  await out.writeRecord('byteorder', enc(byteorder));
  for (const e of entries.filter((x) => x.name.includes('/data/'))) {
    await out.writeRecord(e.name.slice('pytorch_model/'.length), await readEntry(f, e, e.name));
  }
  await out.writeRecord('version', enc('3\n'));
  await out.writeRecord('.data/serialization_id', enc('1234567890123456789012345678901234567890'));
  await out.finish();
  await f.close();
}

describe('torch >= 2 zip layout', () => {
  it('reads archive/-prefixed checkpoints with byteorder and serialization_id records', async () => {
    const file = join(tempDir('t2'), 'model.pt');
    await torch2Copy(file, 'little');
    const a = await openCheckpoint(file);
    const b = await openCheckpoint(DELTA);
    expect(a.list().map((t) => [t.name, t.shape])).toEqual(b.list().map((t) => [t.name, t.shape]));
    for (const t of b.list()) expect(await a.readF32(t.name)).toEqual(await b.readF32(t.name));
    await a.close();
    await b.close();
  });

  it('refuses big-endian checkpoints', async () => {
    const file = join(tempDir('t2be'), 'model.pt');
    await torch2Copy(file, 'big');
    await expect(openCheckpoint(file)).rejects.toMatchObject({ code: 'CHECKPOINT_FORMAT', message: expect.stringContaining('big-endian') });
  });
});
