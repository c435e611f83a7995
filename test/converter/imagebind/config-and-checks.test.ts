import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../../converter/checkpoint';
import type { TensorSource } from '../../../converter/checkpoint/types';
import { IMAGEBIND_HUGE_HEADS, readAudioStride, readImageBindHeads } from '../../../converter/imagebind/config';
import { convertImageBind } from '../../../converter/imagebind/convert';
import { buildEncoderGraph } from '../../../converter/imagebind/encoders';
import { formatsFor } from '../../../converter/imagebind/formats';
import { quantizeQ4, quantizeQ8 } from '../../../converter/imagebind/quantize';
import { Weights } from '../../../converter/imagebind/weights';
import { CHECKPOINT, CONFIG, MEDIA, expectedHeadRows, inputRows, maxAbsDiff } from './fixture';

async function imageHead(src: TensorSource, heads: typeof IMAGEBIND_HUGE_HEADS): Promise<Float32Array> {
  const { graph } = await buildEncoderGraph({ kind: 'image', weights: new Weights(src), heads, linear: 'fp32' });
  const s = await ort.InferenceSession.create(graph.toModelBytes());
  const x = inputRows(MEDIA.find((m) => m.kind === 'image')!);
  return (await s.run({ image: new ort.Tensor('float32', x.data, x.dims) })).head!.data as Float32Array;
}

