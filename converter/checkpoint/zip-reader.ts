import { PandaError } from '../../src/core/errors';
import type { RandomAccessFile } from './random-access-file';

/** One central-directory entry of a zip (only what a STORED reader needs). */
export interface ZipEntry {
  name: string;
  /** 0 = stored; anything else is compressed. */
  method: number;
  size: number;
  compressedSize: number;
  localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CDH_SIG = 0x02014b50;
const LFH_SIG = 0x04034b50;
const U32_MAX = 0xffffffff;

function u64(dv: DataView, at: number): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('zip64 value beyond 2^53');
  return Number(v);
}

function formatError(file: string, why: string): PandaError {
  return new PandaError('CHECKPOINT_FORMAT', `${file} is not a readable zip checkpoint: ${why}.`, { file });
}

/**
 * Parses the central directory (zip64 included) with a few positional reads at the end of the file.
 * A zip whose end records are missing is reported as truncated: torch.save writes them last.
 */
export async function readZipDirectory(f: RandomAccessFile): Promise<Map<string, ZipEntry>> {
  const tailLen = Math.min(f.size, 22 + 0xffff);
  const tail = await f.read(f.size - tailLen, tailLen);
  const tdv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tdv.getUint32(i, true) === EOCD_SIG) { eocd = i; break; }
  }
  if (eocd < 0) {
    throw new PandaError(
      'CHECKPOINT_TRUNCATED',
      `${f.path} is truncated: its zip end-of-central-directory record is missing (the file was cut off). Re-download or re-copy it.`,
      { file: f.path, size: f.size },
    );
  }
  let count = tdv.getUint16(eocd + 10, true);
  let cdSize = tdv.getUint32(eocd + 12, true);
  let cdOffset = tdv.getUint32(eocd + 16, true);
  const locAt = eocd - 20;
  if (locAt >= 0 && tdv.getUint32(locAt, true) === ZIP64_LOCATOR_SIG) {
    const z64At = u64(tdv, locAt + 8);
    if (z64At + 56 > f.size) throw f.truncated(z64At + 56, 'the zip64 end record');
    const rec = await f.read(z64At, 56);
    const rdv = new DataView(rec.buffer);
    if (rdv.getUint32(0, true) !== ZIP64_EOCD_SIG) throw formatError(f.path, 'bad zip64 end record');
    count = u64(rdv, 32);
    cdSize = u64(rdv, 40);
    cdOffset = u64(rdv, 48);
  }
  if (cdOffset + cdSize > f.size) throw f.truncated(cdOffset + cdSize, 'the zip central directory');
  const cd = await f.read(cdOffset, cdSize);
  const dv = new DataView(cd.buffer);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cdSize || dv.getUint32(p, true) !== CDH_SIG) throw formatError(f.path, `bad central directory entry #${n}`);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    const name = decoder.decode(cd.subarray(p + 46, p + 46 + nameLen));
    if (flags & 1) throw formatError(f.path, `entry ${name} is encrypted`);
    // Zip64 extended information: only the fields whose 32-bit slot is saturated are present, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        if (size === U32_MAX) { size = u64(dv, q); q += 8; }
        if (compressedSize === U32_MAX) { compressedSize = u64(dv, q); q += 8; }
        if (localHeaderOffset === U32_MAX) { localHeaderOffset = u64(dv, q); q += 8; }
      }
      e += 4 + len;
    }
    entries.set(name, { name, method, size, compressedSize, localHeaderOffset });
    p = extraEnd + commentLen;
  }
  return entries;
}

/** Absolute file offset of an entry's bytes (reads its 30-byte local header). */
export async function entryDataOffset(f: RandomAccessFile, entry: ZipEntry, what: string): Promise<number> {
  if (entry.localHeaderOffset + 30 > f.size) throw f.truncated(entry.localHeaderOffset + 30, what);
  const h = await f.read(entry.localHeaderOffset, 30, what);
  const dv = new DataView(h.buffer);
  if (dv.getUint32(0, true) !== LFH_SIG) throw formatError(f.path, `bad local header for ${entry.name}`);
  return entry.localHeaderOffset + 30 + dv.getUint16(26, true) + dv.getUint16(28, true);
}

/** Rejects compressed entries: torch.save stores tensors uncompressed, and so must we read them. */
export function assertStored(file: string, entry: ZipEntry, what: string): void {
  if (entry.method !== 0) {
    throw new PandaError(
      'CHECKPOINT_FORMAT',
      `${file}: zip entry ${entry.name} (${what}) is compressed (method ${entry.method}); only uncompressed (STORED) entries as written by torch.save are supported. Re-save the checkpoint with torch.save instead of re-zipping it.`,
      { file, tensor: what, entry: entry.name, method: entry.method },
    );
  }
}

/** Reads a whole (small) stored entry, e.g. `data.pkl`. */
export async function readEntry(f: RandomAccessFile, entry: ZipEntry, what: string): Promise<Uint8Array> {
  assertStored(f.path, entry, what);
  const at = await entryDataOffset(f, entry, what);
  if (at + entry.size > f.size) throw f.truncated(at + entry.size, what);
  return f.read(at, entry.size, what);
}
