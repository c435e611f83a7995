import { open } from 'node:fs/promises';
import { numelOf } from './strided';
import { storageBytes, type WriterDType } from './tensor-bytes';

export interface SafetensorsTensor {
  name: string;
  shape: number[];
  dtype?: WriterDType;
  /** Float32Array (converted) or Uint16Array (raw fp16/bf16 bits); called once, when written. */
  data: () => Float32Array | Uint16Array | Promise<Float32Array | Uint16Array>;
}

const TAG: Record<WriterDType, string> = { float16: 'F16', bfloat16: 'BF16', float32: 'F32' };
const SIZE: Record<WriterDType, number> = { float16: 2, bfloat16: 2, float32: 4 };

/** Writes a `.safetensors` file (header padded with spaces to 8 bytes, as the reference writer does), tensor by tensor. */
export async function writeSafetensors(
  path: string,
  tensors: Iterable<SafetensorsTensor> | AsyncIterable<SafetensorsTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  const list: SafetensorsTensor[] = [];
  for await (const t of tensors) list.push(t);
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let at = 0;
  for (const t of list) {
    const dtype = t.dtype ?? 'float16';
    const bytes = numelOf(t.shape) * SIZE[dtype];
    header[t.name] = { dtype: TAG[dtype], shape: t.shape, data_offsets: [at, at + bytes] };
    at += bytes;
  }
  const raw = new TextEncoder().encode(JSON.stringify(header));
  const jsonBytes = new Uint8Array(raw.length + ((8 - (raw.length % 8)) % 8)).fill(0x20);
  jsonBytes.set(raw);
  const head = new Uint8Array(8 + jsonBytes.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  head.set(jsonBytes, 8);
  const fh = await open(path, 'w');
  try {
    let pos = 0;
    const write = async (b: Uint8Array) => {
      let done = 0;
      while (done < b.byteLength) done += (await fh.write(b, done, b.byteLength - done, pos + done)).bytesWritten;
      pos += b.byteLength;
    };
    await write(head);
    for (const t of list) await write(storageBytes(t.name, t.dtype ?? 'float16', await t.data(), numelOf(t.shape)));
  } finally {
    await fh.close();
  }
}
