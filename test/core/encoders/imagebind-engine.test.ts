import { mkdtempSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertImageBind } from '../../../converter/imagebind/convert';
import { ImageBindEngine } from '../../../src/core/encoders/imagebind-engine';
import { meanRows, postprocess, postprocessRows } from '../../../src/core/encoders/postprocess';
import type { BundleManifest, ImageBindSection } from '../../../src/core/manifest';
import type { OrtModule } from '../../../src/core/ort';
import { CHECKPOINT, CONFIG, MEDIA, cosine, f32, inputRows, maxAbsDiff, FIXTURE } from '../../converter/imagebind/fixture';

let dir: string;
let section: ImageBindSection;
let engine: ImageBindEngine;

function manifestOf(s: ImageBindSection): BundleManifest {
  // The engine reads only `imagebind`; the LLM half of a bundle is not part of this test.
  return { imagebind: s } as unknown as BundleManifest;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imagebind-engine-'));
  ({ section } = await convertImageBind({ checkpoint: CHECKPOINT, config: CONFIG, outDir: dir, quant: 'fp32' }));
  engine = await ImageBindEngine.load({
    ort: ort as unknown as OrtModule,
    manifest: manifestOf(section),
    readFile: (p) => readFile(join(dir, p)),
    backend: 'cpu',
  });
});

afterAll(async () => {
  await engine?.dispose();
});

describe('ImageBindEngine (fp32 bundle, onnxruntime-node)', () => {
  for (const item of MEDIA) {
    it(`${item.id}: embed(stored input) = reference embedding (cos ≥ 0.99999)`, async () => {
      const x = inputRows(item);
      const got = await engine.embed({ modality: item.kind, data: x.data, dims: x.dims });
      // Video stores only clip 0 / crop 1, with its own embedding (a 1-clip mean).
      const want = f32(item.kind === 'video' ? item.input_embedding!.file : item.embedding.file).data;
      expect(got.length).toBe(64);
      expect(cosine(got, want)).toBeGreaterThanOrEqual(0.99999);
      expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(item.kind === 'thermal' ? 1e-4 : 1e-5);
    });
  }

  for (const item of MEDIA.filter((m) => m.clip_embeddings)) {
    it(`${item.id}: clip postprocess + mean of the reference head rows = clip_embeddings / embedding`, () => {
      const head = f32(item.head_output.file);
      const [rows, dim] = head.shape as [number, number];
      const pp = section.encoders[item.kind]!.postprocess;
      const perClip = postprocessRows(head.data, rows, dim, pp);
      expect(maxAbsDiff(perClip, f32(item.clip_embeddings!.file).data)).toBeLessThanOrEqual(1e-6);
      const emb = postprocess(head.data, rows, dim, pp);
      expect(maxAbsDiff(emb, f32(item.embedding.file).data)).toBeLessThanOrEqual(1e-6);
      // Not re-normalised: the mean of unit vectors is shorter than 1.
      expect(Math.hypot(...emb)).toBeLessThan(1);
      expect(meanRows(perClip, rows, dim)).toEqual(emb);
    });
  }

  it('embedText: fixture strings → reference text embeddings (normalise × 100)', async () => {
    const texts = JSON.parse(readFileSync(join(FIXTURE, 'reference/index.json'), 'utf8')).text_encoder.items.map((i: { text: string }) => i.text) as string[];
    const got = await engine.embedText(texts);
    const want = f32('reference/text/embeddings.npy').data;
    got.forEach((g, i) => {
      const w = want.slice(i * 64, (i + 1) * 64);
      expect(cosine(g, w)).toBeGreaterThanOrEqual(0.99999);
      expect(maxAbsDiff(g, w)).toBeLessThanOrEqual(1e-3); // norm 100
    });
  });

  it('zeroShot: a text embedding is tagged with its own label; scores are a sorted distribution', async () => {
    const labels = ['A dog.', 'A car', 'A bird', 'thunder and rain'];
    const [, car] = await engine.embedText(labels);
    const tags = await engine.zeroShot(car!, labels);
    expect(tags[0]!.label).toBe('A car');
    expect(tags.reduce((a, t) => a + t.score, 0)).toBeCloseTo(1, 6);
    for (let i = 1; i < tags.length; i++) expect(tags[i - 1]!.score).toBeGreaterThanOrEqual(tags[i]!.score);
    expect(await engine.zeroShot(car!, [])).toEqual([]);
  });

  it('rejects inputs of the wrong shape with MEDIA_BAD_SHAPE', async () => {
    await expect(engine.embed({ modality: 'image', data: new Float32Array(3 * 224 * 224), dims: [3, 224, 224] })).rejects.toMatchObject({ code: 'MEDIA_BAD_SHAPE' });
    await expect(engine.embed({ modality: 'image', data: new Float32Array(2 * 3 * 224 * 224), dims: [2, 3, 224, 224] })).rejects.toMatchObject({ code: 'MEDIA_BAD_SHAPE' });
    await expect(engine.embed({ modality: 'imu', data: new Float32Array(10), dims: [1, 6, 2000] })).rejects.toMatchObject({ code: 'MEDIA_BAD_SHAPE' });
  });

  it('says which encoders a bundle has when one is missing', async () => {
    const { thermal: _t, ...rest } = section.encoders;
    const partial = await ImageBindEngine.load({ ort: ort as unknown as OrtModule, manifest: manifestOf({ ...section, encoders: rest }), readFile: (p) => readFile(join(dir, p)), backend: 'cpu' });
    await expect(partial.embed({ modality: 'thermal', data: new Float32Array(224 * 224), dims: [1, 1, 224, 224] })).rejects.toMatchObject({ code: 'MEDIA_UNSUPPORTED' });
    await expect(ImageBindEngine.load({ ort: ort as unknown as OrtModule, manifest: manifestOf({ ...section, encoders: rest }), readFile: (p) => readFile(join(dir, p)), backend: 'cpu', modalities: ['thermal'] })).rejects.toMatchObject({ code: 'MEDIA_UNSUPPORTED' });
    await partial.dispose();
  });

  it('creates each session once, lazily, and shares it between concurrent calls', async () => {
    const reads: string[] = [];
    const e = await ImageBindEngine.load({ ort: ort as unknown as OrtModule, manifest: manifestOf(section), readFile: (p) => (reads.push(p), readFile(join(dir, p))), backend: 'cpu' });
    expect(reads).toEqual([]);
    const item = MEDIA.find((m) => m.kind === 'depth')!;
    const x = inputRows(item);
    const [a, b] = await Promise.all([e.embed({ modality: 'depth', data: x.data, dims: x.dims }), e.embed({ modality: 'depth', data: x.data, dims: x.dims })]);
    expect(a).toEqual(b);
    expect(reads.filter((r) => r.endsWith('.onnx'))).toEqual(['imagebind-depth-fp32.onnx']);
    await e.dispose();
  });
});
