/**
 * The two parts the engine evaluates itself: token-embedding rows (embed_tokens, V×H) and the
 * ImageBind → LLM bridge (llama_proj: H×inDim weight + H bias), summed over media (spec §4).
 */
import { PandaError } from '../errors';
import { f16ArrayToF32, f16ToF32 } from '../half';
import type { Modality, RawTensorRef } from '../manifest';
import type { ReadFile } from '../session-loader';
import type { MediaEmbedding } from './types';

export async function readRawF32(ref: RawTensorRef, readFile: ReadFile): Promise<Float32Array> {
  const bytes = await readFile(ref.file);
  const n = ref.shape.reduce((a, b) => a * b, 1);
  const off = ref.offset ?? 0;
  if (ref.dtype === 'int8') throw new PandaError('MANIFEST_INVALID', `${ref.file}: int8 tensors are read row by row (token embeddings only).`);
  const width = ref.dtype === 'float32' ? 4 : 2;
  if (bytes.byteLength < off + n * width) {
    throw new PandaError('BUNDLE_FILE_MISSING', `${ref.file} is ${bytes.byteLength} bytes, expected ${off + n * width}. The bundle is incomplete; download or convert it again.`, { file: ref.file });
  }
  const copy = bytes.slice(off, off + n * width);
  return ref.dtype === 'float32' ? new Float32Array(copy.buffer, 0, n) : f16ArrayToF32(new Uint16Array(copy.buffer, 0, n));
}

export class EmbeddingTable {
  private constructor(
    private readonly data: Float32Array | Uint16Array | Int8Array,
    readonly vocab: number,
    readonly dim: number,
    /** int8 tables: one scale per row. */
    private readonly scales?: Float32Array,
  ) {}

  static async load(ref: RawTensorRef, readFile: ReadFile): Promise<EmbeddingTable> {
    const [vocab, dim] = ref.shape as [number, number];
    const bytes = await readFile(ref.file);
    const width = ref.dtype === 'float32' ? 4 : ref.dtype === 'float16' ? 2 : 1;
    const off = ref.offset ?? 0;
    if (bytes.byteLength < off + vocab * dim * width) {
      throw new PandaError('BUNDLE_FILE_MISSING', `${ref.file} is ${bytes.byteLength} bytes, expected ${off + vocab * dim * width}. The bundle is incomplete; download or convert it again.`, { file: ref.file });
    }
    // Typed views need aligned offsets; copy only when the bytes are misaligned.
    const aligned = (bytes.byteOffset + off) % width === 0 ? bytes : bytes.slice(off);
    const start = aligned === bytes ? bytes.byteOffset + off : 0;
    if (ref.dtype === 'int8') {
      if (!ref.rowScales) throw new PandaError('MANIFEST_INVALID', `${ref.file} is int8 without row scales.`);
      return new EmbeddingTable(new Int8Array(aligned.buffer, start, vocab * dim), vocab, dim, await readRawF32(ref.rowScales, readFile));
    }
    const data = ref.dtype === 'float32' ? new Float32Array(aligned.buffer, start, vocab * dim) : new Uint16Array(aligned.buffer, start, vocab * dim);
    return new EmbeddingTable(data, vocab, dim);
  }

  row(id: number, out: Float32Array): void {
    if (id < 0 || id >= this.vocab) throw new PandaError('INTERNAL', `token id ${id} is outside the vocabulary (${this.vocab})`);
    const base = id * this.dim;
    if (this.data instanceof Float32Array) out.set(this.data.subarray(base, base + this.dim));
    else if (this.data instanceof Int8Array) {
      const s = this.scales![id]!;
      for (let j = 0; j < this.dim; j++) out[j] = this.data[base + j]! * s;
    } else for (let j = 0; j < this.dim; j++) out[j] = f16ToF32(this.data[base + j]!);
  }
}

/** PandaGPT runs the modalities in this order before summing (spec §4). */
const ORDER: Modality[] = ['image', 'audio', 'video', 'thermal', 'depth', 'imu'];

/**
 * media token = Σ_m w_m · (W·e_m + b)   (one soft token; with w = 1 the bias counts n times,
 * exactly as PandaGPT's sum after projection). Returns the (H) vector and a content key used to
 * decide whether a cached KV prefix still holds for this media.
 */
export function projectMedia(media: MediaEmbedding[], proj: { weight: Float32Array; bias: Float32Array; inDim: number }): { key: string; vector: Float32Array } {
  const H = proj.bias.length;
  const K = proj.inDim;
  const out = new Float32Array(H);
  const sorted = [...media].sort((a, b) => ORDER.indexOf(a.modality) - ORDER.indexOf(b.modality));
  let key = '';
  for (const m of sorted) {
    if (m.vector.length !== K) {
      throw new PandaError('MEDIA_BAD_SHAPE', `A ${m.modality} embedding has ${m.vector.length} values; this model's bridge takes ${K}. Was it made with another ImageBind?`, { got: m.vector.length, expected: K });
    }
    const w = m.weight ?? 1;
    for (let h = 0; h < H; h++) {
      let acc = proj.bias[h]!;
      const row = h * K;
      for (let k = 0; k < K; k++) acc += proj.weight[row + k]! * m.vector[k]!;
      out[h] = out[h]! + w * acc;
    }
    key += `${m.modality}:${w}:${hashFloats(m.vector)};`;
  }
  return { key, vector: out };
}

/** FNV-1a over the float bits: a content identity, not a security hash. */
export function hashFloats(v: Float32Array): string {
  const u = new Uint32Array(v.buffer, v.byteOffset, v.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < u.length; i++) {
    h ^= u[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${v.length}-${h.toString(16)}`;
}
