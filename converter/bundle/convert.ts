/**
 * Vicuna v0 + PandaGPT delta (+ ImageBind) → a bundle folder the engine loads:
 *
 *   manifest.json  tokenizer.json  embed_tokens.{f32,f16}.bin  llama_proj.{weight,bias}.f32.bin
 *   decoder-<format>.onnx (+ .data files)  [ImageBind encoders]
 *
 * Everything is validated before the first byte is written, written into a temp folder, and moved
 * to `outDir` only at the very end (see writer.ts).
 */
import genericLabels from '../../src/core/zero-shot-labels.json';
import { PandaError } from '../../src/core/errors';
import { type BundleManifest, type DecoderVariant, partFiles, MANIFEST_SCHEMA, MANIFEST_VERSION, PANDAGPT_GENERATION, PANDAGPT_PROMPT, PANDAGPT_STOP, type WeightFormat } from '../../src/core/manifest';
import { openCheckpoint } from '../checkpoint';
import type { TensorSource } from '../checkpoint/types';
import { readLlamaConfig } from '../llama/config';
import { type BuiltDecoder, buildDecoder, type BuiltGraph, LM_HEAD_FORMAT } from '../llama/graph/decoder';
import { DECODER_IO } from '../llama/graph/io';
import { baseKeys, deltaKeys } from '../llama/keys';
import { LlamaWeights, validateLlama } from '../llama/weights';
import { writeLabelEmbeddings } from '../imagebind/label-embeddings';
import { convertImageBind } from '../imagebind/convert';
import { allOrFirstError, ConverterPool } from '../parallel/pool';
import { FileHashes, runWith } from '../parallel/runtime';
import { type DecoderPlan, planDecoders, planLayerGroups } from './plan';
import { writeRawTensor, writeRawTensorFrom } from './raw-tensor';
import { writeTokenizer } from './tokenizer';
import { BundleWriter } from './writer';

export interface ConvertOptions {
  vicunaDir: string;
  deltaPath: string;
  outDir: string;
  quant?: WeightFormat;
  /** Default 32 (PandaGPT's LoraConfig); the rank comes from the tensors. */
  loraAlpha?: number;
  imagebind?: string;
  imagebindConfig?: string;
  /** ImageBind weight formats (converter/imagebind/formats.ts; default: its own per-encoder choice). */
  imagebindQuant?: string;
  /** Override the decoder variants `quant` implies (the built-in tiny model lists fp32 first). */
  decoders?: DecoderPlan[];
  name?: string;
  notice?: string;
  /** Zero-shot labels the model knows (written into the ImageBind section; the app's tags use them). Default: the app's generic list. */
  labels?: string[];
  onProgress?: (msg: string) => void;
  /** Limits (tests use small ones): one initializer / one external data file, bytes. */
  maxInitializerBytes?: number;
  maxDataFileBytes?: number;
  /** Override lm_head's format in the `quant` decoder (measurements; default LM_HEAD_FORMAT). */
  lmHeadFormat?: WeightFormat;
  /**
   * Token-embedding storage: `q8` (int8 rows with one scale each: half of f16's bytes, 0.13 GB less
   * for 7B), `f16` (the checkpoint's own values) or `auto` (default): f32 for fp32 bundles; q8 when
   * every decoder variant is q4 (a 7B/13B `--quant q4` bundle: its answers are 4-bit already; measured
   * on PandaGPT-nano by the quality gate, test/cli/nano-quant-gate.test.ts); f16 otherwise (a bundle
   * with an exact fp32 or fp16 decoder keeps exact embeddings for it).
   */
  embedTokens?: 'auto' | 'q8' | 'f16';
  /**
   * Layers per decoder graph: 0 = the whole decoder in one graph; default: one graph for decoders up
   * to 1 GiB, else layer groups of about 0.6 GB each, so the page can create one session at a time
   * (plan.ts planLayerGroups).
   */
  layersPerGroup?: number;
  /**
   * Worker threads for quantisation, LoRA merge, fp16 and hashing (default 1: all inline on this
   * thread). The bundle is byte-identical whatever the count.
   */
  threads?: number;
}

export const CREATED_BY = 'pandagpt-web converter (cli/convert.ts)';

