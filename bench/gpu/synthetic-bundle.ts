/**
 * A 7B-shaped PandaGPT bundle (q4 decoder) built on the spot from seeded random weights, in under
 * a minute (46 s on 2 cores) instead of ~35 s per layer for a real conversion on one thread: bench/lib's
 * synthetic checkpoint is written with ONE layer (fp16, HF layout + PandaGPT delta), and the
 * converter's own pieces (checkpoint reader, validation, LoRA merge, graph builder, bundle
 * writer) build the decoder from a view of it in which every layer repeats layer 0. Each layer
 * still gets its own initializers, so the GPU reads every layer's weights on every token, as
 * with distinct weights; only the values repeat. See q4-shared.ts for the quantisation memo.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpoint } from '../../converter/checkpoint';
import type { TensorInfo, TensorSource } from '../../converter/checkpoint/types';
import { planDecoders } from '../../converter/bundle/plan';
import { decoderVariant } from '../../converter/bundle/convert';
import { writeRawTensor } from '../../converter/bundle/raw-tensor';
import { writeTokenizer } from '../../converter/bundle/tokenizer';
import { BundleWriter } from '../../converter/bundle/writer';
import { readLlamaConfig } from '../../converter/llama/config';
import { buildDecoder } from '../../converter/llama/graph/decoder';
import { DECODER_IO } from '../../converter/llama/graph/io';
import { type AttnProj, baseKeys, deltaKeys } from '../../converter/llama/keys';
import { LlamaWeights, validateLlama } from '../../converter/llama/weights';
import { type BundleManifest, decoderFiles, type DecoderVariant, MANIFEST_SCHEMA, MANIFEST_VERSION, PANDAGPT_GENERATION, PANDAGPT_PROMPT, PANDAGPT_STOP } from '../../src/core/manifest';
import { ensureSyntheticLlama, llamaParams, type LlamaShape } from '../lib/synthetic-llama';
import { markShared } from './q4-shared';

/** LLaMA-1 7B (Vicuna v0 7B): the model PandaGPT-7B's decoder has. */
export const LLAMA_7B: Omit<LlamaShape, 'name'> = { hidden: 4096, intermediate: 11008, layers: 32, heads: 32, vocab: 32001, loraRank: 32 };

/** LLaMA's MLP width for a hidden size: 2/3 of 4H, rounded up to a multiple of 256 (4096 → 11008). */
export const llamaIntermediate = (hidden: number): number => Math.ceil((8 * hidden) / 3 / 256) * 256;

const LAYER = /\.layers\.(\d+)\./;
const STAMP = '.gpu-check-stamp.json';

/** A checkpoint with one layer seen as `layers` layers (each a copy of layer 0); reads are cached. */
class LayerTiledSource implements TensorSource {
  private readonly cache = new Map<string, Promise<Float32Array>>();

  constructor(
    private readonly inner: TensorSource,
    private readonly layers: number,
  ) {}

  /** `name` for layer i < layers → the stored layer-0 name; undefined when out of range. */
  private stored(name: string): string | undefined {
    const m = LAYER.exec(name);
    if (!m) return name;
    return Number(m[1]) < this.layers ? name.replace(LAYER, '.layers.0.') : undefined;
  }

  list(): TensorInfo[] {
    const out: TensorInfo[] = [];
    for (const t of this.inner.list()) {
      if (!LAYER.test(t.name)) out.push(t);
      else for (let i = 0; i < this.layers; i++) out.push({ ...t, name: t.name.replace(LAYER, `.layers.${i}.`) });
    }
    return out;
  }

  has(name: string): boolean {
    const s = this.stored(name);
    return s !== undefined && this.inner.has(s);
  }

  info(name: string): TensorInfo {
    return { ...this.inner.info(this.stored(name) ?? name), name };
  }

