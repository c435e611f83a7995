import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertImageBind, BPE_FILE } from '../../../converter/imagebind/convert';
import { repeatTime } from '../../../src/core/encoders/imagebind-engine';
import type { ImageBindSection } from '../../../src/core/manifest';
import { readNpy } from '../../helpers/npy';
import { CHECKPOINT, CONFIG, MEDIA, expectedHeadRows, inputRows, maxAbsDiff, FIXTURE, f32 } from './fixture';

let section: ImageBindSection;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imagebind-fp32-'));
  ({ section } = await convertImageBind({ checkpoint: CHECKPOINT, config: CONFIG, outDir: dir, quant: 'fp32' }));
});

async function runHead(kind: keyof ImageBindSection['encoders'], data: Float32Array | BigInt64Array, dims: number[], sec = section, at = dir): Promise<Float32Array> {
  const part = sec.encoders[kind]!;
  const session = await ort.InferenceSession.create(join(at, part.variants[0]!.file));
  // A part on a shared graph with a repeated time axis (images on the video graph): (N,C,H,W) → (N,C,T,H,W).
  const T = part.input.repeatTime;
  if (T) {
    data = repeatTime(data as Float32Array, dims[0]! * dims[1]!, T, dims[2]! * dims[3]!);
    dims = [dims[0]!, dims[1]!, T, dims[2]!, dims[3]!];
  }
  const out = await session.run({ [part.input.name]: new ort.Tensor(part.input.dtype === 'int64' ? 'int64' : 'float32', data, dims) });
  await session.release();
  return out[part.output.name]!.data as Float32Array;
}

describe('ImageBind fp32 graphs vs the reference head outputs', () => {
  it('writes one fp32 graph per encoder (images on the video graph) with the manifest section the engine reads', () => {
    expect(Object.keys(section.encoders).sort()).toEqual(['audio', 'depth', 'image', 'imu', 'text', 'thermal', 'video']);
    expect(section.outDim).toBe(64);
    expect(section.textBpe).toBe(BPE_FILE);
    // The vision trunk is stored once: the image part uses the video graph with its frame repeated.
    expect(section.encoders.image!.variants).toEqual(section.encoders.video!.variants);
    expect(section.encoders.image!.input).toEqual({ ...section.encoders.video!.input, repeatTime: 2 });
    expect(existsSync(join(dir, 'imagebind-image-fp32.onnx'))).toBe(false);
    for (const [kind, part] of Object.entries(section.encoders)) {
      expect(part!.variants.map((v) => v.file)).toEqual([`imagebind-${kind === 'image' ? 'video' : kind}-fp32.onnx`]);
      for (const v of part!.variants) for (const f of [v.file, ...v.externalData]) expect(existsSync(join(dir, f))).toBe(true);
    }
    // spec §2.4 + fixture conventions: audio without ×20, thermal ×10, depth/IMU ×5, text min(e^4.75, 100).
    expect(section.encoders.image!.postprocess).toEqual({ normalize: true, scale: 1, clipMean: false });
    expect(section.encoders.video!.postprocess).toEqual({ normalize: true, scale: 1, clipMean: true });
    expect(section.encoders.audio!.postprocess).toEqual({ normalize: true, scale: 1, clipMean: true });
    expect(section.encoders.thermal!.postprocess.scale).toBeCloseTo(10, 5);
    expect(section.encoders.depth!.postprocess.scale).toBeCloseTo(5, 5);
    expect(section.encoders.imu!.postprocess.scale).toBeCloseTo(5, 5);
    expect(section.encoders.text!.postprocess.scale).toBe(100);
  });

  for (const item of MEDIA) {
    it(`${item.id}: stored input → head rows (max |Δ| ≤ 1e-5)`, async () => {
      const x = inputRows(item);
      const got = await runHead(item.kind, x.data, x.dims);
      const want = expectedHeadRows(item);
      expect(got.length).toBe(want.length);
      expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-5);
    });
  }

  it('text: reference token ids → head rows, pooled at the first EOT', async () => {
    const ids = readNpy(join(FIXTURE, 'reference/text/tokens.npy'));
    const got = await runHead('text', ids.data as BigInt64Array, ids.shape);
    expect(maxAbsDiff(got, f32('reference/text/head.npy').data)).toBeLessThanOrEqual(1e-5);
  });

  it('text: a row without EOT pools position 0 (argmax of the ids), as PandaGPT truncation implies', async () => {
    const ids = readNpy(join(FIXTURE, 'reference/text/tokens.npy')).data as BigInt64Array;
    const row = ids.slice(0, 77);
    const noEot = row.map((v) => (v === 49407n ? 0n : v)); // SOT (49406) is now the maximum, at 0
    const sotOnly = new BigInt64Array(77);
    sotOnly[0] = 49406n;
    // Causal attention: token 0 only sees itself, so the pooled feature depends on token 0 alone.
    const a = await runHead('text', noEot, [1, 77]);
    const b = await runHead('text', sotOnly, [1, 77]);
    expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-6);
    const withEot = await runHead('text', row, [1, 77]);
    expect(maxAbsDiff(a, withEot)).toBeGreaterThan(1e-3);
  });

  it('without video, the image graph is its own (folded Conv3d) and equals the shared video graph', async () => {
    const own = mkdtempSync(join(tmpdir(), 'imagebind-image-only-'));
    const { section: imageOnly } = await convertImageBind({ checkpoint: CHECKPOINT, config: CONFIG, outDir: own, quant: 'fp32', modalities: ['image'] });
    expect(imageOnly.encoders.image!.variants.map((v) => v.file)).toEqual(['imagebind-image-fp32.onnx']);
    expect(imageOnly.encoders.image!.input).toEqual({ name: 'image', shape: ['N', 3, 224, 224], dtype: 'float32' });
    const x = inputRows(MEDIA.find((m) => m.kind === 'image')!);
    const a = await runHead('image', x.data, [1, 3, 224, 224], imageOnly, own);
    const b = await runHead('image', x.data, [1, 3, 224, 224]);
    expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-5);
  });

  it('video: the two temporal slices are not folded (swapping frames changes the output)', async () => {
    const item = MEDIA.find((m) => m.kind === 'video')!;
    const x = inputRows(item);
    const plane = 224 * 224;
    const swapped = new Float32Array(x.data.length);
    for (let c = 0; c < 3; c++) {
      swapped.set(x.data.subarray((c * 2 + 1) * plane, (c * 2 + 2) * plane), c * 2 * plane);
      swapped.set(x.data.subarray(c * 2 * plane, (c * 2 + 1) * plane), (c * 2 + 1) * plane);
    }
    const a = await runHead('video', x.data, x.dims);
    const b = await runHead('video', swapped, x.dims);
    expect(maxAbsDiff(a, b)).toBeGreaterThan(1e-3);
  });
});
