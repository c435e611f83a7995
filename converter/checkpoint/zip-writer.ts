import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

const U32_MAX = 0xffffffff;
/** torch aligns every record's data to 64 bytes (PyTorchStreamWriter kFieldAlignment). */
const ALIGN = 64;

interface Written { name: Uint8Array; crc: number; size: number; offset: number }

/**
 * A streaming STORED zip writer laid out byte for byte like torch's PyTorchStreamWriter (miniz):
 * zero time/date/version fields, flags 0x0808 (data descriptor + UTF-8), a local "FB" extra field
 * padding each record's data to 64 bytes, a data descriptor after each record, zip64 extra fields
 * for records at or beyond 4 GiB, and always a zip64 end record.
 */
export class TorchZipWriter {
  private cursor = 0;
  private readonly records: Written[] = [];

  private constructor(
    private readonly fh: FileHandle,
    private readonly prefix: string,
    /** Records at offsets/sizes at or above this use zip64 fields (lowered only by tests). */
    private readonly zip64Threshold: number,
  ) {}

  static async create(path: string, archiveName: string, zip64Threshold = U32_MAX): Promise<TorchZipWriter> {
    return new TorchZipWriter(await open(path, 'w'), `${archiveName}/`, zip64Threshold);
  }

  async writeRecord(name: string, data: Uint8Array): Promise<void> {
    const nameBytes = new TextEncoder().encode(this.prefix + name);
    const offset = this.cursor;
    const size = data.byteLength;
    const bigSize = size >= this.zip64Threshold;
    const bigOffset = offset >= this.zip64Threshold;
    const zip64 = bigSize || bigOffset;
    const z64Extra = zip64 ? zip64Field(bigSize ? size : undefined, bigSize ? size : undefined, bigOffset ? offset : undefined) : new Uint8Array(0);
    // Padding is computed from where the data would start with a bare 4-byte FB header (torch getPadding).
    const start = offset + 30 + nameBytes.length + z64Extra.length + 4;
    const pad = (ALIGN - (start % ALIGN)) % ALIGN;
    const fb = new Uint8Array(4 + pad).fill(0x5a); // 'Z'
    fb[0] = 0x46; fb[1] = 0x42; fb[2] = pad & 0xff; fb[3] = pad >> 8; // 'FB', le16 padding length
    const lfh = new DataView(new ArrayBuffer(30));
    lfh.setUint32(0, 0x04034b50, true);
    lfh.setUint16(6, 0x0808, true);
    lfh.setUint16(26, nameBytes.length, true);
    lfh.setUint16(28, z64Extra.length + fb.length, true);
    const crc = crc32(data);
    const dd = new DataView(new ArrayBuffer(zip64 ? 24 : 16));
    dd.setUint32(0, 0x08074b50, true);
    dd.setUint32(4, crc, true);
    if (zip64) {
      dd.setBigUint64(8, BigInt(size), true);
      dd.setBigUint64(16, BigInt(size), true);
    } else {
      dd.setUint32(8, size, true);
      dd.setUint32(12, size, true);
    }
    await this.write(new Uint8Array(lfh.buffer));
    await this.write(nameBytes);
    await this.write(z64Extra);
    await this.write(fb);
    await this.write(data);
    await this.write(new Uint8Array(dd.buffer));
    this.records.push({ name: nameBytes, crc, size, offset });
  }

  /** Writes the central directory and end records, then closes the file. */
  async finish(): Promise<void> {
    const cdOffset = this.cursor;
    for (const r of this.records) {
      const bigSize = r.size >= this.zip64Threshold;
      const bigOffset = r.offset >= this.zip64Threshold;
      const extra = bigSize || bigOffset ? zip64Field(bigSize ? r.size : undefined, bigSize ? r.size : undefined, bigOffset ? r.offset : undefined) : new Uint8Array(0);
      const h = new DataView(new ArrayBuffer(46));
      h.setUint32(0, 0x02014b50, true);
      h.setUint16(8, 0x0808, true);
      h.setUint32(16, r.crc, true);
      h.setUint32(20, bigSize ? U32_MAX : r.size, true);
      h.setUint32(24, bigSize ? U32_MAX : r.size, true);
      h.setUint16(28, r.name.length, true);
      h.setUint16(30, extra.length, true);
      h.setUint32(42, bigOffset ? U32_MAX : r.offset, true);
      await this.write(new Uint8Array(h.buffer));
      await this.write(r.name);
      await this.write(extra);
    }
    const cdSize = this.cursor - cdOffset;
    const n = this.records.length;
    const z64At = this.cursor;
    const end = new DataView(new ArrayBuffer(56 + 20 + 22));
    end.setUint32(0, 0x06064b50, true);
    end.setBigUint64(4, 44n, true);
    end.setUint16(12, 0x031e, true); // version made by (miniz)
    end.setUint16(14, 45, true); // version needed: zip64
    end.setBigUint64(24, BigInt(n), true);
    end.setBigUint64(32, BigInt(n), true);
    end.setBigUint64(40, BigInt(cdSize), true);
    end.setBigUint64(48, BigInt(cdOffset), true);
    end.setUint32(56, 0x07064b50, true);
    end.setBigUint64(64, BigInt(z64At), true);
    end.setUint32(72, 1, true);
    end.setUint32(76, 0x06054b50, true);
    end.setUint16(84, Math.min(n, 0xffff), true);
    end.setUint16(86, Math.min(n, 0xffff), true);
    end.setUint32(88, Math.min(cdSize, U32_MAX), true);
    end.setUint32(92, Math.min(cdOffset, U32_MAX), true);
    await this.write(new Uint8Array(end.buffer));
    await this.fh.close();
  }

  /** Closes without finishing (after an error); the partial file is left for the caller to delete. */
  abort(): Promise<void> {
    return this.fh.close();
  }

  private async write(b: Uint8Array): Promise<void> {
    let done = 0;
    while (done < b.byteLength) {
      const { bytesWritten } = await this.fh.write(b, done, b.byteLength - done, this.cursor + done);
      done += bytesWritten;
    }
    this.cursor += b.byteLength;
  }
}

/** Zip64 extended-information extra field with only the saturated fields, in spec order. */
function zip64Field(size?: number, compressed?: number, offset?: number): Uint8Array {
  const vals = [size, compressed, offset].filter((v): v is number => v !== undefined);
  const dv = new DataView(new ArrayBuffer(4 + 8 * vals.length));
  dv.setUint16(0, 1, true);
  dv.setUint16(2, 8 * vals.length, true);
  vals.forEach((v, i) => dv.setBigUint64(4 + 8 * i, BigInt(v), true));
  return new Uint8Array(dv.buffer);
}
