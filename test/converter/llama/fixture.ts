/**
 * Shared test helpers: the fixture's LLM reference cases, a once-per-process conversion of the
 * tiny fixture, and a minimal decoder runner (prefill, KV-cached steps, full recompute) on
 * onnxruntime-node, written independently of the app's engine so the bundle is checked on its own.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { convertPandaGpt, type ConvertOptions } from '../../../converter/bundle/convert';
import { ioName } from '../../../converter/llama/graph/io';
import { f16BitsToF32, toF16 } from '../../../converter/quant/fp16';
import type { BundleManifest, DecoderVariant, OnnxPart, WeightFormat } from '../../../src/core/manifest';
import { nodePartLoader } from '../../../cli/node-runtime';
import { readNpy } from '../../helpers/npy';

export const FIXTURE = 'test/fixtures/pandagpt-tiny';
export const VICUNA = join(FIXTURE, 'vicuna');
export const DELTA = join(FIXTURE, 'pandagpt/pytorch_model.pt');

export interface LlmCase {
  id: string;
  seq_len: number;
  inputs_embeds: { file: string; shape: number[] };
  prefill_logits: { file: string };
  greedy: { ids: number[]; max_new_tokens: number; min_top1_top2_margin: number };
  step_topk_ids: { file: string };
  step_topk_logits: { file: string };
  step_logsumexp: { file: string };
}

export function fixtureIndex(): { llm: { cases: LlmCase[]; lora_scaling: number; merged_layer0: Record<string, { file: string; shape: number[] }> } } {
  return JSON.parse(readFileSync(join(FIXTURE, 'reference/index.json'), 'utf8'));
}

export const llmCases = (): LlmCase[] => fixtureIndex().llm.cases;

export function f32(file: string): Float32Array {
  const n = readNpy(join(FIXTURE, file));
  if (!(n.data instanceof Float32Array)) throw new Error(`${file} is not float32`);
  return n.data;
}

export function i32(file: string): Int32Array {
  const n = readNpy(join(FIXTURE, file));
  if (!(n.data instanceof Int32Array)) throw new Error(`${file} is not int32`);
  return n.data;
}

const conversions = new Map<string, Promise<{ dir: string; manifest: BundleManifest }>>();

/** Converts the fixture once per test process (and per option set) into a temp folder. */
export function convertFixture(quant: WeightFormat, extra: Partial<ConvertOptions> = {}): Promise<{ dir: string; manifest: BundleManifest }> {
  const key = JSON.stringify([quant, extra]);
  let p = conversions.get(key);
  if (!p) {
    const dir = join(mkdtempSync(join(tmpdir(), 'llm-conv-')), 'bundle');
    p = convertPandaGpt({ vicunaDir: VICUNA, deltaPath: DELTA, outDir: dir, quant, ...extra }).then((manifest) => ({ dir, manifest }));
    conversions.set(key, p);
  }
  return p;
}

export function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function logSoftmax(a: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of a) max = Math.max(max, v);
  let sum = 0;
  for (const v of a) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(a, (v) => v - lse);
}

/** KL(p‖q) from logits. */
export function klFromLogits(p: Float32Array, q: Float32Array): number {
  const lp = logSoftmax(p);
  const lq = logSoftmax(q);
  let kl = 0;
  for (let i = 0; i < lp.length; i++) kl += Math.exp(lp[i]!) * (lp[i]! - lq[i]!);
  return kl;
}

type Kv = Record<string, ort.Tensor>;

/** The parts of onnxruntime-node / onnxruntime-web the runner needs (their Tensor classes differ). */
export interface RunnerOrt {
  Tensor: typeof ort.Tensor;
  create(dir: string, part: OnnxPart): Promise<ort.InferenceSession>;
}

// One thread: the graphs are tiny, and the test machine is shared.
export const NODE_CPU: RunnerOrt = { Tensor: ort.Tensor, create: (dir, part) => nodePartLoader(dir)(part, { intraOpNumThreads: 1, interOpNumThreads: 1 }) as Promise<ort.InferenceSession> };

export class DecoderRunner {
  private past: Kv = {};
  private total = 0;

  private constructor(
    readonly manifest: BundleManifest,
    readonly variant: DecoderVariant,
    private readonly session: ort.InferenceSession,
    private readonly embed: Float32Array,
    private readonly rt: RunnerOrt,
  ) {}

