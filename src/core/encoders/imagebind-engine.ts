/**
 * ImageBind encoders on onnxruntime (injected): one session per encoder, created lazily and
 * memoised as a promise; raw head output ─► the manifest's postprocess ─► the vector PandaGPT
 * feeds into llama_proj. Also the text encoder for zero-shot tags.
 */
import { ClipTokenizer } from '../clip-tokenizer';
import { PandaError } from '../errors';
import { pickVariant, type BundleManifest, type EncoderPart, type ImageBindSection, type Modality } from '../manifest';
import type { Backend, OrtModule, OrtSession, SessionOptions } from '../ort';
import { bytesPartLoader, type PartLoader, type ReadFile } from '../session-loader';
import { readRawF32 } from '../engine/embeddings';
import { postprocess, postprocessRows } from './postprocess';
import type { PreprocessedInput, ZeroShotTag } from './types';

export type EncoderKind = Modality | 'text';

export interface ImageBindEngineOptions {
  ort: OrtModule;
  manifest: BundleManifest;
  readFile: ReadFile;
  /**
   * Creates a session for a graph (default: from bytes read with `readFile`). Node passes one that
   * hands onnxruntime file paths, so the weights are not also held in JS.
   */
  loadPart?: PartLoader;
  backend: Backend;
  sessionOptions?: SessionOptions;
  /** Encoders to load now (awaited by `load`); the others load on first use. */
  modalities?: EncoderKind[];
  /** Prefer this weight format (fp32, q8, q4) over the per-backend recommendation. */
  format?: string;
  /** Gunzip for the CLIP BPE file; default DecompressionStream (Node edges may pass node:zlib). */
  gunzip?: (gz: Uint8Array) => Promise<string>;
}

/** Gunzip with the platform's DecompressionStream (browsers, workers, Node ≥ 18). */
async function gunzipText(bytes: Uint8Array): Promise<string> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).text();
}

export class ImageBindEngine {
  /** By graph file: encoders that share a graph (image and video) share its session. */
  private readonly sessions = new Map<string, Promise<OrtSession>>();
  private tokenizer?: Promise<ClipTokenizer>;
  private readonly textCache = new Map<string, Float32Array>();
  private labelsLoaded?: Promise<void>;
  private disposed = false;

  private constructor(
    private readonly o: ImageBindEngineOptions,
    readonly section: ImageBindSection,
  ) {}

  static async load(opts: ImageBindEngineOptions): Promise<ImageBindEngine> {
    const section = opts.manifest.imagebind;
    if (!section) throw new PandaError('MANIFEST_INVALID', 'This bundle has no ImageBind encoders, so it can only chat in text. Convert it with --imagebind.');
    const engine = new ImageBindEngine(opts, section);
    for (const m of opts.modalities ?? []) engine.part(m);
    await Promise.all((opts.modalities ?? []).map((m) => engine.session(m)));
    return engine;
  }

  /** Encoders this bundle has. */
  get modalities(): EncoderKind[] {
    return Object.keys(this.section.encoders) as EncoderKind[];
  }

  private part(kind: EncoderKind): EncoderPart {
    const p = this.section.encoders[kind];
    if (!p) {
      throw new PandaError('MEDIA_UNSUPPORTED', `This bundle has no ImageBind ${kind} encoder (it has: ${this.modalities.join(', ') || 'none'}).`, { modality: kind });
    }
    return p;
  }

  private session(kind: EncoderKind): Promise<OrtSession> {
    if (this.disposed) throw new PandaError('MODEL_NOT_LOADED', 'The media encoder was unloaded.');
    const variant = pickVariant(this.part(kind).variants, this.o.backend, this.o.format);
    let s = this.sessions.get(variant.file);
    if (!s) {
      s = (this.o.loadPart ?? bytesPartLoader(this.o.ort, this.o.readFile))(variant, this.o.sessionOptions ?? {});
      // A failed load must not stick: the next call retries.
      s.catch(() => this.sessions.delete(variant.file));
      this.sessions.set(variant.file, s);
    }
    return s;
  }

  /** Raw head output (rows, outDim) for `rows` items of the encoder's per-row input shape. */
  private async run(kind: EncoderKind, data: Float32Array | BigInt64Array, rows: number): Promise<Float32Array> {
    const part = this.part(kind);
    const session = await this.session(kind);
    const tail = part.input.shape.slice(1) as number[];
    const tensor = new this.o.ort.Tensor(part.input.dtype === 'int64' ? 'int64' : 'float32', data, [rows, ...tail]);
    const out = await session.run({ [part.input.name]: tensor });
    const head = out[part.output.name];
    if (!head) throw new PandaError('INTERNAL', `The ${kind} encoder returned no "${part.output.name}" output.`);
    const raw = (await head.getData()) as Float32Array;
    for (const t of Object.values(out)) t.dispose();
    return raw;
  }

