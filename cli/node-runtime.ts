/**
 * The Node edge of the engines: onnxruntime-node, files read from a bundle folder, sessions
 * created from paths (ORT reads external data beside the graph itself, without copying it
 * through JS memory).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { PandaError } from '../src/core/errors';
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
  const loadPart: PartLoader = (part, options) => ort.InferenceSession.create(join(root, part.file), options) as never;
  return { dir: root, manifest, readFile: readFileFn, loadPart };
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
