/**
 * Per-modality stems (ImageBind `modality_preprocessors`): media tensor ─► tokens (N, L, D) with CLS
 * and positional embedding added. No Conv3d reaches the browser (the WebGPU EP has none).
 */
import type { Graph } from '../onnx/graph';
import { PandaError } from '../../src/core/errors';
import { makeClsAndPos, makeLayerNorm, type BuildCtx } from './layers';

const PRE = 'modality_preprocessors';

/** (N,D,gh,gw) conv output ─► Reshape (N,D,P) ─► Transpose (N,P,D) */
function flattenPatches(g: Graph, x: string, dim: number): string {
  return g.op1('Transpose', [g.op1('Reshape', [x, g.constI64('flat_shape', [0, dim, -1])])], { attrs: { perm: [0, 2, 1] } });
}

function conv(g: Graph, x: string, w: string, kernel: number[], stride: number[]): string {
  return g.op1('Conv', [x, w], { attrs: { kernel_shape: kernel, strides: stride, pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 } });
}

/**
 * Vision stem. ImageBind repeats an image to 2 frames and runs Conv3d k=s=(2,14,14); per frame that
 * is a sum of two Conv2d with the temporal weight slices W[:,:,0], W[:,:,1].
 *   image (N,3,224,224) ─► Conv2d(W0+W1, k=s=14) ─┐
 *   video (N,3,2,224,224) ─► Gather t=0 ─► Conv2d(W0) ─► Add ◄─ Conv2d(W1) ◄─ Gather t=1
 *   ─► (N,D,16,16) ─► (N,256,D) ─► [CLS] + pos (N,257,D) ─► LN pre_transformer (1e-6) ─►
 */
export function makeVisionStem(c: BuildCtx, x: string, video: boolean): string {
  const { g } = c;
  const wKey = `${PRE}.vision.rgbt_stem.proj.1.weight`;
  const [dim, cin, kt, kh, kw] = c.w.shape(wKey) as [number, number, number, number, number];
  const w = c.w.get(wKey, [dim, 3, 2, kh, kw]);
  const plane = kh * kw;
  const slice = (t: number): Float32Array => {
    const out = new Float32Array(dim * cin * plane);
    for (let o = 0; o < dim * cin; o++) out.set(w.subarray((o * kt + t) * plane, (o * kt + t + 1) * plane), o * plane);
    return out;
  };
  let patches: string;
  if (video) {
    const frames = [0, 1].map((t) => {
      const frame = g.op1('Gather', [x, g.constI64(`t${t}`, [t], [])], { attrs: { axis: 2 } });
      return conv(g, frame, g.initializer(`${wKey}.t${t}`, 'float32', [dim, cin, kh, kw], slice(t)), [kh, kw], [kh, kw]);
    });
    patches = g.op1('Add', frames);
  } else {
    const w0 = slice(0);
    const w1 = slice(1);
    const folded = w0.map((v, i) => v + w1[i]!);
    patches = conv(g, x, g.initializer(`${wKey}.folded`, 'float32', [dim, cin, kh, kw], folded), [kh, kw], [kh, kw]);
  }
  const numPatches = c.w.shape(`${PRE}.vision.pos_embedding_helper.pos_embed`)[1]! - 1;
  const tokens = makeClsAndPos(c, flattenPatches(g, patches, dim), `${PRE}.vision.cls_token`, `${PRE}.vision.pos_embedding_helper.pos_embed`, numPatches, dim);
  return makeLayerNorm(c, tokens, 'modality_trunks.vision.pre_transformer_layer.0', dim, 1e-6);
}

/**
 * Audio / depth / thermal stem (PatchEmbedGeneric with a stem LayerNorm, torch default eps 1e-5):
 *   x (N,1,H,W) ─► Conv2d(k, stride) ─► (N,D,gh,gw) ─► (N,P,D) ─► LN(1e-5) ─► [CLS] + pos ─►
 */
export function makePatchStem(c: BuildCtx, x: string, modality: 'audio' | 'depth' | 'thermal', stride: number, size: [number, number]): string {
  const { g } = c;
  const stem = modality === 'depth' ? 'depth_stem' : 'rgbt_stem';
  const p = `${PRE}.${modality}`;
  const [dim, cin, kh, kw] = c.w.shape(`${p}.${stem}.proj.weight`) as [number, number, number, number];
  const w = g.initializer(`${p}.${stem}.proj.weight`, 'float32', [dim, cin, kh, kw], c.w.get(`${p}.${stem}.proj.weight`, [dim, 1, kh, kw]));
  const tokens = flattenPatches(g, conv(g, x, w, [kh, kw], [stride, stride]), dim);
  const normed = makeLayerNorm(c, tokens, `${p}.${stem}.norm_layer`, dim, 1e-5);
  const numPatches = c.w.shape(`${p}.pos_embedding_helper.pos_embed`)[1]! - 1;
  const grid = (Math.floor((size[0] - kh) / stride) + 1) * (Math.floor((size[1] - kw) / stride) + 1);
  if (grid !== numPatches) {
    throw new PandaError('CONVERT_FAILED', `ImageBind ${modality}: kernel ${kh}, stride ${stride} on ${size.join('×')} gives ${grid} patches but pos_embed has ${numPatches}; check the stride (audio_stride) in --imagebind-config.`);
  }
  return makeClsAndPos(c, normed, `${p}.cls_token`, `${p}.pos_embedding_helper.pos_embed`, numPatches, dim);
}