/** Converts with `o.threads` worker threads, closing them whatever happens. */
export async function convertPandaGpt(o: ConvertOptions): Promise<BundleManifest> {
  const threads = o.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new PandaError('CONVERT_FAILED', `threads must be a positive integer (got ${threads}).`);
  const pool = threads > 1 ? new ConverterPool({ threads }) : undefined;
  const t0 = performance.now();
  try {
    const m = await runWith({ pool, hashes: new FileHashes() }, () => convertBundle(o, pool));
    if (pool) o.onProgress?.(`${threads} worker threads busy ${pool.busyMs().map((b) => `${((100 * b) / (performance.now() - t0)).toFixed(0)} %`).join(', ')} of the time`);
    return m;
  } finally {
    await pool?.close();
  }
}

async function convertBundle(o: ConvertOptions, pool?: ConverterPool): Promise<BundleManifest> {
  const quant = o.quant ?? 'q4';
  const log = o.onProgress ?? (() => {});
  const config = await readLlamaConfig(o.vicunaDir);
  const sources: TensorSource[] = [];
  try {
    log(`reading ${o.vicunaDir}`);
    const base = await openCheckpoint(o.vicunaDir);
    sources.push(base);
    log(`reading ${o.deltaPath}`);
    const delta = await openCheckpoint(o.deltaPath);
    sources.push(delta);
    const v = validateLlama(base, delta, config, o.loraAlpha);
    log(`LLaMA ${config.numLayers} layers, hidden ${config.hiddenSize}; LoRA r=${v.lora.rank} alpha=${v.lora.alpha} (scaling ${v.lora.scaling})`);
    const weights = new LlamaWeights(base, delta, v);

    const plans = o.decoders ?? planDecoders(quant, config);
    const w = await BundleWriter.create(o.outDir);
    try {
      const writeParts = async () => {
        log('tokenizer');
        const tokenizer = await writeTokenizer(w, o.vicunaDir, (m) => log(`warning: ${m}`));

        const embDtype = embeddingDtype(o.embedTokens ?? 'auto', quant, plans);
        const embFile = `embed_tokens.${embDtype === 'float32' ? 'f32' : embDtype === 'int8' ? 'q8' : 'f16'}.bin`;
        log(`${embFile}`);
        const embedTokens = await writeRawTensorFrom(w, embFile, base, baseKeys.embed, [config.vocabSize, config.hiddenSize], embDtype);
        const projWeight = await writeRawTensor(w, 'llama_proj.weight.f32.bin', await delta.readF32(deltaKeys.projWeight), [config.hiddenSize, v.projInDim], 'float32');
        const projBias = await writeRawTensor(w, 'llama_proj.bias.f32.bin', await delta.readF32(deltaKeys.projBias), [config.hiddenSize], 'float32');
        return { tokenizer, embedTokens, projWeight, projBias };
      };
      const buildVariant = async (plan: DecoderPlan): Promise<DecoderVariant> => {
        const lmHeadFormat = plan.lmHeadFormat ?? (plan.format === quant ? o.lmHeadFormat : undefined);
        const layerGroups = planLayerGroups(config, plan.format, lmHeadFormat ?? LM_HEAD_FORMAT[plan.format], plan.layersPerGroup ?? o.layersPerGroup);
        if (layerGroups.length > 1) log(`decoder ${plan.format}: ${layerGroups.length} layer groups of ${layerGroups[0]![1]} layers`);
        const built = await buildDecoder({ weights, format: plan.format, dir: w.dir, fileName: plan.fileName, layerGroups, maxInitializerBytes: o.maxInitializerBytes, maxDataFileBytes: o.maxDataFileBytes, lmHeadFormat, onProgress: log });
        return decoderVariant(plan, built);
      };
      let parts: Awaited<ReturnType<typeof writeParts>>;
      const decoders: DecoderVariant[] = [];
      if (pool) {
        // With worker threads all of it builds side by side (the pool bounds its memory): the workers
        // start on the first weights while the tokenizer converts, and never wait between variants.
        const [p, ...d] = await allOrFirstError<unknown>([writeParts(), ...plans.map(buildVariant)], (e) => pool.abort(e));
        parts = p as typeof parts;
        decoders.push(...(d as DecoderVariant[]));
      } else {
        parts = await writeParts();
        for (const plan of plans) decoders.push(await buildVariant(plan));
      }
      const { tokenizer, embedTokens, projWeight, projBias } = parts;

      let imagebind;
      if (o.imagebind) {
        log(`ImageBind ${o.imagebind}`);
        imagebind = (await convertImageBind({ checkpoint: o.imagebind, config: o.imagebindConfig, outDir: w.dir, quant: o.imagebindQuant, onProgress: log })).section;
        // The labels the app's zero-shot tags use: the model's own (--labels), else the app's generic
        // everyday list. Their embeddings ship with the bundle, so tags need no text encoder in the
        // page (it is not even downloaded: 0.36 GB for ImageBind-Huge).
        const labels = o.labels?.length ? o.labels : genericLabels;
        if (imagebind.encoders.text && !imagebind.textBpe && !o.labels?.length) {
          // No CLIP vocabulary beside the checkpoint: the text encoder cannot run, here or in the page.
          log('no bpe_simple_vocab_16e6.txt.gz beside the ImageBind checkpoint: no zero-shot label embeddings (the text encoder needs that vocabulary)');
        } else if (imagebind.encoders.text) {
          imagebind.labels = labels;
          log(`label embeddings (${labels.length} labels${o.labels?.length ? '' : ', the generic list'})`);
          imagebind.labelEmbeddings = await writeLabelEmbeddings(w, imagebind, labels);
        } else if (o.labels?.length) imagebind.labels = o.labels;
      }

      const name = o.name ?? `PandaGPT (${config.numLayers}-layer LLaMA, ${quant})`;
      const manifest: Omit<BundleManifest, 'files'> = {
        schema: MANIFEST_SCHEMA,
        version: MANIFEST_VERSION,
        name,
        description: `Vicuna v0 + PandaGPT delta (LoRA r=${v.lora.rank}, alpha ${v.lora.alpha}, merged); decoders: ${decoders.map((d) => `${d.format} for ${d.backends.join('/')}`).join(', ')}`,
        ...(o.notice ? { notice: o.notice } : {}),
        createdBy: CREATED_BY,
        llm: {
          config,
          embedTokens,
          llamaProj: { weight: projWeight, bias: projBias },
          decoders,
          io: DECODER_IO,
          tokenizer,
          prompt: PANDAGPT_PROMPT,
          stop: PANDAGPT_STOP,
          generation: PANDAGPT_GENERATION,
          lora: v.lora,
        },
        ...(imagebind ? { imagebind } : {}),
      };
      // With its labels' embeddings shipped, the page never runs the text encoder: it stays in the
      // bundle (Node's --tags uses it) but the page does not download it (0.36 GB for ImageBind-Huge).
      const optional = new Set<string>();
      if (imagebind?.labelEmbeddings && imagebind.encoders.text) {
        for (const v of imagebind.encoders.text.variants) for (const f of partFiles(v)) optional.add(f);
        if (imagebind.textBpe) optional.add(imagebind.textBpe);
      }
      const full = await w.commit(manifest, log, optional);
      log(`wrote ${o.outDir}`);
      return full;
    } catch (e) {
      await w.abort();
      throw e;
    }
  } catch (e) {
    if (e instanceof PandaError) throw e;
    throw new PandaError('CONVERT_FAILED', `Conversion failed: ${(e as Error).message ?? String(e)}`, { cause: String(e) });
  } finally {
    for (const s of sources) await s.close();
  }
}

