/** Wraps a bundle reader so loading reports progress per file (the engine only sees `readFile`). */
import type { ProgressEvent, ReadBlob } from './events';

export function countingReader(readBlob: ReadBlob, stage: string, total: number, onProgress: (e: ProgressEvent) => void): (path: string) => Promise<Uint8Array> {
  let loaded = 0;
  return async (path) => {
    onProgress({ type: 'progress', stage: `${stage}: ${path}`, loaded, total });
    const blob = await readBlob(path);
    const bytes = new Uint8Array(await blob.arrayBuffer());
    loaded += 1;
    onProgress({ type: 'progress', stage: `${stage}: ${path}`, loaded: Math.min(loaded, total), total });
    return bytes;
  };
}
