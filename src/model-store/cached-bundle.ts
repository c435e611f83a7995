/** Read access to a complete bundle in IndexedDB. Only built after every file was verified. */
import { PandaError } from '../core/errors';
import type { BundleManifest } from '../core/manifest';
import type { ModelDb } from './idb';
import type { CachedBundle } from './types';

function missing(id: string, path: string, why: string): PandaError {
  return new PandaError('BUNDLE_FILE_MISSING', `${path} is not in the cached bundle (${why}). Load the model again to re-download it.`, { id, path });
}

export function openCachedBundle(db: ModelDb, id: string, manifest: BundleManifest): CachedBundle {
  async function chunks(path: string): Promise<Blob[]> {
    const f = manifest.files[path];
    if (!f) throw missing(id, path, 'the manifest does not list it');
    if (f.optional) throw new PandaError('BUNDLE_FILE_MISSING', `${path} is an optional part of this bundle that the page does not download (only Node tools use it).`, { id, path });
    const rec = await db.getFile(f.sha256);
    if (!rec?.complete) throw missing(id, path, 'it was removed or evicted by the browser');
    const out: Blob[] = [];
    for (let i = 0; i < rec.chunks; i++) {
      const b = await db.getChunk(f.sha256, i);
      if (!b) throw missing(id, path, `chunk ${i} was evicted by the browser`);
      out.push(b);
    }
    return out;
  }
  return {
    id,
    manifest,
    async readBlob(path) {
      return new Blob(await chunks(path));
    },
    async readFile(path) {
      const parts = await chunks(path);
      const out = new Uint8Array(manifest.files[path]!.size);
      let off = 0;
      for (const p of parts) {
        const bytes = new Uint8Array(await p.arrayBuffer());
        out.set(bytes, off);
        off += bytes.length;
      }
      if (off !== out.length) throw missing(id, path, `stored ${off} of ${out.length} bytes`);
      return out;
    },
  };
}
