/**
 * The whole LLaMA-1 decoder as one ONNX graph with a KV cache (spec §5.2):
 *
 *   inputs_embeds (1,S,H) ──► [layer 0 … L−1] ──► Gather last position (1,H) ─ RMSNorm ─ lm_head ─► logits (1,V) f32
 *   attention_mask (1,T) int64 ─► attention bias (1,1,S,T)      positions P … T−1 ─► RoPE cos/sin
 *   past_key_values.i.{key,value} (1,nh,P,hd) ─► each layer ─► present.i.{key,value} (1,nh,T,hd)
 *
 *   layer i:  h ─┬─ RMSNorm ─ attention ─┐          ┌─ RMSNorm ─ MLP ─┐
 *                └───────────────────── Add ─ h' ──┴──────────────── Add ─► h''
 *
 * Large decoders are cut into consecutive layer groups, one graph each (`layerGroups`): a group reads
 * `inputs_embeds` (the previous group's `hidden_states`), computes positions and mask from its own
 * first past key, and writes `hidden_states`; only the group that ends at the last layer has the final
 * norm and lm_head. The page creates one group's session at a time, so it never holds the whole
 * decoder's bytes at once (a 7B q4 decoder is 3.9 GB).
 *
 * Initializers stream into external data files as each weight is read, so memory stays bounded by
 * a few tensors whatever the model size.
 */
import { join } from 'node:path';
import type { WeightFormat } from '../../../src/core/manifest';
import { ITEM_SIZE } from '../../checkpoint/dtypes';
import { FileExternalDataSink } from '../../onnx/external-data';
import { Graph } from '../../onnx/graph';
import { currentRuntime, writeHashedFile } from '../../parallel/runtime';
import { type AttnProj, baseKeys, type MlpProj } from '../keys';
import type { LlamaWeights } from '../weights';
import { makeAttention } from './attention';
import { DECODER_IO, ioName } from './io';
import { makeLinear, pooledLinearBytes, type PooledWeight } from './linear';
import { makeAttentionBias } from './mask';
import { makeMlp } from './mlp';
import { makeRmsNorm } from './norm';
import { makePositions } from './positions';
import { makeRope } from './rope';
import { type BuildCtx, scoped } from './types';

const GIB = 1024 * 1024 * 1024;

/**
 * lm_head format per variant. For q4 it stays unquantised, by measurement on the fixture (a q4
 * lm_head cost top-1 agreement: 56/96 vs 67/96, test/converter/llama/decoder-quant.test.ts), and is
 * stored fp16 and widened in the graph: Vicuna's shards are fp16, so the values are the checkpoint's
 * exactly, in half the bytes of fp32 (0.26 GB less for 7B, 0.33 GB for 13B).
 */
export const LM_HEAD_FORMAT: Record<WeightFormat, WeightFormat> = { fp32: 'fp32', fp16: 'fp16', q4: 'fp16' };

export interface DecoderBuildOptions {
  weights: LlamaWeights;
  format: WeightFormat;
  dir: string;
  /** e.g. `decoder-q4.onnx`; external data goes to `<fileName>.data[.n]` beside it. Groups: `decoder-q4.g<k>.onnx`. */
  fileName: string;
  /**
   * Consecutive layer ranges [first, end), one graph each (see DecoderGroup in the manifest);
   * default: the whole decoder in one graph.
   */
  layerGroups?: [number, number][];
  /** One initializer = one GPU buffer; SwiftShader's limit is 1 GiB (web-runtime.md). */
  maxInitializerBytes?: number;
  /** Browsers cap one ArrayBuffer; data files stay ≤ 1 GiB. */
  maxDataFileBytes?: number;
  /** lm_head's own format (default: q4 → fp16-stored lm_head, see LM_HEAD_FORMAT; else the variant's format). */
  lmHeadFormat?: WeightFormat;
  onProgress?: (msg: string) => void;
}

