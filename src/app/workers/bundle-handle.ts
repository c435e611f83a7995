/** What a bridge needs from a prepared bundle (the model store's `CachedBundle` satisfies it). */
import type { BundleManifest } from '../../core/manifest';

export interface BundleHandle {
  id: string;
  manifest: BundleManifest;
  readBlob(path: string): Promise<Blob>;
}
