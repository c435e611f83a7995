/** Compare two manifests by file content, to tell the user what a server-side update changes. Pure. */
import { downloadedFiles, type BundleManifest } from '../core/manifest';

export interface ManifestDiff {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
  /** Bytes of added + changed files. */
  changedBytes: number;
}

export function diffManifests(oldM: BundleManifest | null, newM: BundleManifest): ManifestDiff {
  const d: ManifestDiff = { added: [], removed: [], changed: [], unchanged: [], changedBytes: 0 };
  const old = oldM?.files ?? {};
  for (const [path, f] of Object.entries(newM.files)) {
    const o = old[path];
    if (!o) {
      d.added.push(path);
      d.changedBytes += f.size;
    } else if (o.sha256 !== f.sha256 || o.size !== f.size) {
      d.changed.push(path);
      d.changedBytes += f.size;
    } else d.unchanged.push(path);
  }
  for (const path of Object.keys(old)) if (!(path in newM.files)) d.removed.push(path);
  return d;
}

/** The set of content hashes a manifest needs (used to drop chunks nothing refers to). */
/** Hashes of the files the page downloads (optional ones are neither fetched nor kept). */
export function manifestHashes(m: BundleManifest): Set<string> {
  return new Set(downloadedFiles(m).map(([, f]) => f.sha256));
}
