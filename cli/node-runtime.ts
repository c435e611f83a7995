/**
 * The Node edge of the engines: onnxruntime-node, files read from a bundle folder, sessions
 * created from paths (ORT reads external data beside the graph itself, without copying it
 * through JS memory).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { PandaError } from '../src/core/errors';
import { widenF16Bytes } from '../src/core/half';
import { parseManifest, type BundleManifest } from '../src/core/manifest';
import type { Backend, OrtModule } from '../src/core/ort';
import type { PartLoader, ReadFile } from '../src/core/session-loader';

export const nodeOrt = ort as unknown as OrtModule;

export interface NodeBundle {
  dir: string;
  manifest: BundleManifest;
  readFile: ReadFile;
  loadPart: PartLoader;
}

export function openBundle(dir: string): NodeBundle {
  const root = resolve(dir);
  const manifestPath = join(root, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new PandaError('BUNDLE_FILE_MISSING', `${manifestPath} does not exist. Point --bundle at a folder made by \`npm run convert\`.`, { file: manifestPath });
  }
  const manifest = parseManifest(readFileSync(manifestPath, 'utf8'));
  const readFileFn: ReadFile = async (p) => {
    const full = join(root, p);
    try {
      return new Uint8Array(await readFile(full));
    } catch {
      throw new PandaError('BUNDLE_FILE_MISSING', `${full} is missing from the bundle. Convert it again.`, { file: full });
    }
  };
  const loadPart = nodePartLoader(root, readFileFn);
  return { dir: root, manifest, readFile: readFileFn, loadPart };
}

/**
 * Sessions from files in `root`: ORT reads the graph and its external data by path. A part with
 * widened external data (OnnxPart.widen) gets a temporary folder where those files exist widened to
 * fp32 (the rest linked), removed once the session holds the weights.
 */
export function nodePartLoader(root: string, readFileFn: ReadFile = async (p) => new Uint8Array(await readFile(join(root, p)))): PartLoader {
  return async (part, options) => {
    if (!part.widen) return ort.InferenceSession.create(join(root, part.file), options) as never;
    const dir = mkdtempSync(join(tmpdir(), 'pandagpt-widened-'));
    try {
      const place = (p: string): string => {
        const to = join(dir, p);
        mkdirSync(dirname(to), { recursive: true });
        return to;
      };
      symlinkSync(join(root, part.file), place(part.file));
      for (const f of part.externalData) {
        const src = part.widen[f];
        if (src) writeFileSync(place(f), widenF16Bytes(await readFileFn(src)));
        else symlinkSync(join(root, f), place(f));
      }
      return (await ort.InferenceSession.create(join(dir, part.file), options)) as never;
    } finally {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // a platform that keeps open files undeletable: the OS temp folder is cleaned later
      }
    }
  };
}

/** Session options for a Node backend: the CPU EP, or ORT's native WebGPU EP (Dawn). */
export function nodeSessionOptions(backend: Backend, threads?: number): ort.InferenceSession.SessionOptions {
  const base: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all' };
  if (threads) base.intraOpNumThreads = threads;
  if (backend === 'webgpu') return { ...base, executionProviders: ['webgpu'] };
  return { ...base, executionProviders: ['cpu'] };
}

/** Print a PandaError (or anything) as one clear line and exit 1. */
export function exitWithError(e: unknown): never {
  const msg = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: string }).code;
  process.stderr.write(`error${code ? ` [${code}]` : ''}: ${msg}\n`);
  if (process.env.DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
}