  /** `decoderDir` overrides where the decoder file lives (a graph built outside the bundle). */
  static async open(dir: string, manifest: BundleManifest, format: WeightFormat, decoderDir = dir, rt: RunnerOrt = NODE_CPU): Promise<DecoderRunner> {
    const variant = manifest.llm.decoders.find((d) => d.format === format);
    if (!variant) throw new Error(`bundle has no ${format} decoder`);
    if (variant.groups) throw new Error('DecoderRunner runs a decoder in one graph; use LlmEngine for layer groups');
    const session = await rt.create(decoderDir, variant);
    const ref = manifest.llm.embedTokens;
    const raw = readFileSync(join(dir, ref.file));
    const ab = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
    const embed = ref.dtype === 'float32' ? new Float32Array(ab) : Float32Array.from(new Uint16Array(ab), f16BitsToF32);
    return new DecoderRunner(manifest, variant, session, embed, rt);
  }

  get hidden(): number {
    return this.manifest.llm.config.hiddenSize;
  }

  embedRow(id: number): Float32Array {
    return this.embed.slice(id * this.hidden, (id + 1) * this.hidden);
  }

  private floatTensor(data: Float32Array, dims: number[]): ort.Tensor {
    return this.variant.ioDtype === 'float16' ? new this.rt.Tensor('float16', toF16(data), dims) : new this.rt.Tensor('float32', data, dims);
  }

  reset(): void {
    this.past = {};
    this.total = 0;
  }

  /** Fresh run of S rows with an explicit attention mask (1 = attend, 0 = padding). */
  async feedMasked(embeds: Float32Array, mask: number[]): Promise<Float32Array> {
    this.reset();
    return this.feed(embeds, mask);
  }

  lastPresentDims(): readonly number[] {
    return this.past[ioName(this.manifest.llm.io.presentKey, 0)]!.dims;
  }

  /** Feeds S new embedding rows (S×H) after the cached positions; returns the last position's logits. */
  async feed(embeds: Float32Array, mask?: number[]): Promise<Float32Array> {
    const { numLayers, numHeads, headDim } = this.manifest.llm.config;
    const io = this.manifest.llm.io;
    const S = embeds.length / this.hidden;
    const feeds: Kv = {
      [io.inputsEmbeds]: this.floatTensor(embeds, [1, S, this.hidden]),
      [io.attentionMask]: new this.rt.Tensor('int64', mask ? BigInt64Array.from(mask, BigInt) : new BigInt64Array(this.total + S).fill(1n), [1, this.total + S]),
    };
    for (let i = 0; i < numLayers; i++) {
      for (const [pastT, presentT] of [
        [io.pastKey, io.presentKey],
        [io.pastValue, io.presentValue],
      ] as const) {
        feeds[ioName(pastT, i)] = this.past[ioName(presentT, i)] ?? this.floatTensor(new Float32Array(0), [1, numHeads, 0, headDim]);
      }
    }
    const out = await this.session.run(feeds);
    this.past = out;
    this.total += S;
    return out[io.logits]!.data as Float32Array;
  }

  /** Greedy decoding with the KV cache: prefill, then one embedding row per chosen id. */
  async greedy(prompt: Float32Array, steps: number): Promise<{ ids: number[]; logits: Float32Array[] }> {
    this.reset();
    const ids: number[] = [];
    const logits: Float32Array[] = [];
    let l = await this.feed(prompt);
    for (let s = 0; s < steps; s++) {
      logits.push(l);
      ids.push(argmax(l));
      if (s + 1 < steps) l = await this.feed(this.embedRow(ids[s]!));
    }
    return { ids, logits };
  }

  /** Teacher-forced: the distribution before each of `ids`, with the KV cache. */
  async forced(prompt: Float32Array, ids: number[]): Promise<Float32Array[]> {
    this.reset();
    const logits = [await this.feed(prompt)];
    for (const id of ids.slice(0, -1)) logits.push(await this.feed(this.embedRow(id)));
    return logits;
  }

  /** Greedy without a cache: the whole sequence is re-run from scratch at every step. */
  async greedyRecompute(prompt: Float32Array, steps: number): Promise<number[]> {
    const ids: number[] = [];
    let seq = prompt;
    for (let s = 0; s < steps; s++) {
      this.reset();
      const id = argmax(await this.feed(seq));
      ids.push(id);
      const next = new Float32Array(seq.length + this.hidden);
      next.set(seq);
      next.set(this.embedRow(id), seq.length);
      seq = next;
    }
    return ids;
  }
}