export interface BuiltGraph {
  file: string;
  externalData: string[];
  /** Widened external data → its fp16 file (OnnxPart.widen); empty when none. */
  widen: Record<string, string>;
  layers: [number, number];
  maxTensorBytes: number;
}

export interface BuiltDecoder {
  /** One graph (the whole decoder) or its layer groups in order. */
  graphs: BuiltGraph[];
  ioDtype: 'float32' | 'float16';
  maxTensorBytes: number;
}

/** `decoder-q4.onnx` → `decoder-q4.g3.onnx`. */
export const groupFileName = (fileName: string, k: number): string => fileName.replace(/\.onnx$/, '') + `.g${k}.onnx`;

export async function buildDecoder(o: DecoderBuildOptions): Promise<BuiltDecoder> {
  const L = o.weights.config.numLayers;
  const groups = o.layerGroups ?? [[0, L]];
  const whole = groups.length === 1;
  const graphs: BuiltGraph[] = [];
  for (const [k, layers] of groups.entries()) graphs.push(await buildGraph(o, layers, whole ? o.fileName : groupFileName(o.fileName, k)));
  return { graphs, ioDtype: o.format === 'fp16' ? 'float16' : 'float32', maxTensorBytes: Math.max(...graphs.map((g) => g.maxTensorBytes)) };
}

