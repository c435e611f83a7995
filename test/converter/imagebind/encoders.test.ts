import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertImageBind, BPE_FILE } from '../../../converter/imagebind/convert';
import type { ImageBindSection } from '../../../src/core/manifest';
import { readNpy } from '../../helpers/npy';
import { CHECKPOINT, CONFIG, MEDIA, expectedHeadRows, inputRows, maxAbsDiff, FIXTURE, f32 } from './fixture';

let section: ImageBindSection;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imagebind-fp32-'));
  ({ section } = await convertImageBind({ checkpoint: CHECKPOINT, config: CONFIG, outDir: dir, quant: 'fp32' }));
});

async function runHead(kind: keyof ImageBindSection['encoders'], data: Float32Array | BigInt64Array, dims: number[]): Promise<Float32Array> {
  const part = section.encoders[kind]!;
  const session = await ort.InferenceSession.create(join(dir, part.variants[0]!.file));
  const out = await session.run({ [part.input.name]: new ort.Tensor(part.input.dtype === 'int64' ? 'int64' : 'float32', data, dims) });
  await session.release();
  return out[part.output.name]!.data as Float32Array;
}

describe('ImageBind fp32 graphs vs the reference head outputs', () => {
  it('writes one fp32 graph per encoder with the manifest section the engine reads', () => {
    expect(Object.keys(section.encoders).sort()).toEqual(['audio', 'depth', 'image', 'imu', 'text', 'thermal', 'video']);
    expect(section.outDim).toBe(64);
    expect(section.textBpe).toBe(BPE_FILE);
    for (const [kind, part] of Object.entries(section.encoders)) {
      expect(part!.variants.map((v) => v.file)).toEqual([`imagebind-${kind}-fp32.onnx`]);
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

  it('image graph (folded Conv3d) = video graph on the image repeated to 2 frames (PadIm2Video)', async () => {
    const x = inputRows(MEDIA.find((m) => m.kind === 'image')!);
    const plane = 224 * 224;
    const twice = new Float32Array(2 * x.data.length);
    for (let c = 0; c < 3; c++) for (let t = 0; t < 2; t++) twice.set(x.data.subarray(c * plane, (c + 1) * plane), (c * 2 + t) * plane);
    const a = await runHead('image', x.data, [1, 3, 224, 224]);
    const b = await runHead('video', twice, [1, 3, 2, 224, 224]);
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
