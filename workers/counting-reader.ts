/**
 * Wraps a bundle reader so loading reports progress per file (the engine only sees `readFile`),
 * and measures the reading: bytes, and the wall time during which at least one read was running
 * (reads overlap), so a load's time splits into reading the bytes and everything else.
 */
import type { ProgressEvent, ReadBlob } from './events';

export interface ReadStats {
  bytes: number;
  /** Wall ms with at least one read in flight. */
  readMs: number;
}

export type CountingReader = ((path: string) => Promise<Uint8Array>) & { stats(): ReadStats };

export function countingReader(readBlob: ReadBlob, stage: string, total: number, onProgress: (e: ProgressEvent) => void): CountingReader {
  let loaded = 0;
  let bytesRead = 0;
  let active = 0;
  let since = 0;
  let busyMs = 0;
  const read = async (path: string): Promise<Uint8Array> => {
    onProgress({ type: 'progress', stage: `${stage}: ${path}`, loaded, total });
    if (active++ === 0) since = performance.now();
    let bytes: Uint8Array;
    try {
      const blob = await readBlob(path);
      bytes = new Uint8Array(await blob.arrayBuffer());
    } finally {
      if (--active === 0) busyMs += performance.now() - since;
    }
    bytesRead += bytes.length;
    loaded += 1;
    onProgress({ type: 'progress', stage: `${stage}: ${path}`, loaded: Math.min(loaded, total), total });
    return bytes;
  };
  return Object.assign(read, { stats: (): ReadStats => ({ bytes: bytesRead, readMs: busyMs }) });
}