/**
 * IMU stem: unfold the time axis into patches of 8, features ordered channel-major (c·8 + step):
 *   x (N,6,2000) ─► Reshape (N,6,250,8) ─► Transpose (N,250,6,8) ─► Reshape (N,250,48)
 *   ─► MatMul Wᵀ (48,D) ─► LN(1e-5) ─► [CLS] + pos (N,251,D) ─►
 */
export function makeImuStem(c: BuildCtx, x: string, channels: number, steps: number): string {
  const { g } = c;
  const p = `${PRE}.imu`;
  const [dim, feat] = c.w.shape(`${p}.imu_stem.proj.weight`) as [number, number];
  const kernel = feat / channels;
  const n = steps / kernel;
  const unfolded = g.op1('Reshape', [x, g.constI64('unfold_shape', [0, channels, n, kernel])]);
  const perm = g.op1('Transpose', [unfolded], { attrs: { perm: [0, 2, 1, 3] } });
  const patches = g.op1('Reshape', [perm, g.constI64('patch_shape', [0, n, feat])]);
  // The stem is tiny (48×D): keep it fp32 whatever the trunk format.
  const wT = new Float32Array(feat * dim);
  const w = c.w.get(`${p}.imu_stem.proj.weight`, [dim, feat]);
  for (let o = 0; o < dim; o++) for (let i = 0; i < feat; i++) wT[i * dim + o] = w[o * feat + i]!;
  const tokens = g.op1('MatMul', [patches, g.initializer(`${p}.imu_stem.proj.weight.T`, 'float32', [feat, dim], wT)]);
  const normed = makeLayerNorm(c, tokens, `${p}.imu_stem.norm_layer`, dim, 1e-5);
  return makeClsAndPos(c, normed, `${p}.cls_token`, `${p}.pos_embed`, n, dim);
}

/**
 * Text stem (no CLS): ids (N,77) int64 ─► Gather token_embedding (V,D) ─► Add pos_embed (1,77,D) ─►
 * Quantised bundles store the table as int8 rows with one scale per row (ViT-H text: 49408×1024,
 * 200 MB in fp32), dequantised after the Gather:
 *   ids ─► Gather int8 table (N,77,D) ─► Cast f32 ─► Mul Gather(scales (V,1)) (N,77,1) ─►
 */
export function makeTextStem(c: BuildCtx, ids: string): string {
  const { g } = c;
  const p = `${PRE}.text`;
  const key = `${p}.token_embedding.weight`;
  const [vocab, dim] = c.w.shape(key) as [number, number];
  const [, ctx] = c.w.shape(`${p}.pos_embed`) as [number, number, number];
  const w = c.w.get(key, [vocab, dim]);
  let x: string;
  if (c.linear === 'fp32') {
    x = g.op1('Gather', [g.initializer(key, 'float32', [vocab, dim], w), ids], { attrs: { axis: 0 } });
  } else {
    const q = new Int8Array(vocab * dim);
    const scales = new Float32Array(vocab);
    for (let r = 0; r < vocab; r++) {
      let amax = 0;
      for (let i = 0; i < dim; i++) amax = Math.max(amax, Math.abs(w[r * dim + i]!));
      const s = amax > 0 ? amax / 127 : 1;
      scales[r] = s;
      for (let i = 0; i < dim; i++) q[r * dim + i] = Math.round(w[r * dim + i]! / s);
    }
    const rows = g.op1('Cast', [g.op1('Gather', [g.initializer(`${key}.q8`, 'int8', [vocab, dim], q), ids], { attrs: { axis: 0 } })], { attrs: { to: 1 } });
    const rowScales = g.op1('Gather', [g.initializer(`${key}.q8_scales`, 'float32', [vocab, 1], scales), ids], { attrs: { axis: 0 } });
    x = g.op1('Mul', [rows, rowScales]);
  }
  return g.op1('Add', [x, g.initializer(`${p}.pos_embed`, 'float32', [1, ctx, dim], c.w.get(`${p}.pos_embed`, [1, ctx, dim]))]);
}
