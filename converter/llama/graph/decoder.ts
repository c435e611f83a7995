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
 * Initializers stream into external data files as each weight is read, so memory stays bounded by
 * a few tensors whatever the model size.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WeightFormat } from '../../../src/core/manifest';
import { FileExternalDataSink } from '../../onnx/external-data';
import { Graph } from '../../onnx/graph';
import { baseKeys } from '../keys';
import type { LlamaWeights } from '../weights';
import { makeAttention } from './attention';
import { DECODER_IO, ioName } from './io';
import { makeLinear } from './linear';
import { makeAttentionBias } from './mask';
import { makeMlp } from './mlp';
import { makeRmsNorm } from './norm';
import { makePositions } from './positions';
import { makeRope } from './rope';
import { type BuildCtx, scoped } from './types';

const GIB = 1024 * 1024 * 1024;

/**
 * lm_head format per variant. For q4 this is decided by measurement on the fixture
 * (test/converter/llama/decoder-q4.test.ts prints top-1 agreement and KL for both choices).
 */
export const LM_HEAD_FORMAT: Record<WeightFormat, WeightFormat> = { fp32: 'fp32', fp16: 'fp16', q4: 'fp32' };

export interface DecoderBuildOptions {
  weights: LlamaWeights;
  format: WeightFormat;
  dir: string;
  /** e.g. `decoder-q4.onnx`; external data goes to `<fileName>.data[.n]` beside it. */
  fileName: string;
  /** One initializer = one GPU buffer; SwiftShader's limit is 1 GiB (web-runtime.md). */
  maxInitializerBytes?: number;
  /** Browsers cap one ArrayBuffer; data files stay ≤ 1 GiB. */
  maxDataFileBytes?: number;
  /** lm_head's own format (default: q4 → fp32 lm_head, see LM_HEAD_FORMAT; else the variant's format). */
  lmHeadFormat?: WeightFormat;
  onProgress?: (msg: string) => void;
}

export interface BuiltDecoder {
  file: string;
  externalData: string[];
  ioDtype: 'float32' | 'float16';
}

export async function buildDecoder(o: DecoderBuildOptions): Promise<BuiltDecoder> {
  const config = o.weights.config;
  const act = o.format === 'fp16' ? 'float16' : 'float32';
  const sink = new FileExternalDataSink(o.dir, o.fileName, { maxFileBytes: o.maxDataFileBytes ?? GIB });
  try {
    const g = new Graph('pandagpt_llama_decoder', { sink });
    const ctx: BuildCtx = { g, config, format: o.format, act, maxInitializerBytes: o.maxInitializerBytes ?? GIB };
    const { numHeads: nh, headDim: hd, hiddenSize: H, vocabSize: V, numLayers: L } = config;
    const io = DECODER_IO;

    const x = g.input(io.inputsEmbeds, act, [1, 'sequence_length', H]);
    const mask = g.input(io.attentionMask, 'int64', [1, 'total_sequence_length']);
    const past = Array.from({ length: L }, (_, i) => ({
      key: g.input(ioName(io.pastKey, i), act, [1, nh, 'past_sequence_length', hd]),
      value: g.input(ioName(io.pastValue, i), act, [1, nh, 'past_sequence_length', hd]),
    }));

    const { bias, rope } = scoped(g, ['model'], () => {
      const pos = makePositions(ctx, x, past[0]!.key);
      return { bias: makeAttentionBias(ctx, mask, pos), rope: makeRope(ctx, pos.qPos) };
    });

    let h = x;
    for (let i = 0; i < L; i++) {
      o.onProgress?.(`decoder ${o.format}: layer ${i + 1}/${L}`);
      const path = ['model', `layers.${i}`];
      const inNormW = await o.weights.read(baseKeys.inputNorm(i));
      const n1 = scoped(g, [...path, 'input_layernorm'], () => makeRmsNorm(ctx, h, inNormW, baseKeys.inputNorm(i)));
      const attnIo = { pastKey: past[i]!.key, pastValue: past[i]!.value, presentKey: ioName(io.presentKey, i), presentValue: ioName(io.presentValue, i) };
      const a = await makeAttention(ctx, [...path, 'attn'], n1, (p) => o.weights.attn(i, p), i, rope, bias, attnIo);
      const h1 = scoped(g, path, () => g.op1('Add', [h, a], { name: 'attn_residual' }));
      const postNormW = await o.weights.read(baseKeys.postNorm(i));
      const n2 = scoped(g, [...path, 'post_attention_layernorm'], () => makeRmsNorm(ctx, h1, postNormW, baseKeys.postNorm(i)));
      const m = await makeMlp(ctx, [...path, 'mlp'], n2, (p) => o.weights.read(baseKeys.mlp(i, p)), i);
      h = scoped(g, path, () => g.op1('Add', [h1, m], { name: 'mlp_residual' }));
    }

    // Only the last position's logits are needed for generation: (1,S,H) → (1,H).
    const normW = await o.weights.read(baseKeys.norm);
    const last = scoped(g, ['model'], () => g.op1('Gather', [h, g.constI64('last', [-1], [])], { attrs: { axis: 1 }, name: 'last_position' }));
    const normed = scoped(g, ['model', 'norm'], () => makeRmsNorm(ctx, last, normW, baseKeys.norm));
    o.onProgress?.(`decoder ${o.format}: lm_head`);
    const lmHead = await o.weights.read(baseKeys.lmHead);
    const headCtx: BuildCtx = { ...ctx, format: o.lmHeadFormat ?? LM_HEAD_FORMAT[o.format] };
    let logits = scoped(g, ['lm_head'], () => makeLinear(headCtx, normed, lmHead, V, H, baseKeys.lmHead));
    if (act === 'float16') logits = scoped(g, ['lm_head'], () => g.op1('Cast', [logits], { attrs: { to: 1 } }));
    g.output(logits, 'float32', [1, V], io.logits);
    for (let i = 0; i < L; i++) {
      g.output(ioName(io.presentKey, i), act, [1, nh, 'total_sequence_length', hd]);
      g.output(ioName(io.presentValue, i), act, [1, nh, 'total_sequence_length', hd]);
    }
    sink.close();
    await writeFile(join(o.dir, o.fileName), g.toModelBytes({ docString: `PandaGPT LLaMA decoder (${o.format})` }));
    return { file: o.fileName, externalData: [...sink.files], ioDtype: act };
  } finally {
    sink.close();
  }
}
