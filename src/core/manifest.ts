/**
 * The bundle manifest: everything the runtime needs to know about a converted PandaGPT bundle.
 * The runtime reads this instead of hard-coding dims, names, prompts or stop rules.
 *
 * Paths are relative to the bundle root (the folder or base URL that holds manifest.json).
 */
import { PandaError } from './errors';
import type { Backend } from './ort';

export const MANIFEST_SCHEMA = 'pandagpt-bundle';
export const MANIFEST_VERSION = 1;

export type DType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8';

/** One file in the bundle, with its integrity data. */
export interface BundleFile {
  size: number;
  sha256: string;
  /**
   * Not downloaded by the page with the rest: nothing it runs needs the file (the ImageBind text
   * encoder when the bundle ships its labels' embeddings). Node reads it from the folder as usual.
   */
  optional?: boolean;
  /**
   * The sha256 of every `size`-byte piece of the file, in order (the last one shorter). Lets the page
   * verify each piece as it arrives with the platform's native SHA-256 (WebCrypto digests one buffer,
   * it cannot stream a whole file), several at once, and resume without any saved hash state.
   * Written by the converter; absent in older bundles (then the whole-file sha256 is streamed).
   */
  chunks?: { size: number; sha256: string[] };
}

/** Piece size of `BundleFile.chunks` written by the converter: the model store's chunk size. */
export const HASH_CHUNK_BYTES = 16 * 1024 * 1024;

/** A raw little-endian tensor stored as its own file (embedding table, llama_proj, ...). */
export interface RawTensorRef {
  file: string;
  /** int8: symmetric per-row quantisation, value = q × rowScales[row] (token embeddings of q4 bundles). */
  dtype: 'float32' | 'float16' | 'int8';
  shape: number[];
  /** Byte offset in the file (default 0). */
  offset?: number;
  /** int8 only: one float32 scale per row. */
  rowScales?: RawTensorRef;
}

/** One ONNX graph with its external data files (in the order ORT should see them). */
export interface OnnxPart {
  file: string;
  /** External data files referenced by the graph, by the exact `location` strings used inside it. */
  externalData: string[];
  /**
   * Bytes of its largest weight (one GPU buffer on WebGPU: it must fit the adapter's
   * maxBufferSize and maxStorageBufferBindingSize). Written by the converter; absent in older bundles.
   */
  maxTensorBytes?: number;
  /**
   * External data the graph reads as float32 that the bundle stores as float16 (half the bytes): the
   * key (an `externalData` entry, not a bundle file) is the value (a bundle file) with every fp16
   * value widened to fp32, so offsets double. The loader widens it before creating the session, so
   * onnxruntime uploads fp32 weights straight to the GPU instead of folding a Cast in its wasm heap
   * (q4 scales and fp16-stored lm_head of fp32-activation decoders).
   */
  widen?: Record<string, string>;
}

/** The bundle files an ONNX part reads (a widened file's fp16 source in its place). */
export function partFiles(p: OnnxPart): string[] {
  return [p.file, ...p.externalData.map((f) => p.widen?.[f] ?? f)];
}

export type WeightFormat = 'q4' | 'fp16' | 'fp32';

interface DecoderVariantInfo {
  format: WeightFormat;
  /** Backends this variant is recommended for, best first. The engine picks by backend. */
  backends: Backend[];
  /** Float type of inputs_embeds / hidden states / KV tensors at the graph boundary. */
  ioDtype: 'float32' | 'float16';
  /** Bytes of its largest weight (any group). */
  maxTensorBytes?: number;
}

/** The whole decoder as one graph (small models, and every bundle before layer groups). */
export interface WholeDecoder extends DecoderVariantInfo, OnnxPart {
  groups?: undefined;
}

/**
 * One graph of a decoder split into consecutive layer groups: it runs layers `layers[0]` to
 * `layers[1] - 1`, reads `io.inputsEmbeds` (the token embeddings for the first group, the previous
 * group's `io.hiddenStates` for the others) and writes `io.hiddenStates`, the last group `io.logits`.
 * Each group is its own session, created one after the other so that loading never holds more than
 * one group's bytes in the page's memory.
 */
export interface DecoderGroup extends OnnxPart {
  layers: [number, number];
}

/** The decoder as consecutive layer groups (large models: see DecoderGroup). */
export interface GroupedDecoder extends DecoderVariantInfo {
  groups: DecoderGroup[];
  file?: undefined;
  externalData?: undefined;
  widen?: undefined;
}

export type DecoderVariant = WholeDecoder | GroupedDecoder;

