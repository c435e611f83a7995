/** What to do for each file of a bundle, given what IndexedDB already holds. Pure. */
import { downloadedFiles, type BundleFile, type BundleManifest } from '../core/manifest';
import type { Sha256State } from './hash-state';

/** Stored per file content (keyed by sha256): how far its download got. */
export interface FileRecord {
  sha256: string;
  size: number;
  chunkSize: number;
  /** Chunks 0..chunks-1 are stored. */
  chunks: number;
  /** sha256 state after `chunks` chunks; null when it could not be saved (then stored chunks are re-hashed). */
  hashState: Sha256State | null;
  /**
   * Every chunk stored and verified: the whole file matched its sha256, or (`pieces`) each chunk
   * matched the manifest's sha256 for it.
   */
  complete: boolean;
  /** Each stored chunk was checked against the manifest's piece hashes before it was stored. */
  pieces?: boolean;
}

export type FilePlan =
  | { kind: 'cached' }
  | {
      kind: 'fetch';
      fromChunk: number;
      hashState: Sha256State | null;
      chunkSize: number;
      /** The manifest's sha256 of every chunk (BundleFile.chunks): each is checked on its own. Null: stream the whole-file sha256. */
      pieces: string[] | null;
      /** Stored chunks 0..fromChunk-1 were never checked piece by piece (stored by the streaming path). */
      recheck: boolean;
    };

/** One download job per distinct content: files with the same sha256 are stored once. */
export interface PlanJob {
  sha256: string;
  size: number;
  paths: string[];
  plan: FilePlan;
}

/** `pieces`: the manifest's per-chunk sha256 (BundleFile.chunks); its size then sets the chunk size. */
export function planFile(size: number, sha256: string, rec: FileRecord | undefined, chunkSize: number, pieces?: BundleFile['chunks']): FilePlan {
  const fresh = { kind: 'fetch', fromChunk: 0, hashState: null, pieces: pieces?.sha256 ?? null, recheck: false } as const;
  if (rec && rec.sha256 === sha256 && rec.size === size) {
    if (rec.complete) return { kind: 'cached' };
    // Keep the chunk size the stored chunks were cut with (pieces must be cut the same way);
    // resume after the last stored chunk.
    if (rec.chunks > 0 && rec.chunks * rec.chunkSize < size && (!pieces || pieces.size === rec.chunkSize)) {
      return { ...fresh, fromChunk: rec.chunks, hashState: rec.hashState, chunkSize: rec.chunkSize, recheck: !!pieces && !rec.pieces };
    }
  }
  return { ...fresh, chunkSize: pieces?.size ?? chunkSize };
}

export function planBundle(m: BundleManifest, records: Map<string, FileRecord>, chunkSize: number): PlanJob[] {
  const jobs = new Map<string, PlanJob>();
  for (const [path, f] of downloadedFiles(m)) {
    const j = jobs.get(f.sha256);
    if (j) {
      j.paths.push(path);
      continue;
    }
    jobs.set(f.sha256, { sha256: f.sha256, size: f.size, paths: [path], plan: planFile(f.size, f.sha256, records.get(f.sha256), chunkSize, f.chunks) });
  }
  return [...jobs.values()];
}

/** Bytes already stored for a job (full chunks only). */
export function storedBytes(job: PlanJob): number {
  if (job.plan.kind === 'cached') return job.size;
  return Math.min(job.size, job.plan.fromChunk * job.plan.chunkSize);
}

/** Bytes still to fetch for the whole plan. */
export function missingBytes(jobs: PlanJob[]): number {
  return jobs.reduce((s, j) => s + j.size - storedBytes(j), 0);
}