/** The manifest entry of a built decoder: one graph, or its layer groups. */
export function decoderVariant(plan: Pick<DecoderPlan, 'format' | 'backends'>, built: BuiltDecoder): DecoderVariant {
  const info = { format: plan.format, backends: plan.backends, ioDtype: built.ioDtype, maxTensorBytes: built.maxTensorBytes };
  const [only, ...more] = built.graphs;
  const widen = (g: BuiltGraph) => (Object.keys(g.widen).length ? { widen: g.widen } : {});
  if (more.length === 0) return { ...info, file: only!.file, externalData: only!.externalData, ...widen(only!) };
  return { ...info, groups: built.graphs.map((g) => ({ file: g.file, externalData: g.externalData, ...widen(g), layers: g.layers, maxTensorBytes: g.maxTensorBytes })) };
}

/** The token table's storage (see ConvertOptions.embedTokens). */
export function embeddingDtype(choice: 'auto' | 'q8' | 'f16', quant: WeightFormat, plans: Pick<DecoderPlan, 'format'>[]): 'float32' | 'float16' | 'int8' {
  if (choice === 'q8') return 'int8';
  if (choice === 'f16') return 'float16';
  if (quant === 'fp32') return 'float32';
  return plans.every((p) => p.format === 'q4') ? 'int8' : 'float16';
}