/** The graphs a decoder variant runs, in order (one for a whole decoder). */
export function decoderGroups(v: DecoderVariant, numLayers: number): DecoderGroup[] {
  return v.groups ?? [{ file: v.file, externalData: v.externalData, maxTensorBytes: v.maxTensorBytes, ...(v.widen ? { widen: v.widen } : {}), layers: [0, numLayers] }];
}

/** Every file a decoder variant needs. */
export function decoderFiles(v: DecoderVariant): string[] {
  return (v.groups ?? [v]).flatMap(partFiles);
}

export interface LlmConfig {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  headDim: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  maxPositions: number;
}

export interface DecoderIo {
  inputsEmbeds: string; // (1, S, H)
  attentionMask: string; // (1, P + S) int64
  /** Template with `{i}` for the layer index, e.g. `past_key_values.{i}.key`; (1, heads, P, headDim). */
  pastKey: string;
  pastValue: string;
  presentKey: string;
  presentValue: string;
  logits: string; // (1, vocab) for the last position only
  /** Output of every layer group but the last, (1, S, H): the next group's `inputsEmbeds` (grouped decoders only). */
  hiddenStates?: string;
}

export interface TokenizerRef {
  /** An HF `tokenizer.json` (loaded with @huggingface/tokenizers). */
  file: string;
  bosId: number;
  eosId: number;
  unkId: number;
  padId: number;
  /** Apply transformers' `clean_up_tokenization_spaces` rules when decoding (PandaGPT: true). */
  cleanUpSpaces: boolean;
}

export interface PromptTemplate {
  /** Text before the media token (PandaGPT: `### Human: <Img>`). */
  mediaPrefix: string;
  /** Text that opens the part after the media token (PandaGPT: `</Img> `). */
  mediaSuffix: string;
  /** Text-only conversations start with this instead (`### Human: `). */
  textPrefix: string;
  /** Ends every human turn (`\n### Assistant:`). */
  assistantTag: string;
  /** Ends an assistant turn in the history (`\n###`). */
  turnEnd: string;
  /** Opens a later human turn (` Human: `). */
  humanTag: string;
}

export interface StopRules {
  /** Generation stops right after any of these ids is produced (PandaGPT: 2277 = `##`). */
  stopTokenIds: number[];
  eosId: number;
  /**
   * After generation ends on a stop token, that token is dropped and the first of these suffixes
   * found at the end of the decoded answer is stripped (PandaGPT: the `\n` before `##`). This
   * replaces the original's blind "drop the last two tokens", which loses real tokens when
   * generation ends on EOS or the length limit.
   */
  stripSuffixes: string[];
}

export interface GenerationDefaults {
  maxNewTokens: number;
  temperature: number;
  topP: number;
  topK: number;
}

export type Modality = 'image' | 'video' | 'audio' | 'thermal' | 'depth' | 'imu';
export const MODALITIES: readonly Modality[] = ['image', 'video', 'audio', 'thermal', 'depth', 'imu'];

export interface EncoderVariant extends OnnxPart {
  format: 'q4' | 'q8' | 'fp16' | 'fp32';
  backends: Backend[];
}

/** One ImageBind encoder (one ONNX graph per modality; video and image share the vision trunk). */
export interface EncoderPart {
  modality: Modality | 'text';
  variants: EncoderVariant[];
  /**
   * The graph's input. With `repeatTime` T the graph takes (N, C, T, H, W) while the modality's
   * preprocessing gives (N, C, H, W): each item is repeated T times along time. Images use the
   * video graph this way (ImageBind's PadIm2Video repeats a still image to T = 2), so the ViT-H
   * vision trunk is stored once for both.
   */
  input: { name: string; shape: (number | string)[]; dtype: DType; repeatTime?: number };
  /** Output before the postprocessor: (N, outDim) raw head output. */
  output: { name: string; dim: number };
  /**
   * Postprocessing applied by the engine: L2-normalise (if `normalize`), multiply by `scale`,
   * then average over clips (video: 15, audio: 3) when `clipMean`.
   */
  postprocess: { normalize: boolean; scale: number; clipMean: boolean };
}

export interface ImageBindSection {
  outDim: number;
  encoders: Partial<Record<Modality | 'text', EncoderPart>>;
  /** CLIP BPE merges for the text encoder (zero-shot tags). */
  textBpe?: string;
  /**
   * The labels this model knows, for zero-shot tags (e.g. PandaGPT-nano's colours, shapes, sounds
   * and activities). Absent: the app uses a generic everyday list.
   */
  labels?: string[];
  /**
   * The text encoder's embeddings of `labels` (rows in that order, outDim each, as `embedText`
   * returns them), computed once by the converter: tags for these labels need no text encoder.
   */
  labelEmbeddings?: RawTensorRef;
}

