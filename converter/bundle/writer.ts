/**
 * Writes a bundle into a temporary sibling of the output folder and moves it into place only once
 * everything (manifest.json last) is written, so a failed conversion never leaves a partial bundle
 * that looks valid: the temp folder is removed and an existing bundle at `outDir` stays as it was.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { PandaError } from '../../src/core/errors';
import type { BundleFile, BundleManifest } from '../../src/core/manifest';

export const MANIFEST_FILE = 'manifest.json';

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

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

  async writeFile(rel: string, data: Uint8Array | string): Promise<void> {
    await mkdir(dirname(this.path(rel)), { recursive: true });
    await writeFile(this.path(rel), data);
  }

  /** Hashes every file written so far (streaming), writes manifest.json, then swaps the folder in. */
  async commit(manifest: Omit<BundleManifest, 'files'>, onProgress?: (msg: string) => void): Promise<BundleManifest> {
    const files: Record<string, BundleFile> = {};
    for (const rel of await listFiles(this.dir)) {
      if (rel === MANIFEST_FILE) continue;
      onProgress?.(`hashing ${rel}`);
      const p = this.path(rel);
      files[rel] = { size: (await stat(p)).size, sha256: await sha256File(p) };
    }
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
    await rm(this.dir, { recursive: true, force: true });
  }
}
