/**
 * A synthetic full `imagebind_huge.pth`: the exact `state_dict` of ImageBind's `imagebind_huge()`
 * (all six modalities' preprocessors, trunks, heads and postprocessors, text encoder included), in
 * the key order PyTorch writes it, fp32 like the released file, seeded random values. It is a plain
 * `torch.save` zip with no config beside it, as users have the real one, so the ImageBind converter
 * must fall back on Huge's head counts. Key layout and shapes: shared/spec/pandagpt.md §2.2 and
 * §2.5; key order as in the tiny fixture (test/fixtures/pandagpt-tiny/imagebind/imagebind.pth,
 * written by PyTorch with the original model code). 1,200,781,057 parameters (+ the 77×77 text mask
 * and 4 scalar logit-scale buffers), 4.80 GB. Reused when the stamp matches.
 *
 * Values: weights, embeddings, biases and bias_k/v uniform with std 0.02; LayerNorm weights 1 + that
 * noise; the text causal mask exact (-inf above the diagonal, 0 elsewhere); the logit scales exact
 * (text ln(1/0.07), the learnable init; audio ln 20, depth ln 5, thermal ln 10, IMU ln 5).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { writeTorchCheckpoint, type WriterTensor } from '../../converter/checkpoint';

export type ImageBindModality = 'vision' | 'text' | 'audio' | 'depth' | 'thermal' | 'imu';
export const IMAGEBIND_MODALITIES: readonly ImageBindModality[] = ['vision', 'text', 'audio', 'depth', 'thermal', 'imu'];

export interface ModalityDims {
  /** Embed dim D (MLP hidden is 4·D). */
  dim: number;
  blocks: number;
  /** Not visible in any shape; kept so a config can be written for non-Huge dims. */
  heads: number;
}

/** What `ImageBindModel`'s constructor kwargs change in the state_dict's shapes. */
export type ImageBindDims = { outDim: number } & Record<ImageBindModality, ModalityDims>;

/** `imagebind_huge()` (spec §2.2). */
export const IMAGEBIND_HUGE: ImageBindDims = {
  outDim: 1024,
  vision: { dim: 1280, blocks: 32, heads: 16 },
  text: { dim: 1024, blocks: 24, heads: 16 },
  audio: { dim: 768, blocks: 12, heads: 12 },
  depth: { dim: 384, blocks: 12, heads: 8 },
  thermal: { dim: 768, blocks: 12, heads: 12 },
  imu: { dim: 512, blocks: 6, heads: 8 },
};

/**
 * Shapes the input sizes fix (the same for every ImageBind size at the standard inputs): tokens
 * including CLS per modality, the CLIP vocabulary and context, stem kernels.
 */
export const IMAGEBIND_FIXED = {
  vocab: 49408,
  context: 77,
  tokens: { vision: 257, audio: 229, depth: 197, thermal: 197, imu: 251 },
  visionKernel: [2, 14, 14],
  patchKernel: 16,
  imuFeatures: 48,
} as const;

/** Exact fp32 values of the postprocessors' `log_logit_scale` (text: the learnable init 1/0.07). */
export const LOG_LOGIT_SCALES: Record<Exclude<ImageBindModality, 'vision'>, number> = {
  text: Math.fround(Math.log(1 / 0.07)),
  audio: Math.fround(Math.log(20)),
  depth: Math.fround(Math.log(5)),
  thermal: Math.fround(Math.log(10)),
  imu: Math.fround(Math.log(5)),
};

/** Constructor kwargs whose non-default values would change shapes this writer fixes. */
const FIXED_KWARGS: Record<string, unknown> = {
  video_frames: 2, kernel_size: [2, 14, 14], audio_kernel_size: 16, audio_stride: 10, audio_num_mel_bins: 128,
  audio_target_len: 204, depth_kernel_size: 16, thermal_kernel_size: 16, imu_kernel_size: 8,
};