/** Layers [first, end) as one graph; the graph that ends at the last layer also computes the logits. */
async function buildGraph(o: DecoderBuildOptions, [first, end]: [number, number], fileName: string): Promise<BuiltGraph> {
  const config = o.weights.config;
  const act = o.format === 'fp16' ? 'float16' : 'float32';
  const sink = new FileExternalDataSink(o.dir, fileName, { maxFileBytes: o.maxDataFileBytes ?? GIB });
  // fp16-stored tensors read as fp32 (q4 scales, an fp16 lm_head): widened by the loader to twice the
  // size, so these files stay at half the data-file limit.
  const f16Sink = new FileExternalDataSink(o.dir, `${fileName}.f16`, { maxFileBytes: Math.floor((o.maxDataFileBytes ?? GIB) / 2) });
  try {
    const g = new Graph('pandagpt_llama_decoder', { sink, f16Sink });
    const pool = currentRuntime().pool;
    const ctx: BuildCtx = { g, config, format: o.format, act, maxInitializerBytes: o.maxInitializerBytes ?? GIB, pool };
    const { numHeads: nh, headDim: hd, hiddenSize: H, vocabSize: V, numLayers: L } = config;
    const isLast = end === L;
    const layers = Array.from({ length: end - first }, (_, j) => first + j);
    // Pooled: a weight is admitted (memory), read here as stored, and handed to a worker with its
    // LoRA parts; makeLinear decodes, merges and quantises it there while the next one is read.
    const pooled = async (name: string, lora?: { i: number; p: AttnProj }, format = o.format): Promise<PooledWeight> => {
      const info = o.weights.info(name);
      const ticket = await pool!.reserve(pooledLinearBytes(info.shape.reduce((a, b) => a * b, 1), ITEM_SIZE[info.dtype], format));
      try {
        const w = await o.weights.readStored(name);
        return { w, lora: lora && (await o.weights.loraParts(lora.i, lora.p)), where: { file: info.file, tensor: name }, ticket };
      } catch (e) {
        ticket.release();
        throw e;
      }
    };
    const attnWeight = (i: number, p: AttnProj): Promise<Float32Array | PooledWeight> => (pool ? pooled(baseKeys.attn(i, p), { i, p }) : o.weights.attn(i, p));
    const mlpWeight = (i: number, p: MlpProj): Promise<Float32Array | PooledWeight> => (pool ? pooled(baseKeys.mlp(i, p)) : o.weights.read(baseKeys.mlp(i, p)));
    const io = DECODER_IO;

    const x = g.input(io.inputsEmbeds, act, [1, 'sequence_length', H]);
    const mask = g.input(io.attentionMask, 'int64', [1, 'total_sequence_length']);
    const past = new Map(
      layers.map((i) => [
        i,
        {
          key: g.input(ioName(io.pastKey, i), act, [1, nh, 'past_sequence_length', hd]),
          value: g.input(ioName(io.pastValue, i), act, [1, nh, 'past_sequence_length', hd]),
        },
      ]),
    );

    const { bias, rope } = scoped(g, ['model'], () => {
      const pos = makePositions(ctx, x, past.get(first)!.key);
      return { bias: makeAttentionBias(ctx, mask, pos), rope: makeRope(ctx, pos.qPos) };
    });

    let h = x;
    for (const i of layers) {
      o.onProgress?.(`decoder ${o.format}: layer ${i + 1}/${L}`);
      const path = ['model', `layers.${i}`];
      const inNormW = await o.weights.read(baseKeys.inputNorm(i));
      const n1 = scoped(g, [...path, 'input_layernorm'], () => makeRmsNorm(ctx, h, inNormW, baseKeys.inputNorm(i)));
      const attnIo = { pastKey: past.get(i)!.key, pastValue: past.get(i)!.value, presentKey: ioName(io.presentKey, i), presentValue: ioName(io.presentValue, i) };
      const a = await makeAttention(ctx, [...path, 'attn'], n1, (p) => attnWeight(i, p), i, rope, bias, attnIo);
      const h1 = scoped(g, path, () => g.op1('Add', [h, a], { name: 'attn_residual' }));
      const postNormW = await o.weights.read(baseKeys.postNorm(i));
      const n2 = scoped(g, [...path, 'post_attention_layernorm'], () => makeRmsNorm(ctx, h1, postNormW, baseKeys.postNorm(i)));
      const m = await makeMlp(ctx, [...path, 'mlp'], n2, (p) => mlpWeight(i, p), i);
      h = scoped(g, path, () => g.op1('Add', [h1, m], { name: 'mlp_residual' }));
    }

    if (isLast) {
      // Only the last position's logits are needed for generation: (1,S,H) → (1,H).
      const normW = await o.weights.read(baseKeys.norm);
      const last = scoped(g, ['model'], () => g.op1('Gather', [h, g.constI64('last', [-1], [])], { attrs: { axis: 1 }, name: 'last_position' }));
      const normed = scoped(g, ['model', 'norm'], () => makeRmsNorm(ctx, last, normW, baseKeys.norm));
      o.onProgress?.(`decoder ${o.format}: lm_head`);
      const headCtx: BuildCtx = { ...ctx, format: o.lmHeadFormat ?? LM_HEAD_FORMAT[o.format] };
      const lmHead = pool ? await pooled(baseKeys.lmHead, undefined, headCtx.format) : await o.weights.read(baseKeys.lmHead);
      let logits = scoped(g, ['lm_head'], () => makeLinear(headCtx, normed, lmHead, V, H, baseKeys.lmHead));
      if (act === 'float16') logits = scoped(g, ['lm_head'], () => g.op1('Cast', [logits], { attrs: { to: 1 } }));
      g.output(logits, 'float32', [1, V], io.logits);
    } else {
      g.output(h, act, [1, 'sequence_length', H], io.hiddenStates);
    }
    for (const i of layers) {
      g.output(ioName(io.presentKey, i), act, [1, nh, 'total_sequence_length', hd]);
      g.output(ioName(io.presentValue, i), act, [1, nh, 'total_sequence_length', hd]);
    }
    await g.settle();
    sink.close();
    f16Sink.close();
    const doc = first === 0 && isLast ? `PandaGPT LLaMA decoder (${o.format})` : `PandaGPT LLaMA decoder (${o.format}), layers ${first} to ${end - 1} of ${L}`;
    await writeHashedFile(join(o.dir, fileName), g.toModelBytes({ docString: doc }));
    return { file: fileName, externalData: g.externalLocations, widen: g.widened, layers: [first, end], maxTensorBytes: g.largestInitializerBytes };
  } finally {
    sink.close();
    f16Sink.close();
  }
}
