/** Shared by the ImageBind tests: the fixture paths, its media index, and cosine/diff helpers. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../../helpers/npy';

export const FIXTURE = 'test/fixtures/pandagpt-tiny';
export const CHECKPOINT = join(FIXTURE, 'imagebind/imagebind.pth');
export const CONFIG = join(FIXTURE, 'imagebind/config.json');
export const BPE = join(FIXTURE, 'imagebind/bpe_simple_vocab_16e6.txt.gz');

export interface MediaItem {
  id: string;
  kind: 'image' | 'video' | 'audio' | 'thermal' | 'depth' | 'imu';
  input: { file: string; shape: number[] };
  embedding: { file: string };
  head_output: { file: string; shape: number[] };
  clip_embeddings?: { file: string };
  input_embedding?: { file: string };
}

export const MEDIA: MediaItem[] = JSON.parse(readFileSync(join(FIXTURE, 'reference/index.json'), 'utf8')).media;

export function f32(path: string): { data: Float32Array; shape: number[] } {
  const n = readNpy(join(FIXTURE, path));
  if (!(n.data instanceof Float32Array)) throw new Error(`${path} is not float32`);
  return { data: n.data, shape: n.shape };
}

/**
 * The stored model input as the encoder's rows: drop ImageBind's batch axis B=1 (and for 6-D video
 * and 5-D audio the B·S merge is just dropping B).
 */
export function inputRows(item: MediaItem): { data: Float32Array; dims: number[] } {
  const x = f32(item.input.file);
  const dims = item.kind === 'video' || item.kind === 'audio' ? x.shape.slice(1) : x.shape;
  return { data: x.data, dims };
}

/** The reference head rows our run must equal: video stores clip 0 / crop 1 only, i.e. head row 1. */
export function expectedHeadRows(item: MediaItem): Float32Array {
  const h = f32(item.head_output.file);
  const dim = h.shape[1]!;
  return item.kind === 'video' ? h.data.slice(dim, 2 * dim) : h.data;
}

export { cosine } from '../../../src/core/vector';

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