/** Dims from `ImageBindModel` constructor kwargs (the fixture's `config.json` `constructor_kwargs`); missing = Huge. */
export function dimsFromKwargs(kwargs: Record<string, unknown>): ImageBindDims {
  for (const [k, v] of Object.entries(FIXED_KWARGS)) {
    if (k in kwargs && JSON.stringify(kwargs[k]) !== JSON.stringify(v)) throw new Error(`synthetic ImageBind: ${k}=${JSON.stringify(kwargs[k])} is not supported (only ${JSON.stringify(v)})`);
  }
  const int = (key: string, dflt: number): number => {
    const v = kwargs[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`synthetic ImageBind: ${key} must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const out = { outDim: int('out_embed_dim', IMAGEBIND_HUGE.outDim) } as ImageBindDims;
  for (const m of IMAGEBIND_MODALITIES) {
    const h = IMAGEBIND_HUGE[m];
    out[m] = { dim: int(`${m}_embed_dim`, h.dim), blocks: int(`${m}_num_blocks`, h.blocks), heads: int(`${m}_num_heads`, h.heads) };
  }
  return out;
}

/** How a tensor is filled: uniform noise (std 0.02), 1 + noise (LayerNorm weights), the causal mask, or one exact value. */
export type TensorInit = 'noise' | 'norm-weight' | 'causal-mask' | { value: number };

export interface ImageBindTensorSpec {
  name: string;
  shape: number[];
  init: TensorInit;
  /** A registered buffer (the text mask, the fixed logit scales), not an `nn.Parameter`. */
  buffer: boolean;
}

/** Every state_dict entry of `ImageBindModel` at these dims, in PyTorch's `state_dict()` order. */
export function imageBindTensorSpecs(d: ImageBindDims): ImageBindTensorSpec[] {
  const F = IMAGEBIND_FIXED;
  const out: ImageBindTensorSpec[] = [];
  const add = (name: string, shape: number[], init: TensorInit = 'noise', buffer = false): void => { out.push({ name, shape, init, buffer }); };
  const ln = (prefix: string, D: number): void => { add(`${prefix}.weight`, [D], 'norm-weight'); add(`${prefix}.bias`, [D]); };

  // Preprocessors: a module's own parameters, then its buffers, then its children (nn.Module order).
  const pre = 'modality_preprocessors';
  const V = d.vision.dim;
  add(`${pre}.vision.cls_token`, [1, 1, V]);
  add(`${pre}.vision.rgbt_stem.proj.1.weight`, [V, 3, ...F.visionKernel]);
  add(`${pre}.vision.pos_embedding_helper.pos_embed`, [1, F.tokens.vision, V]);
  const T = d.text.dim;
  add(`${pre}.text.pos_embed`, [1, F.context, T]);
  add(`${pre}.text.mask`, [F.context, F.context], 'causal-mask', true);
  add(`${pre}.text.token_embedding.weight`, [F.vocab, T]);
  for (const [m, stem] of [['audio', 'rgbt_stem'], ['depth', 'depth_stem'], ['thermal', 'rgbt_stem']] as const) {
    const D = d[m].dim;
    add(`${pre}.${m}.cls_token`, [1, 1, D]);
    add(`${pre}.${m}.${stem}.proj.weight`, [D, 1, F.patchKernel, F.patchKernel]);
    ln(`${pre}.${m}.${stem}.norm_layer`, D);
    add(`${pre}.${m}.pos_embedding_helper.pos_embed`, [1, F.tokens[m], D]);
  }
  const I = d.imu.dim;
  add(`${pre}.imu.pos_embed`, [1, F.tokens.imu, I]);
  add(`${pre}.imu.cls_token`, [1, 1, I]);
  add(`${pre}.imu.imu_stem.proj.weight`, [I, F.imuFeatures]);
  ln(`${pre}.imu.imu_stem.norm_layer`, I);

  // Trunks.
  for (const m of IMAGEBIND_MODALITIES) {
    const D = d[m].dim;
    const t = `modality_trunks.${m}`;
    if (m === 'vision') ln(`${t}.pre_transformer_layer.0`, D);
    for (let i = 0; i < d[m].blocks; i++) {
      const b = `${t}.blocks.${i}`;
      add(`${b}.attn.in_proj_weight`, [3 * D, D]);
      add(`${b}.attn.in_proj_bias`, [3 * D]);
      if (m !== 'vision' && m !== 'text') { add(`${b}.attn.bias_k`, [1, 1, D]); add(`${b}.attn.bias_v`, [1, 1, D]); }
      add(`${b}.attn.out_proj.weight`, [D, D]);
      add(`${b}.attn.out_proj.bias`, [D]);
      ln(`${b}.norm_1`, D);
      add(`${b}.mlp.fc1.weight`, [4 * D, D]);
      add(`${b}.mlp.fc1.bias`, [4 * D]);
      add(`${b}.mlp.fc2.weight`, [D, 4 * D]);
      add(`${b}.mlp.fc2.bias`, [D]);
      ln(`${b}.norm_2`, D);
    }
  }

  // Heads: LN → (SelectElement/SelectEOT) → [Dropout for IMU] → Linear(D → out, no bias).
  for (const m of IMAGEBIND_MODALITIES) {
    const D = d[m].dim;
    const h = `modality_heads.${m}`;
    if (m === 'text') {
      ln(`${h}.proj.0`, D);
      add(`${h}.proj.1.weight`, [d.outDim, D]);
    } else {
      ln(`${h}.0`, D);
      add(`${h}.${m === 'imu' ? 3 : 2}.weight`, [d.outDim, D]);
    }
  }

  // Postprocessors: Normalize → LearnableLogitScaling (text learnable, the others fixed buffers).
  for (const m of ['text', 'audio', 'depth', 'thermal', 'imu'] as const) {
    add(`modality_postprocessors.${m}.1.log_logit_scale`, [], { value: LOG_LOGIT_SCALES[m] }, m !== 'text');
  }
  return out;
}

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** `nn.Parameter` elements (buffers excluded): 1,200,781,057 for Huge. */
export function imageBindParams(d: ImageBindDims): number {
  return imageBindTensorSpecs(d).reduce((a, t) => a + (t.buffer ? 0 : numel(t.shape)), 0);
}

/** Every state_dict element (parameters + the mask and logit-scale buffers): 1,200,786,990 for Huge. */
export function imageBindElements(d: ImageBindDims): number {
  return imageBindTensorSpecs(d).reduce((a, t) => a + numel(t.shape), 0);
}

const STD = 0.02;
const DEFAULT_SEED = 0x1b1d_4a9e;

/** FNV-1a of the name, mixed with the seed: each tensor's values depend on it alone, not on write order. */
function tensorSeed(name: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return (h >>> 0) || 1;
}

/** `n` values uniform in [offset - a, offset + a], a = std·√3 (standard deviation std), xorshift32. */
function noise(name: string, n: number, offset: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  const a = STD * Math.sqrt(3);
  const scale = (2 * a) / 2 ** 32;
  const base = offset - a;
  let x = tensorSeed(name, seed);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = base + (x >>> 0) * scale;
  }
  return out;
}

function causalMask(L: number): Float32Array {
  const m = new Float32Array(L * L);
  for (let i = 0; i < L; i++) for (let j = i + 1; j < L; j++) m[i * L + j] = -Infinity;
  return m;
}

/** The tensor's values (exactly what the file stores). */
export function tensorValues(spec: ImageBindTensorSpec, seed = DEFAULT_SEED): Float32Array {
  const n = numel(spec.shape);
  if (spec.init === 'noise') return noise(spec.name, n, 0, seed);
  if (spec.init === 'norm-weight') return noise(spec.name, n, 1, seed);
  if (spec.init === 'causal-mask') return causalMask(spec.shape[0]!);
  return new Float32Array(n).fill(spec.init.value);
}

export interface WrittenImageBind {
  path: string;
  bytes: number;
  /** `nn.Parameter` elements (see imageBindParams). */
  params: number;
  /** All state_dict elements (see imageBindElements). */
  elements: number;
}

export interface WriteImageBindOptions {
  seed?: number;
  /** Zip folder name; default the file name without extension (what torch.save uses). */
  archiveName?: string;
}

/**
 * Writes an `ImageBindModel` state_dict at these dims to `path` (fp32, torch.save zip layout).
 * Tensors are produced one at a time while writing, so memory stays at about the largest tensor
 * (the 49408×1024 text embedding, 202 MB, at Huge).
 */
export async function writeImageBindCheckpoint(path: string, dims: ImageBindDims, opts: WriteImageBindOptions = {}): Promise<WrittenImageBind> {
  const seed = opts.seed ?? DEFAULT_SEED;
  const specs = imageBindTensorSpecs(dims);
  const tensors: WriterTensor[] = specs.map((s) => ({ name: s.name, shape: s.shape, dtype: 'float32', data: () => tensorValues(s, seed) }));
  await writeTorchCheckpoint(path, tensors, { archiveName: opts.archiveName ?? basename(path, extname(path)) });
  return { path, bytes: statSync(path).size, params: imageBindParams(dims), elements: imageBindElements(dims) };
}

const STAMP = '.bench-stamp.json';

/**
 * Writes (or reuses, when `<dir>/.bench-stamp.json` matches and the file has the stamped size)
 * `<dir>/<fileName>`. Written under a temporary name and renamed, so an interrupted run is never reused.
 */
export async function ensureImageBindCheckpoint(dir: string, dims: ImageBindDims, fileName: string, log: (s: string) => void, seed = DEFAULT_SEED): Promise<WrittenImageBind> {
  const path = join(dir, fileName);
  const stampPath = join(dir, STAMP);
  const key = { version: 1, file: fileName, dims, seed, dtype: 'float32' };
  if (existsSync(stampPath) && existsSync(path)) {
    try {
      const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as { key: unknown; bytes: number };
      if (JSON.stringify(stamp.key) === JSON.stringify(key) && statSync(path).size === stamp.bytes) {
        log(`reusing ${path} (${(stamp.bytes / 1e9).toFixed(2)} GB)`);
        return { path, bytes: stamp.bytes, params: imageBindParams(dims), elements: imageBindElements(dims) };
      }
    } catch { /* a broken stamp: rewrite */ }
  }
  mkdirSync(dir, { recursive: true });
  rmSync(stampPath, { force: true });
  rmSync(path, { force: true });
  const params = imageBindParams(dims);
  log(`generating ${path} (${(params / 1e9).toFixed(3)}B params, fp32, ≈${((imageBindElements(dims) * 4) / 1e9).toFixed(2)} GB)`);
  const tmp = `${path}.partial`;
  try {
    await writeImageBindCheckpoint(tmp, dims, { seed, archiveName: basename(fileName, extname(fileName)) });
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  renameSync(tmp, path);
  const bytes = statSync(path).size;
  writeFileSync(stampPath, JSON.stringify({ key, bytes }));
  return { path, bytes, params, elements: imageBindElements(dims) };
}

/** The full synthetic `imagebind_huge.pth` in `dir` (4,803,584,245 bytes; 18 s and 0.37 GB peak RSS measured on the 2-core dev machine). */
export function ensureImageBindHuge(dir: string, log: (s: string) => void): Promise<WrittenImageBind> {
  return ensureImageBindCheckpoint(dir, IMAGEBIND_HUGE, 'imagebind_huge.pth', log);
}