export interface BundleManifest {
  schema: typeof MANIFEST_SCHEMA;
  version: typeof MANIFEST_VERSION;
  name: string;
  description: string;
  /** Shown in the UI, e.g. "random weights: answers are meaningless". */
  notice?: string;
  createdBy: string;
  files: Record<string, BundleFile>;
  llm: {
    config: LlmConfig;
    embedTokens: RawTensorRef;
    /** llama_proj: weight (H, inDim), bias (H). */
    llamaProj: { weight: RawTensorRef; bias: RawTensorRef };
    decoders: DecoderVariant[];
    io: DecoderIo;
    tokenizer: TokenizerRef;
    prompt: PromptTemplate;
    stop: StopRules;
    generation: GenerationDefaults;
    lora: { rank: number; alpha: number; scaling: number };
  };
  imagebind?: ImageBindSection;
}

export const PANDAGPT_PROMPT: PromptTemplate = {
  mediaPrefix: '### Human: <Img>',
  mediaSuffix: '</Img> ',
  textPrefix: '### Human: ',
  assistantTag: '\n### Assistant:',
  turnEnd: '\n###',
  humanTag: ' Human: ',
};

/** PandaGPT web_demo defaults (spec §7). */
export const PANDAGPT_GENERATION: GenerationDefaults = { maxNewTokens: 256, temperature: 1.0, topP: 0.01, topK: 50 };

export const PANDAGPT_STOP: StopRules = { stopTokenIds: [2277], eosId: 2, stripSuffixes: ['\n'] };

function fail(msg: string): never {
  throw new PandaError('MANIFEST_INVALID', `The bundle's manifest.json is not valid: ${msg}. Re-create the bundle with \`npm run convert\`.`);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse and check a manifest; every file a part names must be listed in `files`. */
export function parseManifest(text: string | unknown): BundleManifest {
  let raw: unknown = text;
  if (typeof text === 'string') {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new PandaError('MANIFEST_INVALID', 'The bundle\'s manifest.json is not JSON. Check the model URL or folder: it must point at a bundle made by `npm run convert`.');
    }
  }
  if (!isObj(raw)) fail('not an object');
  if (raw.schema !== MANIFEST_SCHEMA) fail(`schema is ${JSON.stringify(raw.schema)}, expected "${MANIFEST_SCHEMA}"`);
  if (raw.version !== MANIFEST_VERSION) fail(`version ${JSON.stringify(raw.version)} is not supported (this app reads version ${MANIFEST_VERSION})`);
  if (!isObj(raw.files)) fail('"files" is missing');
  if (!isObj(raw.llm)) fail('"llm" is missing');
  const m = raw as unknown as BundleManifest;
  for (const [path, f] of Object.entries(m.files)) {
    if (!isObj(f) || typeof f.size !== 'number' || typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) fail(`file entry "${path}" needs a size and a sha256`);
    if (path.includes('..') || path.startsWith('/')) fail(`file path "${path}" must stay inside the bundle`);
    if (f.optional !== undefined && typeof f.optional !== 'boolean') fail(`file entry "${path}": "optional" must be true or false`);
    if (f.chunks !== undefined) {
      const c: unknown = f.chunks;
      const ok =
        isObj(c) &&
        Number.isInteger(c.size) &&
        (c.size as number) > 0 &&
        (c.size as number) % 64 === 0 &&
        Array.isArray(c.sha256) &&
        c.sha256.length === Math.ceil(f.size / (c.size as number)) &&
        c.sha256.every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h));
      if (!ok) fail(`file entry "${path}": "chunks" needs a size (a multiple of 64 bytes) and one sha256 per piece of the file`);
    }
  }
  if (!Array.isArray(m.llm.decoders) || m.llm.decoders.length === 0) fail('no decoder variant');
  for (const d of m.llm.decoders) checkDecoder(d, m.llm.config?.numLayers, m.llm.io);
  for (const p of referencedFiles(m)) if (!(p in m.files)) fail(`"${p}" is used by a part but not listed in "files"`);
  for (const e of Object.values(m.imagebind?.encoders ?? {})) {
    const t = e?.input.repeatTime;
    if (t !== undefined && !(Number.isInteger(t) && t >= 1 && e!.input.shape.length === 5 && e!.input.shape[2] === t)) fail(`"repeatTime" of the ${e!.modality} encoder must be the time size of a (N, C, T, H, W) input`);
  }
  const parts: OnnxPart[] = [...m.llm.decoders.flatMap((d) => decoderGroups(d, m.llm.config.numLayers)), ...Object.values(m.imagebind?.encoders ?? {}).flatMap((e) => e?.variants ?? [])];
  for (const v of parts) if (v.maxTensorBytes !== undefined && !(Number.isInteger(v.maxTensorBytes) && v.maxTensorBytes >= 0)) fail(`"maxTensorBytes" of ${v.file} must be a byte count`);
  for (const v of parts) {
    const w: unknown = v.widen;
    if (w === undefined) continue;
    if (!isObj(w) || !Object.entries(w).every(([k, f]) => v.externalData.includes(k) && typeof f === 'string' && !(k in m.files))) fail(`"widen" of ${v.file} must map external data it reads to the fp16 files that hold it`);
  }
  const emb = m.llm.embedTokens;
  if (emb.dtype === 'int8' && !(emb.rowScales && emb.rowScales.dtype === 'float32' && emb.rowScales.shape[0] === emb.shape[0])) fail('int8 "embedTokens" needs float32 "rowScales", one per row');
  const labels: unknown = m.imagebind?.labels;
  if (labels !== undefined && (!Array.isArray(labels) || !labels.every((x) => typeof x === 'string'))) fail('"imagebind.labels" must be a list of strings');
  const le = m.imagebind?.labelEmbeddings;
  if (le && (!Array.isArray(labels) || le.shape[0] !== labels.length || le.shape[1] !== m.imagebind!.outDim)) fail('"imagebind.labelEmbeddings" must have one row of outDim values per label');
  return m;
}