describe('ImageBind converter configuration and checks', () => {
  it('reads head counts from the fixture config (constructor_kwargs) and defaults to ImageBind-Huge', async () => {
    expect(await readImageBindHeads(CONFIG)).toEqual({ vision: 4, text: 2, audio: 4, depth: 2, thermal: 4, imu: 2 });
    expect(await readImageBindHeads()).toEqual({ vision: 16, text: 16, audio: 12, depth: 8, thermal: 12, imu: 8 });
    expect(await readAudioStride(CONFIG)).toBe(10);
    expect(await readAudioStride()).toBe(10);
    const dir = mkdtempSync(join(tmpdir(), 'ib-cfg-'));
    writeFileSync(join(dir, 'kw.json'), JSON.stringify({ vision_num_heads: 8 }));
    expect((await readImageBindHeads(join(dir, 'kw.json'))).vision).toBe(8);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ constructor_kwargs: { audio_num_heads: 0 } }));
    await expect(readImageBindHeads(join(dir, 'bad.json'))).rejects.toMatchObject({ code: 'CONVERT_FAILED' });
    await expect(readImageBindHeads(join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'CONVERT_FAILED' });
  });

  it('head counts matter: the fixture converted with Huge heads no longer matches the reference', async () => {
    const src = await openCheckpoint(CHECKPOINT);
    try {
      const want = expectedHeadRows(MEDIA.find((m) => m.kind === 'image')!);
      expect(maxAbsDiff(await imageHead(src, await readImageBindHeads(CONFIG)), want)).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(await imageHead(src, IMAGEBIND_HUGE_HEADS), want)).toBeGreaterThan(1e-3);
    } finally {
      await src.close();
    }
  });

  it('names the key on a missing tensor or a wrong shape, and rejects heads that do not divide the width', async () => {
    const src = await openCheckpoint(CHECKPOINT);
    try {
      const base = { list: () => src.list(), has: (n: string) => src.has(n), info: (n: string) => src.info(n), readF32: (n: string) => src.readF32(n), close: async () => {} };
      const missing: TensorSource = { ...base, list: () => src.list().filter((t) => t.name !== 'modality_heads.depth.0.bias'), has: (n) => n !== 'modality_heads.depth.0.bias' && src.has(n) };
      await expect(buildEncoderGraph({ kind: 'depth', weights: new Weights(missing), heads: await readImageBindHeads(CONFIG), linear: 'fp32' })).rejects.toMatchObject({ code: 'CHECKPOINT_MISSING_TENSOR', details: { name: 'modality_heads.depth.0.bias' } });
      const wrong: TensorSource = { ...base, info: (n) => (n === 'modality_heads.depth.0.bias' ? { ...src.info(n), shape: [33] } : src.info(n)) };
      await expect(buildEncoderGraph({ kind: 'depth', weights: new Weights(wrong), heads: await readImageBindHeads(CONFIG), linear: 'fp32' })).rejects.toMatchObject({ code: 'CHECKPOINT_SHAPE_MISMATCH' });
      await expect(buildEncoderGraph({ kind: 'depth', weights: new Weights(src), heads: { ...IMAGEBIND_HUGE_HEADS, depth: 5 }, linear: 'fp32' })).rejects.toMatchObject({ code: 'CONVERT_FAILED' });
      await expect(buildEncoderGraph({ kind: 'audio', weights: new Weights(src), heads: await readImageBindHeads(CONFIG), linear: 'fp32', audioStride: 16 })).rejects.toThrow(/gives 96 patches but pos_embed has 228/);
    } finally {
      await src.close();
    }
  });

  it('refuses a checkpoint with tensors the graphs would drop', async () => {
    const src = await openCheckpoint(CHECKPOINT);
    try {
      const extra = { name: 'modality_trunks.depth.blocks.0.attn.extra_scale', dtype: 'float32' as const, shape: [1], file: 'x' };
      const withExtra: TensorSource = { list: () => [...src.list(), extra], has: (n) => n === extra.name || src.has(n), info: (n) => (n === extra.name ? extra : src.info(n)), readF32: (n) => (n === extra.name ? Promise.resolve(new Float32Array(1)) : src.readF32(n)), close: async () => {} };
      const out = mkdtempSync(join(tmpdir(), 'ib-extra-'));
      await expect(convertImageBind({ checkpoint: CHECKPOINT, config: CONFIG, outDir: out, quant: 'fp32', modalities: ['depth'], source: withExtra })).rejects.toMatchObject({ code: 'CONVERT_FAILED', details: { unused: [extra.name] } });
      await expect(convertImageBind({ checkpoint: CHECKPOINT, config: CONFIG, outDir: out, quant: 'fp32', modalities: ['depth'], source: src })).resolves.toBeTruthy();
    } finally {
      await src.close();
    }
  });

  it('quant option: fp32, auto (and the LLM formats) → the measured default, all, explicit imagebind-*', () => {
    expect(formatsFor('image', 'fp32')).toEqual(['fp32']);
    expect(formatsFor('image', undefined)).toEqual(['q8']);
    expect(formatsFor('audio', 'q4')).toEqual(['q8']);
    expect(formatsFor('audio', 'fp16')).toEqual(['q8']);
    expect(formatsFor('text', 'all')).toEqual(['fp32', 'q8', 'q4']);
    expect(formatsFor('text', 'imagebind-q4,fp32')).toEqual(['q4', 'fp32']);
    expect(() => formatsFor('text', 'int3')).toThrow(/Unknown ImageBind weight format/);
    // per-encoder overrides: exact media encoders, a smaller text encoder (the built-in model's choice)
    expect(formatsFor('image', 'fp32,text=q8')).toEqual(['fp32']);
    expect(formatsFor('text', 'fp32,text=q8')).toEqual(['q8']);
    expect(formatsFor('audio', 'auto,audio=q4')).toEqual(['q4']);
    expect(() => formatsFor('text', 'fp32,txt=q8')).toThrow(/<encoder>=<format>/);
  });

  it('quantisers round-trip within half a step', () => {
    const n = 3;
    const k = 40; // not a multiple of the q4 block: exercises the zero padding
    const w = Float32Array.from({ length: n * k }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 5)));
    const q8 = quantizeQ8(w, n, k);
    for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) expect(Math.abs(q8.q[i * n + o]! * q8.scales[o]! - w[o * k + i]!)).toBeLessThanOrEqual(q8.scales[o]! / 2 + 1e-7);
    const q4 = quantizeQ4(w, n, k);
    expect(q4.nBlocks).toBe(2);
    for (let o = 0; o < n; o++) {
      for (let i = 0; i < k; i++) {
        const blk = i >> 5;
        const byte = q4.b[(o * q4.nBlocks + blk) * 16 + ((i & 31) >> 1)]!;
        const q = (i & 1 ? byte >> 4 : byte) & 15;
        const zp = (q4.zeroPoints[o + (blk >> 1)]! >> ((blk & 1) * 4)) & 15;
        const s = q4.scales[o * q4.nBlocks + blk]!;
        expect(Math.abs((q - zp) * s - w[o * k + i]!)).toBeLessThanOrEqual(s / 2 + 1e-6);
      }
    }
  });
});
