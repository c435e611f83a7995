/**
 * Writes a bundle into a temporary sibling of the output folder and moves it into place only once
 * everything (manifest.json last) is written, so a failed conversion never leaves a partial bundle
 * that looks valid: the temp folder is removed and an existing bundle at `outDir` stays as it was.
 *
 * Files are hashed from their bytes as they are written (here, by the external-data sinks and by
 * writeHashedFile, into the conversion's FileHashes); `commit` only reads back what nobody hashed.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { PandaError } from '../../src/core/errors';
import type { BundleFile, BundleManifest } from '../../src/core/manifest';
import { bytesOf } from '../onnx/graph';
import { currentRuntime, digestFile, digestOf, type FileHash, FileHashes } from '../parallel/runtime';

export const MANIFEST_FILE = 'manifest.json';

async function listFiles(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(root, p)));
    else if (e.isFile()) out.push(relative(root, p).split(sep).join('/'));
  }
  return out.sort();
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

export class BundleWriter {
  private constructor(
    readonly outDir: string,
    /** The temp folder everything is written into. */
    readonly dir: string,
    /** Hashes of files written so far: the conversion's (see ../parallel/runtime.ts) or our own. */
    readonly hashes: FileHashes = currentRuntime().hashes ?? new FileHashes(),
  ) {}

  static async create(outDir: string): Promise<BundleWriter> {
    const out = resolve(outDir);
    if (await exists(out)) {
      const entries = await readdir(out).catch(() => {
        throw new PandaError('CONVERT_FAILED', `--out ${out} exists and is not a folder.`, { out });
      });
      if (entries.length > 0 && !entries.includes(MANIFEST_FILE)) {
        throw new PandaError('CONVERT_FAILED', `--out ${out} exists and is not a bundle (no ${MANIFEST_FILE}); refusing to replace it. Choose a new or empty folder.`, { out });
      }
    }
    await mkdir(dirname(out), { recursive: true });
    const dir = join(dirname(out), `.${basename(out)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(dir);
    return new BundleWriter(out, dir);
  }

  path(rel: string): string {
    return join(this.dir, rel);
  }

  /** Files whose bytes were still being computed when handed over (see writeFileLater). */
  private readonly later: Promise<void>[] = [];

  /**
   * Writes `rel` once `data` arrives; `commit` waits for it (and fails if it failed), `abort` too.
   * Returns the write, already marked handled.
   */
  writeFileLater(rel: string, data: Promise<ArrayBufferView>): Promise<void> {
    const p = data.then((d) => this.writeFile(rel, bytesOf(d)));
    p.catch(() => {}); // handled: commit() rethrows it
    this.later.push(p);
    return p;
  }

  async writeFile(rel: string, data: Uint8Array | string): Promise<void> {
    await mkdir(dirname(this.path(rel)), { recursive: true });
    await writeFile(this.path(rel), data);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.hashes.record(this.path(rel), digestOf(bytes));
  }

  /**
   * Lists every file written so far with its size and sha256 (hashed when written; any other file
   * is read back, on the pool's workers when there are some), writes manifest.json, then swaps the
   * folder in.
   */
  /** `optional`: files the page need not download (see BundleFile.optional). */
  async commit(manifest: Omit<BundleManifest, 'files'>, onProgress?: (msg: string) => void, optional: ReadonlySet<string> = new Set()): Promise<BundleManifest> {
    await Promise.all(this.later);
    const pool = currentRuntime().pool;
    const rels = (await listFiles(this.dir)).filter((rel) => rel !== MANIFEST_FILE);
    const hashOf = async (rel: string): Promise<FileHash> => {
      const p = this.path(rel);
      const size = (await stat(p)).size;
      const known = this.hashes.get(p);
      if (known && known.size === size) return known;
      onProgress?.(`hashing ${rel}`);
      if (pool) return pool.run({ kind: 'sha256-file', path: p }, { file: p });
      return digestFile(p);
    };
    const hashed: FileHash[] = [];
    if (pool) hashed.push(...(await Promise.all(rels.map(hashOf))));
    else for (const rel of rels) hashed.push(await hashOf(rel));
    const files: Record<string, BundleFile> = {};
    rels.forEach((rel, i) => (files[rel] = { size: hashed[i]!.size, sha256: hashed[i]!.sha256, ...(optional.has(rel) ? { optional: true } : {}), chunks: hashed[i]!.chunks }));
    const full = { ...manifest, files } as BundleManifest;
    await writeFile(this.path(MANIFEST_FILE), JSON.stringify(full, null, 2) + '\n');
    let old: string | undefined;
    if (await exists(this.outDir)) {
      old = `${this.dir}.old`;
      await rename(this.outDir, old);
    }
    try {
      await rename(this.dir, this.outDir);
    } catch (e) {
      if (old) await rename(old, this.outDir);
      throw e;
    }
    if (old) await rm(old, { recursive: true, force: true });
    return full;
  }

  async abort(): Promise<void> {
    await Promise.allSettled(this.later); // nothing may write into the folder once it is gone
    await rm(this.dir, { recursive: true, force: true });
  }
}
