/** zlib inflate via the platform's DecompressionStream (browsers, workers, Node ≥ 18). */
import { corrupt } from './errors';

/**
 * Inflate a zlib stream, stopping once `maxBytes` are produced (a PNG knows its exact size, so a
 * stream that claims more is not decompressed further).
 */
export async function inflateZlib(data: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const ds = new DecompressionStream('deflate');
  const writer = ds.writable.getWriter();
  const written = writer.write(data as Uint8Array<ArrayBuffer>).then(() => writer.close()).catch(() => undefined);
  const reader = ds.readable.getReader();
  const out = new Uint8Array(maxBytes);
  let n = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.length, maxBytes - n);
      out.set(value.subarray(0, take), n);
      n += take;
      if (n >= maxBytes) {
        await reader.cancel();
        break;
      }
    }
  } catch (e) {
    throw corrupt('The compressed image data is damaged or truncated.', { cause: String(e) });
  }
  await written;
  return out.subarray(0, n);
}
