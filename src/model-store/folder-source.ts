/**
 * A bundle the user picked from disk: files from `<input webkitdirectory>` or a dropped folder, or a
 * FileSystemDirectoryHandle from `showDirectoryPicker()` / `DataTransferItem.getAsFileSystemHandle()`.
 * No network: bytes come from `File.slice().stream()`.
 */
import { PandaError } from '../core/errors';
import type { BundleSource } from './types';

type Lookup = (path: string) => Promise<File | null>;

/** Path inside the picked folder: webkitRelativePath without its first segment (the folder name). */
function relPath(f: File): string {
  const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
  const parts = rel.split('/');
  return parts.length > 1 ? parts.slice(1).join('/') : rel;
}

/** Index a file list; the bundle root is the shallowest folder holding manifest.json. */
export function indexFiles(files: File[]): { root: string; byPath: Map<string, File> } {
  const byPath = new Map(files.map((f) => [relPath(f), f] as const));
  const manifests = [...byPath.keys()].filter((p) => p === 'manifest.json' || p.endsWith('/manifest.json'));
  manifests.sort((a, b) => a.split('/').length - b.split('/').length);
  const top = manifests[0];
  const root = top ? top.slice(0, -'manifest.json'.length) : '';
  return { root, byPath };
}

function folderName(files: File[]): string {
  const rel = (files[0] as (File & { webkitRelativePath?: string }) | undefined)?.webkitRelativePath ?? '';
  return rel.includes('/') ? rel.split('/')[0]! : 'folder';
}

function lookupFromFiles(files: File[]): Lookup {
  const { root, byPath } = indexFiles(files);
  return async (path) => byPath.get(root + path) ?? null;
}

function lookupFromHandle(dir: FileSystemDirectoryHandle): Lookup {
  return async (path) => {
    const parts = path.split('/');
    let d = dir;
    try {
      for (const p of parts.slice(0, -1)) d = await d.getDirectoryHandle(p);
      return await (await d.getFileHandle(parts[parts.length - 1]!)).getFile();
    } catch (e) {
      if ((e as { name?: string }).name === 'NotFoundError' || (e as { name?: string }).name === 'TypeMismatchError') return null;
      throw e;
    }
  };
}

export function createFolderSource(files: File[] | FileSystemDirectoryHandle): BundleSource {
  const isList = Array.isArray(files);
  const label = isList ? folderName(files) : files.name;
  const lookup = isList ? lookupFromFiles(files) : lookupFromHandle(files);
  const need = async (path: string): Promise<File> => {
    const f = await lookup(path);
    if (!f) throw new PandaError('BUNDLE_FILE_MISSING', `The folder "${label}" has no ${path}. Pick the bundle folder made by \`npm run convert\` (the one with manifest.json).`, { path });
    return f;
  };
  return {
    kind: 'folder',
    label,
    idFor: (m) => `folder:${m.name}`,
    async readManifest() {
      return (await need('manifest.json')).text();
    },
    async openFile(path, start) {
      const f = await need(path);
      return { start, body: f.slice(start).stream() as ReadableStream<Uint8Array> };
    },
  };
}
