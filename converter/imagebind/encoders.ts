/**
 * One ONNX graph per ImageBind encoder: stem ─► trunk ─► head, raw head output (N, outDim).
 * Image and video share the vision trunk weights but are separate graphs (different stems).
 */
import { Graph, type ExternalDataSink } from '../onnx/graph';
import type { Modality } from '../../src/core/manifest';
import type { ImageBindHeads, EncoderName } from './config';
import { makeTrunk, type TrunkSpec } from './block';
import { makeTextHead, makeTokenHead } from './heads';
import { makeImuStem, makePatchStem, makeTextStem, makeVisionStem } from './stems';
import type { LinearFormat } from './quantize';
import type { BuildCtx } from './layers';
import type { Weights } from './weights';
import { PandaError } from '../../src/core/errors';
import { currentRuntime } from '../parallel/runtime';

export type EncoderKind = Modality | 'text';

export const TRUNK_OF: Record<EncoderKind, EncoderName> = {
  image: 'vision', video: 'vision', text: 'text', audio: 'audio', depth: 'depth', thermal: 'thermal', imu: 'imu',
};

/** Graph input per encoder, one item per batch row (clips are batch rows). */
export const ENCODER_INPUTS: Record<EncoderKind, { name: string; shape: (number | string)[]; dtype: 'float32' | 'int64' }> = {
  image: { name: 'image', shape: ['N', 3, 224, 224], dtype: 'float32' },
  video: { name: 'video', shape: ['N', 3, 2, 224, 224], dtype: 'float32' },
  audio: { name: 'audio', shape: ['N', 1, 128, 204], dtype: 'float32' },
  thermal: { name: 'thermal', shape: ['N', 1, 224, 224], dtype: 'float32' },
  depth: { name: 'depth', shape: ['N', 1, 224, 224], dtype: 'float32' },
  imu: { name: 'imu', shape: ['N', 6, 2000], dtype: 'float32' },
  text: { name: 'input_ids', shape: ['N', 77], dtype: 'int64' },
};

export const ENCODER_OUTPUT = 'head';

export interface EncoderBuildOptions {
  kind: EncoderKind;
  weights: Weights;
  heads: ImageBindHeads;
  linear: LinearFormat;
  /** Audio conv stride (ImageBind: 10). */
  audioStride?: number;
  sink?: ExternalDataSink;
}

function trunkSpec(w: Weights, name: EncoderName, heads: number, mask?: string): TrunkSpec {
  const prefix = `modality_trunks.${name}`;
  let blocks = 0;
  while (w.has(`${prefix}.blocks.${blocks}.attn.in_proj_weight`)) blocks++;
  if (blocks === 0) throw new PandaError('CHECKPOINT_MISSING_TENSOR', `The ImageBind checkpoint has no ${name} blocks (${prefix}.blocks.0.*).`);
  const dim = w.shape(`${prefix}.blocks.0.attn.out_proj.weight`)[0]!;
  if (dim % heads !== 0) throw new PandaError('CONVERT_FAILED', `ImageBind ${name}: width ${dim} is not divisible by ${heads} heads; check --imagebind-config.`);
  return { prefix, dim, heads, blocks, biasKv: w.has(`${prefix}.blocks.0.attn.bias_k`), mask };
}

/** Builds the graph of one encoder; returns it with its output width. */
export async function buildEncoderGraph(o: EncoderBuildOptions): Promise<{ graph: Graph; outDim: number }> {
  const g = new Graph(`imagebind_${o.kind}`, { sink: o.sink });
  const c: BuildCtx = { g, w: o.weights, linear: o.linear, pool: currentRuntime().pool };
  const io = ENCODER_INPUTS[o.kind];
  const name = TRUNK_OF[o.kind];
  const x = g.input(io.name, io.dtype, io.shape);
  await c.w.preload(`modality_preprocessors.${name}.`);
  if (name === 'vision') await c.w.preload('modality_trunks.vision.pre_transformer_layer.');

  let mask: string | undefined;
  const tokens = g.scope('stem', () => {
    switch (o.kind) {
      case 'image':
      case 'video':
        return makeVisionStem(c, x, o.kind === 'video');
      case 'audio':
        return makePatchStem(c, x, 'audio', o.audioStride ?? 10, [128, 204]);
      case 'depth':
      case 'thermal': {
        const [, , k] = c.w.shape(`modality_preprocessors.${o.kind}.${o.kind === 'depth' ? 'depth' : 'rgbt'}_stem.proj.weight`) as number[];
        return makePatchStem(c, x, o.kind, k!, [224, 224]);
      }
      case 'imu':
        return makeImuStem(c, x, 6, 2000);
      case 'text': {
        const m = c.w.get('modality_preprocessors.text.mask');
        // -inf → -1e9: identical after softmax in fp32, and no infinities reach WGSL.
        const finite = m.map((v) => (v === -Infinity ? -1e9 : v));
        if (finite.some((v) => !Number.isFinite(v))) throw new PandaError('CONVERT_FAILED', 'ImageBind text mask has non-finite values other than -inf.');
        const l = Math.round(Math.sqrt(m.length));
        mask = g.initializer('modality_preprocessors.text.mask', 'float32', [l, l], finite);
        return makeTextStem(c, x);
      }
    }
  });
  c.w.release('modality_preprocessors.');

  const spec = trunkSpec(c.w, name, o.heads[name], mask);
  const h = await makeTrunk(c, tokens, spec);

  const headPrefix = `modality_heads.${name}`;
  await c.w.preload(`${headPrefix}.`);
  const out = g.scope('head', () => {
    if (o.kind === 'text') return makeTextHead(c, h, x, spec.dim);
    return makeTokenHead(c, h, headPrefix, name === 'imu' ? 3 : 2, spec.dim);
  });
  const outDim = c.w.shape(name === 'text' ? `${headPrefix}.proj.1.weight` : `${headPrefix}.${name === 'imu' ? 3 : 2}.weight`)[0]!;
  c.w.release(`${headPrefix}.`);
  g.output(out, 'float32', ['N', outDim], ENCODER_OUTPUT);
  return { graph: g, outDim };
}