  /** The postprocessed vector PandaGPT feeds llama_proj (outDim). Clips are rows of `input`. */
  async embed(input: PreprocessedInput): Promise<Float32Array> {
    const part = this.part(input.modality);
    const graphTail = part.input.shape.slice(1) as number[];
    const T = part.input.repeatTime;
    // A graph with a repeated time axis takes (C, T, H, W) per item; the item itself is (C, H, W).
    const tail = T ? [graphTail[0]!, graphTail[2]!, graphTail[3]!] : graphTail;
    const rows = input.dims[0] ?? 0;
    const okShape = input.dims.length === tail.length + 1 && tail.every((d, i) => input.dims[i + 1] === d) && rows > 0;
    if (!okShape || input.data.length !== rows * tail.reduce((a, b) => a * b, 1)) {
      throw new PandaError('MEDIA_BAD_SHAPE', `The ${input.modality} encoder takes (clips, ${tail.join(', ')}); got (${input.dims.join(', ')}) with ${input.data.length} values.`, { dims: input.dims, expected: tail });
    }
    if (rows > 1 && !part.postprocess.clipMean) {
      throw new PandaError('MEDIA_BAD_SHAPE', `The ${input.modality} encoder takes one item at a time; got ${rows}.`, { dims: input.dims });
    }
    const data = T ? repeatTime(input.data as Float32Array, rows * tail[0]!, T, tail[1]! * tail[2]!) : input.data;
    const raw = await this.run(input.modality, data, rows);
    return postprocess(raw, rows, part.output.dim, part.postprocess);
  }

  private clipTokenizer(): Promise<ClipTokenizer> {
    if (!this.tokenizer) {
      const file = this.section.textBpe;
      if (!file) return Promise.reject(new PandaError('MANIFEST_INVALID', 'This bundle has no CLIP BPE file for the ImageBind text encoder; re-convert it with the ImageBind bpe_simple_vocab_16e6.txt.gz beside the checkpoint.'));
      this.tokenizer = this.o.readFile(file).then(this.o.gunzip ?? gunzipText).then((text) => new ClipTokenizer(text));
      this.tokenizer.catch(() => (this.tokenizer = undefined));
    }
    return this.tokenizer;
  }

  /** The converter's embeddings of the bundle's own labels, put in the text cache once (a few KB). */
  private shippedLabels(): Promise<void> {
    const ref = this.section.labelEmbeddings;
    const labels = this.section.labels;
    if (!ref || !labels || this.labelsLoaded) return this.labelsLoaded ?? Promise.resolve();
    this.labelsLoaded = readRawF32(ref, this.o.readFile).then((all) => {
      const dim = ref.shape[1]!;
      labels.forEach((label, i) => this.textCache.set(label, all.slice(i * dim, (i + 1) * dim)));
    });
    this.labelsLoaded.catch(() => (this.labelsLoaded = undefined));
    return this.labelsLoaded;
  }

  /**
   * Text embeddings: normalised × the text logit scale (min(exp(s), 100)), one per text. The
   * bundle's own labels come precomputed; only other texts run the text encoder.
   */
  async embedText(texts: string[]): Promise<Float32Array[]> {
    await this.shippedLabels();
    const missing = [...new Set(texts.filter((t) => !this.textCache.has(t)))];
    if (missing.length) {
      const part = this.part('text');
      const ids = (await this.clipTokenizer()).tokenize(missing);
      const raw = await this.run('text', ids, missing.length);
      const rows = postprocessRows(raw, missing.length, part.output.dim, part.postprocess);
      missing.forEach((t, i) => this.textCache.set(t, rows.slice(i * part.output.dim, (i + 1) * part.output.dim)));
    }
    return texts.map((t) => this.textCache.get(t)!);
  }

  /**
   * CLIP-style zero-shot: softmax over labels of (unit media vector · text embedding), the text
   * embedding carrying the logit scale. The media vector is re-normalised first, so PandaGPT's
   * audio (no ×20), video (mean of unit vectors) and thermal (×10) vectors score alike.
   */
  async zeroShot(vector: Float32Array, labels: string[]): Promise<ZeroShotTag[]> {
    if (labels.length === 0) return [];
    const texts = await this.embedText(labels);
    let norm = 0;
    for (const v of vector) norm += v * v;
    norm = Math.max(Math.sqrt(norm), 1e-12);
    const logits = texts.map((t) => {
      if (t.length !== vector.length) throw new PandaError('MEDIA_BAD_SHAPE', `Media vector has ${vector.length} values, text embeddings ${t.length}.`);
      let dot = 0;
      for (let i = 0; i < t.length; i++) dot += (vector[i]! / norm) * t[i]!;
      return dot;
    });
    const max = Math.max(...logits);
    const exps = logits.map((l) => Math.exp(l - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    return labels.map((label, i) => ({ label, score: exps[i]! / sum })).sort((a, b) => b.score - a.score);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    this.textCache.clear();
    for (const s of all) {
      const session = await s.catch(() => undefined);
      await session?.release();
    }
  }
}

/** (planes, HW) → (planes, T, HW): every plane repeated T times (ImageBind's PadIm2Video). */
export function repeatTime(data: Float32Array, planes: number, T: number, hw: number): Float32Array {
  const out = new Float32Array(planes * T * hw);
  for (let p = 0; p < planes; p++) {
    const src = data.subarray(p * hw, (p + 1) * hw);
    for (let t = 0; t < T; t++) out.set(src, (p * T + t) * hw);
  }
  return out;
}
