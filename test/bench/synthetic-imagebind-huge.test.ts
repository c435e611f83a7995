import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dimsFromKwargs,
  ensureImageBindCheckpoint,
  IMAGEBIND_HUGE,
  imageBindElements,
  imageBindParams,
  imageBindTensorSpecs,
  LOG_LOGIT_SCALES,
  writeImageBindCheckpoint,
  type ImageBindDims,
} from '../../bench/lib/synthetic-imagebind-huge';
import { openCheckpoint } from '../../converter/checkpoint';
import type { TensorInfo } from '../../converter/checkpoint/types';
import { convertImageBind } from '../../converter/imagebind/convert';
import { CHECKPOINT, CONFIG } from '../converter/imagebind/fixture';

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

let dir: string;
let small: string;
let smallDims: ImageBindDims;
let fixture: TensorInfo[];
let written: TensorInfo[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'synthetic-imagebind-'));
  smallDims = dimsFromKwargs((JSON.parse(readFileSync(CONFIG, 'utf8')) as { constructor_kwargs: Record<string, unknown> }).constructor_kwargs);
  small = join(dir, 'imagebind.pth');
  await writeImageBindCheckpoint(small, smallDims);
  const a = await openCheckpoint(CHECKPOINT);
  fixture = a.list();
  await a.close();
  const b = await openCheckpoint(small);
  written = b.list();
  await b.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('synthetic imagebind_huge.pth writer', () => {
  it('writes the fixture key set in PyTorch state_dict order, same dtypes and shapes, at the fixture dims', () => {
    expect(smallDims.vision).toEqual({ dim: 64, blocks: 2, heads: 4 });
    expect(smallDims.outDim).toBe(64);
    expect(written.map((t) => t.name)).toEqual(fixture.map((t) => t.name));
    expect(written.map((t) => t.dtype)).toEqual(fixture.map(() => 'float32'));
    expect(written.map((t) => t.shape)).toEqual(fixture.map((t) => t.shape));
    expect(fixture.length).toBe(211);
  });

  it('has the spec §2.2/§2.5 shapes at Huge size, same keys and ranks as the fixture', () => {
    const specs = imageBindTensorSpecs(IMAGEBIND_HUGE);
    // Same keys, order and ranks as the real file's layout (the fixture, scaled): Huge only adds blocks.
    const blockOf = (n: string): number => Number(/\.blocks\.(\d+)\./.exec(n)?.[1] ?? -1);
    const hugeBlocks0and1 = specs.filter((s) => blockOf(s.name) < 2);
    expect(hugeBlocks0and1.map((s) => s.name)).toEqual(fixture.map((t) => t.name));
    expect(hugeBlocks0and1.map((s) => s.shape.length)).toEqual(fixture.map((t) => t.shape.length));
    const blocks: Record<string, number> = { vision: 32, text: 24, audio: 12, depth: 12, thermal: 12, imu: 6 };
    for (const [m, n] of Object.entries(blocks)) {
      const names = specs.filter((s) => s.name.startsWith(`modality_trunks.${m}.blocks.`)).map((s) => blockOf(s.name));
      expect(Math.max(...names), m).toBe(n - 1);
      // Blocks are contiguous and in order, as state_dict() walks the ModuleList.
      expect(names, m).toEqual([...names].sort((a, b) => a - b));
    }
    expect(specs.length).toBe(1311);

    const shape = Object.fromEntries(specs.map((s) => [s.name, s.shape]));
    const expected: Record<string, number[]> = {
      'modality_preprocessors.vision.cls_token': [1, 1, 1280],
      'modality_preprocessors.vision.rgbt_stem.proj.1.weight': [1280, 3, 2, 14, 14],
      'modality_preprocessors.vision.pos_embedding_helper.pos_embed': [1, 257, 1280],
      'modality_preprocessors.text.token_embedding.weight': [49408, 1024],
      'modality_preprocessors.text.pos_embed': [1, 77, 1024],
      'modality_preprocessors.text.mask': [77, 77],
      'modality_preprocessors.audio.cls_token': [1, 1, 768],
      'modality_preprocessors.audio.rgbt_stem.proj.weight': [768, 1, 16, 16],
      'modality_preprocessors.audio.rgbt_stem.norm_layer.weight': [768],
      'modality_preprocessors.audio.rgbt_stem.norm_layer.bias': [768],
      'modality_preprocessors.audio.pos_embedding_helper.pos_embed': [1, 229, 768],
      'modality_preprocessors.depth.cls_token': [1, 1, 384],
      'modality_preprocessors.depth.depth_stem.proj.weight': [384, 1, 16, 16],
      'modality_preprocessors.depth.depth_stem.norm_layer.weight': [384],
      'modality_preprocessors.depth.pos_embedding_helper.pos_embed': [1, 197, 384],
      'modality_preprocessors.thermal.cls_token': [1, 1, 768],
      'modality_preprocessors.thermal.rgbt_stem.proj.weight': [768, 1, 16, 16],
      'modality_preprocessors.thermal.rgbt_stem.norm_layer.bias': [768],
      'modality_preprocessors.thermal.pos_embedding_helper.pos_embed': [1, 197, 768],
      'modality_preprocessors.imu.cls_token': [1, 1, 512],
      'modality_preprocessors.imu.pos_embed': [1, 251, 512],
      'modality_preprocessors.imu.imu_stem.proj.weight': [512, 48],
      'modality_preprocessors.imu.imu_stem.norm_layer.weight': [512],
      'modality_trunks.vision.pre_transformer_layer.0.weight': [1280],
      'modality_trunks.vision.pre_transformer_layer.0.bias': [1280],
      'modality_trunks.vision.blocks.31.attn.in_proj_weight': [3840, 1280],
      'modality_trunks.vision.blocks.31.attn.in_proj_bias': [3840],
      'modality_trunks.vision.blocks.31.attn.out_proj.weight': [1280, 1280],
      'modality_trunks.vision.blocks.31.mlp.fc1.weight': [5120, 1280],
      'modality_trunks.vision.blocks.31.mlp.fc1.bias': [5120],
      'modality_trunks.vision.blocks.31.mlp.fc2.weight': [1280, 5120],
      'modality_trunks.vision.blocks.0.norm_1.weight': [1280],
      'modality_trunks.vision.blocks.0.norm_2.bias': [1280],
      'modality_trunks.text.blocks.23.attn.in_proj_weight': [3072, 1024],
      'modality_trunks.text.blocks.23.mlp.fc1.weight': [4096, 1024],
      'modality_trunks.text.blocks.23.mlp.fc2.weight': [1024, 4096],
      'modality_trunks.audio.blocks.11.attn.in_proj_weight': [2304, 768],
      'modality_trunks.audio.blocks.11.attn.bias_k': [1, 1, 768],
      'modality_trunks.audio.blocks.11.attn.bias_v': [1, 1, 768],
      'modality_trunks.audio.blocks.11.mlp.fc1.weight': [3072, 768],
      'modality_trunks.depth.blocks.11.attn.in_proj_weight': [1152, 384],
      'modality_trunks.depth.blocks.11.attn.bias_k': [1, 1, 384],
      'modality_trunks.depth.blocks.11.mlp.fc2.weight': [384, 1536],
      'modality_trunks.thermal.blocks.11.attn.bias_v': [1, 1, 768],
      'modality_trunks.thermal.blocks.11.mlp.fc1.weight': [3072, 768],
      'modality_trunks.imu.blocks.5.attn.in_proj_weight': [1536, 512],
      'modality_trunks.imu.blocks.5.attn.bias_k': [1, 1, 512],
      'modality_trunks.imu.blocks.5.mlp.fc1.weight': [2048, 512],
      'modality_heads.vision.0.weight': [1280],
      'modality_heads.vision.0.bias': [1280],
      'modality_heads.vision.2.weight': [1024, 1280],
      'modality_heads.text.proj.0.weight': [1024],
      'modality_heads.text.proj.1.weight': [1024, 1024],
      'modality_heads.audio.2.weight': [1024, 768],
      'modality_heads.depth.2.weight': [1024, 384],
      'modality_heads.thermal.2.weight': [1024, 768],
      'modality_heads.imu.0.weight': [512],
      'modality_heads.imu.3.weight': [1024, 512],
      'modality_postprocessors.text.1.log_logit_scale': [],
      'modality_postprocessors.audio.1.log_logit_scale': [],
      'modality_postprocessors.depth.1.log_logit_scale': [],
      'modality_postprocessors.thermal.1.log_logit_scale': [],
      'modality_postprocessors.imu.1.log_logit_scale': [],
    };
    for (const [name, s] of Object.entries(expected)) expect(shape[name], name).toEqual(s);
    // No bias_k/v in the vision and text trunks; no pre-LN outside vision; no vision postprocessor.
    expect(specs.some((s) => /trunks\.(vision|text)\..*bias_[kv]/.test(s.name))).toBe(false);
    expect(specs.filter((s) => s.name.includes('pre_transformer_layer')).map((s) => s.name.split('.')[1])).toEqual(['vision', 'vision']);
    expect(specs.some((s) => s.name.startsWith('modality_postprocessors.vision'))).toBe(false);
    expect(specs.some((s) => s.name.startsWith('modality_heads.vision.1') || s.name.startsWith('modality_heads.imu.2'))).toBe(false);
  });

  it('counts 1,200,781,057 parameters (≈1.2 B, ≈4.8 GB fp32), from the spec shapes', () => {
    // Per block: in_proj 3D²+3D, out_proj D²+D, fc1 4D²+4D, fc2 4D²+D, two LNs 4D, bias_k/v 2D.
    const block = (D: number, kv: boolean): number => 12 * D * D + 13 * D + (kv ? 2 * D : 0);
    const head = (D: number): number => 2 * D + 1024 * D;
    const vision = 1280 + 1280 * 3 * 2 * 14 * 14 + 257 * 1280 + 2 * 1280 + 32 * block(1280, false) + head(1280);
    const text = 49408 * 1024 + 77 * 1024 + 24 * block(1024, false) + head(1024) + 1; // + learnable log_logit_scale
    const audio = 768 + 768 * 256 + 2 * 768 + 229 * 768 + 12 * block(768, true) + head(768);
    const depth = 384 + 384 * 256 + 2 * 384 + 197 * 384 + 12 * block(384, true) + head(384);
    const thermal = 768 + 768 * 256 + 2 * 768 + 197 * 768 + 12 * block(768, true) + head(768);
    const imu = 251 * 512 + 512 + 512 * 48 + 2 * 512 + 6 * block(512, true) + head(512);
    expect([vision, text, audio, depth, thermal, imu]).toEqual([632_829_440, 354_032_641, 86_235_648, 21_871_872, 86_211_072, 19_600_384]);
    expect(vision + text + audio + depth + thermal + imu).toBe(1_200_781_057);
    expect(imageBindParams(IMAGEBIND_HUGE)).toBe(1_200_781_057);
    // + the 77×77 text mask and the 4 fixed logit-scale buffers.
    expect(imageBindElements(IMAGEBIND_HUGE)).toBe(1_200_781_057 + 77 * 77 + 4);
    // The fixture-sized file: every element stored once as fp32.
    expect(imageBindElements(smallDims)).toBe(fixture.reduce((a, t) => a + numel(t.shape), 0));
    expect(statSync(small).size).toBeGreaterThan(4 * imageBindElements(smallDims));
  });

  it('stores the exact mask and logit scales and small, finite, seeded noise elsewhere', async () => {
    const src = await openCheckpoint(small);
    try {
      const mask = await src.readF32('modality_preprocessors.text.mask');
      for (let i = 0; i < 77; i++) for (let j = 0; j < 77; j++) expect(mask[i * 77 + j]).toBe(j > i ? -Infinity : 0);
      const fx = JSON.parse(readFileSync(CONFIG, 'utf8')) as { log_logit_scale: Record<string, number> };
      for (const m of ['audio', 'depth', 'thermal', 'imu'] as const) {
        const name = `modality_postprocessors.${m}.1.log_logit_scale`;
        expect((await src.readF32(name))[0]).toBe(fx.log_logit_scale[name]);
        expect(LOG_LOGIT_SCALES[m]).toBe(fx.log_logit_scale[name]);
      }
      expect((await src.readF32('modality_postprocessors.text.1.log_logit_scale'))[0]).toBe(Math.fround(Math.log(1 / 0.07)));
      const stats = (v: Float32Array): { mean: number; std: number; max: number } => {
        let s = 0, q = 0, max = 0;
        for (const x of v) { s += x; q += x * x; max = Math.max(max, Math.abs(x)); }
        const mean = s / v.length;
        return { mean, std: Math.sqrt(q / v.length - mean * mean), max };
      };
      const emb = stats(await src.readF32('modality_preprocessors.text.token_embedding.weight'));
      expect(Math.abs(emb.mean)).toBeLessThan(1e-3);
      expect(emb.std).toBeGreaterThan(0.0195);
      expect(emb.std).toBeLessThan(0.0205);
      expect(emb.max).toBeLessThanOrEqual(0.02 * Math.sqrt(3) + 1e-6);
      const ln = stats(await src.readF32('modality_trunks.audio.blocks.1.norm_2.weight'));
      expect(Math.abs(ln.mean - 1)).toBeLessThan(0.02);
      // Different tensors get different values (seeded per name).
      const a = await src.readF32('modality_trunks.depth.blocks.0.attn.bias_k');
      const b = await src.readF32('modality_trunks.depth.blocks.0.attn.bias_v');
      expect(a).not.toEqual(b);
    } finally {
      await src.close();
    }
    // Deterministic: a second write is byte-identical.
    const again = join(dir, 'again', 'imagebind.pth');
    mkdirSync(join(dir, 'again'));
    await writeImageBindCheckpoint(again, smallDims);
    expect(readFileSync(again).equals(readFileSync(small))).toBe(true);
  });

  it('reuses the file when the stamp matches and rewrites it when the dims change', async () => {
    const at = join(dir, 'ensure');
    const logs: string[] = [];
    const first = await ensureImageBindCheckpoint(at, smallDims, 'imagebind.pth', (s) => logs.push(s));
    expect(first.bytes).toBe(statSync(small).size);
    expect(readFileSync(first.path).equals(readFileSync(small))).toBe(true);
    const mtime = statSync(first.path).mtimeMs;
    const second = await ensureImageBindCheckpoint(at, smallDims, 'imagebind.pth', (s) => logs.push(s));
    expect(second).toEqual(first);
    expect(statSync(first.path).mtimeMs).toBe(mtime);
    expect(logs.map((l) => l.split(' ')[0])).toEqual(['generating', 'reusing']);
    const other = { ...smallDims, imu: { ...smallDims.imu, blocks: 1 } };
    const third = await ensureImageBindCheckpoint(at, other, 'imagebind.pth', (s) => logs.push(s));
    expect(logs.at(-1)!.split(' ')[0]).toBe('generating');
    expect(third.params).toBe(imageBindParams(other));
    expect(third.bytes).toBeLessThan(first.bytes);
  });

  it('is accepted by the ImageBind converter (every encoder, fixture head counts) and gives finite embeddings', async () => {
    const out = join(dir, 'bundle');
    // A non-Huge file needs its head counts (not in any shape): the fixture's config, as the converter tests pass it.
    const { section } = await convertImageBind({ checkpoint: small, config: CONFIG, outDir: out, quant: 'fp32' });
    expect(Object.keys(section.encoders).sort()).toEqual(['audio', 'depth', 'image', 'imu', 'text', 'thermal', 'video']);
    expect(section.outDim).toBe(64);
    const thermal = section.encoders.thermal!;
    const s = await ort.InferenceSession.create(join(out, thermal.variants[0]!.file));
    const x = new Float32Array(224 * 224).map((_, i) => Math.sin(i));
    const y = (await s.run({ [thermal.input.name]: new ort.Tensor('float32', x, [1, 1, 224, 224]) }))[s.outputNames[0]!]!.data as Float32Array;
    expect(y.length).toBe(64);
    expect(y.every(Number.isFinite)).toBe(true);
  });
});
