import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RandomAccessFile } from '../../../converter/checkpoint/random-access-file';
import { readEntry, readZipDirectory } from '../../../converter/checkpoint/zip-reader';
import { TorchZipWriter } from '../../../converter/checkpoint/zip-writer';

export const FIXTURE = 'test/fixtures/pandagpt-tiny';
export const VICUNA = `${FIXTURE}/vicuna`;
export const DELTA = `${FIXTURE}/pandagpt/pytorch_model.pt`;
export const IMAGEBIND = `${FIXTURE}/imagebind/imagebind.pth`;

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `ckpt-${tag}-`));
}

/** Copies the vicuna checkpoint files (shards, index) into a fresh temp dir. */
export function copyVicuna(tag: string): string {
  const dir = tempDir(tag);
  for (const f of readdirSync(VICUNA)) if (f.startsWith('pytorch_model')) copyFileSync(join(VICUNA, f), join(dir, f));
  return dir;
}

/**
 * Re-zips a torch checkpoint entry by entry (torch layout), letting `edit` replace an entry's bytes
 * (names without the archive prefix, e.g. `data.pkl`, `data/3`).
 */
export async function rezip(src: string, dst: string, edit: (name: string, bytes: Uint8Array) => Uint8Array): Promise<void> {
  const f = await RandomAccessFile.open(src);
  const entries = [...(await readZipDirectory(f)).values()];
  const archive = entries[0]!.name.split('/')[0]!;
  const out = await TorchZipWriter.create(dst, archive);
  for (const e of entries) {
    const name = e.name.slice(archive.length + 1);
    await out.writeRecord(name, edit(name, await readEntry(f, e, name)));
  }
  await out.finish();
  await f.close();
}

/** Byte offset of `needle` in `hay` (first match), or -1. */
export function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