/** A decoder is one graph, or layer groups that cover every layer once, in order. */
function checkDecoder(d: DecoderVariant, numLayers: unknown, io: DecoderIo): void {
  if (!isObj(d)) fail('a decoder variant is not an object');
  const isPart = (p: unknown): p is OnnxPart => isObj(p) && typeof p.file === 'string' && Array.isArray(p.externalData) && p.externalData.every((f) => typeof f === 'string');
  if (d.groups === undefined) {
    if (!isPart(d)) fail(`decoder ${String((d as { format?: unknown }).format)} needs a "file" and its "externalData"`);
    return;
  }
  if (!Number.isInteger(numLayers)) fail('"llm.config.numLayers" is missing');
  if (!Array.isArray(d.groups) || d.groups.length === 0) fail(`decoder ${d.format}: "groups" must list its layer groups`);
  if (typeof io?.hiddenStates !== 'string') fail('a decoder in layer groups needs "llm.io.hiddenStates"');
  let next = 0;
  for (const g of d.groups) {
    const l: unknown = g.layers;
    if (!isPart(g) || !Array.isArray(l) || l[0] !== next || !Number.isInteger(l[1]) || (l[1] as number) <= next) fail(`decoder ${d.format}: its layer groups must cover layers 0 to ${String(numLayers)} in order, each with a "file" and its "externalData"`);
    next = l[1] as number;
  }
  if (next !== numLayers) fail(`decoder ${d.format}: its layer groups end at layer ${next}, the model has ${String(numLayers)}`);
}

/** All files the parts of a manifest reference. */
export function referencedFiles(m: BundleManifest): string[] {
  const out = new Set<string>();
  const llm = m.llm;
  out.add(llm.embedTokens.file);
  if (llm.embedTokens.rowScales) out.add(llm.embedTokens.rowScales.file);
  out.add(llm.llamaProj.weight.file);
  out.add(llm.llamaProj.bias.file);
  out.add(llm.tokenizer.file);
  for (const d of llm.decoders) decoderFiles(d).forEach((f) => out.add(f));
  if (m.imagebind) {
    if (m.imagebind.textBpe) out.add(m.imagebind.textBpe);
    if (m.imagebind.labelEmbeddings) out.add(m.imagebind.labelEmbeddings.file);
    for (const e of Object.values(m.imagebind.encoders)) {
      if (!e) continue;
      for (const v of e.variants) partFiles(v).forEach((f) => out.add(f));
    }
  }
  return [...out];
}

/** Pick the variant recommended for a backend: first one listing it, else the first one. */
export function pickVariant<V extends { backends: Backend[] }>(variants: V[], backend: Backend, prefer?: string, key: (v: V) => string = (v) => (v as unknown as { format: string }).format): V {
  if (prefer) {
    const v = variants.find((x) => key(x) === prefer);
    if (v) return v;
  }
  let best: V | undefined;
  let bestRank = Infinity;
  for (const v of variants) {
    const r = v.backends.indexOf(backend);
    if (r >= 0 && r < bestRank) {
      best = v;
      bestRank = r;
    }
  }
  const chosen = best ?? variants[0];
  if (!chosen) throw new PandaError('MANIFEST_INVALID', 'The bundle lists no variant for this part.');
  return chosen;
}

/** The files the page downloads and keeps (every file but the optional ones). */
export function downloadedFiles(m: BundleManifest): [string, BundleFile][] {
  return Object.entries(m.files).filter(([, f]) => !f.optional);
}
