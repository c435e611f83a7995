/**
 * A random-access byte source, so long media is read only where needed. Node: a file handle
 * (cli/media-node.ts); browser: `Blob.slice(...).arrayBuffer()` (see `blobSource`).
 */
export interface RandomAccessSource {
  /** Total size in bytes. */
  size: number;
  /** Reads [byteOffset, byteOffset + length) clipped to the end; may return fewer bytes at EOF. */
  read: (byteOffset: number, length: number) => Promise<Uint8Array>;
}

export function bytesSource(bytes: Uint8Array): RandomAccessSource {
  return { size: bytes.length, read: async (o, n) => bytes.subarray(Math.min(o, bytes.length), Math.min(o + n, bytes.length)) };
}

/** Works for `File` too (a File is a Blob). */
export function blobSource(blob: Blob): RandomAccessSource {
  return { size: blob.size, read: async (o, n) => new Uint8Array(await blob.slice(o, o + n).arrayBuffer()) };
}
