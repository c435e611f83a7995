/**
 * Media given on the command line: files (preprocessed and encoded by the bundle's ImageBind
 * encoders) or ready ImageBind vectors as JSON.
 */
import type { MediaEmbedding } from '../src/core/engine/types';
import { PandaError } from '../src/core/errors';
import { MODALITIES, type Modality } from '../src/core/manifest';
import type { Backend, SessionOptions } from '../src/core/ort';
import { gunzipSync } from 'node:zlib';
import { ImageBindEngine } from '../src/core/encoders/imagebind-engine';
import { preprocessFile } from './media-node';
import { nodeOrt, type NodeBundle } from './node-runtime';

export interface MediaFileArg {
  modality: Modality;
  file: string;
  weight: number;
}

export function parseMediaEmbeddingJson(text: string, file: string): MediaEmbedding[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PandaError('MEDIA_CORRUPT', `${file} is not JSON. --media-embedding takes a vector, a list of vectors, or [{"modality","vector","weight"}].`);
  }
  const toVec = (v: unknown, where: string): Float32Array => {
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new PandaError('MEDIA_BAD_SHAPE', `${file}: ${where} is not a list of finite numbers.`);
    }
    return Float32Array.from(v as number[]);
  };
  if (Array.isArray(raw) && raw.every((x) => typeof x === 'number')) return [{ modality: 'image', vector: toVec(raw, 'the vector') }];
  if (!Array.isArray(raw)) throw new PandaError('MEDIA_BAD_SHAPE', `${file}: expected a JSON array.`);
  return raw.map((item, i) => {
    if (Array.isArray(item)) return { modality: 'image' as Modality, vector: toVec(item, `item ${i}`) };
    const o = item as { modality?: unknown; vector?: unknown; weight?: unknown };
    const modality = (o.modality ?? 'image') as Modality;
    if (!MODALITIES.includes(modality)) throw new PandaError('MEDIA_BAD_SHAPE', `${file}: item ${i} has unknown modality ${JSON.stringify(o.modality)}.`);
    const weight = o.weight === undefined ? 1 : Number(o.weight);
    return { modality, vector: toVec(o.vector, `item ${i}.vector`), weight };
  });
}


/** Preprocess each file the reference way and encode it with the bundle's ImageBind encoders. */
export async function embedMediaFiles(bundle: NodeBundle, files: MediaFileArg[], backend: Backend, sessionOptions: SessionOptions): Promise<MediaEmbedding[]> {
  if (!files.length) return [];
  const engine = await ImageBindEngine.load({
    ort: nodeOrt,
    manifest: bundle.manifest,
    readFile: bundle.readFile,
    loadPart: bundle.loadPart,
    gunzip: async (gz) => gunzipSync(gz).toString('utf8'),
    backend,
    sessionOptions,
  });
  try {
    const out: MediaEmbedding[] = [];
    for (const f of files) {
      const input = await preprocessFile(f.file, f.modality);
      out.push({ modality: f.modality, vector: await engine.embed(input), weight: f.weight });
    }
    return out;
  } finally {
    await engine.dispose();
  }
}