  readF32(name: string): Promise<Float32Array> {
    const s = this.stored(name) ?? name;
    let p = this.cache.get(s);
    if (!p) {
      p = this.inner.readF32(s).then((w) => {
        markShared(w);
        return w;
      });
      this.cache.set(s, p);
    }
    return p;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Layer 0's merged q/k/v/o for every layer: merged once, so the quantisation memo sees one array. */
class TiledWeights extends LlamaWeights {
  private readonly merged = new Map<AttnProj, Promise<Float32Array>>();

  override attn(_layer: number, p: AttnProj): Promise<Float32Array> {
    let m = this.merged.get(p);
    if (!m) {
      m = super.attn(0, p).then((w) => {
        markShared(w);
        return w;
      });
      this.merged.set(p, m);
    }
    return m;
  }
}

export interface SyntheticBundle {
  dir: string;
  manifest: BundleManifest;
  shape: LlamaShape;
  params: number;
  /** Bytes of the q4 decoder (graph + external data): what one decode step reads from memory. */
  decoderBytes: number;
  /** True when an earlier run's bundle of the same shape was reused. */
  reused: boolean;
}

export function shapeName(s: Omit<LlamaShape, 'name'>): string {
  return `llama-l${s.layers}-h${s.hidden}-i${s.intermediate}-nh${s.heads}`;
}

function decoderBytes(m: BundleManifest): number {
  const d = m.llm.decoders[0]!;
  return decoderFiles(d).reduce((a, f) => a + (m.files[f]?.size ?? 0), 0);
}

/** Builds (or reuses) `<workDir>/<shape>/bundle`. */
export async function ensureSyntheticBundle(workDir: string, shape: Omit<LlamaShape, 'name'>, tokenizerDir: string, log: (m: string) => void): Promise<SyntheticBundle> {
  const full: LlamaShape = { ...shape, name: shapeName(shape) };
  const dir = join(workDir, full.name, 'bundle');
  const stampPath = join(workDir, full.name, STAMP);
  const stamp = JSON.stringify({ version: 1, shape: full });
  const params = llamaParams(full);
  if (existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp && existsSync(join(dir, 'manifest.json'))) {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as BundleManifest;
    return { dir, manifest, shape: full, params, decoderBytes: decoderBytes(manifest), reused: true };
  }

  // One stored layer: bench/lib's generator (seeded, fp16) at full width.
  const one = await ensureSyntheticLlama(join(workDir, full.name), { ...full, name: 'one-layer', layers: 1 }, tokenizerDir, log);
  const config = { ...(await readLlamaConfig(one.vicunaDir)), numLayers: full.layers };
  const base = new LayerTiledSource(await openCheckpoint(one.vicunaDir), full.layers);
  const delta = new LayerTiledSource(await openCheckpoint(one.deltaPath), full.layers);
  try {
    const v = validateLlama(base, delta, config);
    const weights = new TiledWeights(base, delta, v);
    const w = await BundleWriter.create(dir);
    try {
      log('tokenizer, embeddings, llama_proj');
      const tokenizer = await writeTokenizer(w, one.vicunaDir, (m) => log(`warning: ${m}`));
      const embedTokens = await writeRawTensor(w, 'embed_tokens.f16.bin', await base.readF32(baseKeys.embed), [config.vocabSize, config.hiddenSize], 'float16');
      const projWeight = await writeRawTensor(w, 'llama_proj.weight.f32.bin', await delta.readF32(deltaKeys.projWeight), [config.hiddenSize, v.projInDim], 'float32');
      const projBias = await writeRawTensor(w, 'llama_proj.bias.f32.bin', await delta.readF32(deltaKeys.projBias), [config.hiddenSize], 'float32');
      // The q4 decoder only (what WebGPU and the CPU EP load); no fp32 copy for wasm.
      const plan = planDecoders('q4', config)[0]!;
      const built = await buildDecoder({ weights, format: plan.format, dir: w.dir, fileName: plan.fileName, onProgress: log });
      const decoders: DecoderVariant[] = [decoderVariant(plan, built)];
      const manifest = await w.commit(
        {
          schema: MANIFEST_SCHEMA,
          version: MANIFEST_VERSION,
          name: `synthetic ${(params / 1e9).toFixed(2)}B LLaMA (${full.layers} layers, hidden ${full.hidden}), q4`,
          description: 'Seeded random weights, every layer a copy of layer 0 (bench/gpu/synthetic-bundle.ts)',
          notice: 'random weights (GPU check)',
          createdBy: 'bench/gpu/synthetic-bundle.ts (converter pieces)',
          llm: { config, embedTokens, llamaProj: { weight: projWeight, bias: projBias }, decoders, io: DECODER_IO, tokenizer, prompt: PANDAGPT_PROMPT, stop: PANDAGPT_STOP, generation: PANDAGPT_GENERATION, lora: v.lora },
        },
        log,
      );
      writeFileSync(stampPath, stamp);
      return { dir, manifest, shape: full, params, decoderBytes: decoderBytes(manifest), reused: false };
    } catch (e) {
      await w.abort();
      throw e;
    }
  } finally {
    await base.close();
    await delta.close();
  }
}
