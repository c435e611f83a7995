/**
 * The same preprocessing + ImageBind code, run in a Web Worker in Chromium on the fixture files,
 * gives the Node embeddings (cos ≥ 0.9999), on wasm and on WebGPU (SwiftShader).
 */
import { FIXTURE_BUNDLE } from '../support/fixture-bundle';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { embedMediaFiles, type MediaFileArg } from '../../cli/media-args';
import { nodeSessionOptions, openBundle } from '../../cli/node-runtime';
import { HARNESS_URL } from '../../playwright.config';
import type { Modality } from '../../src/core/manifest';
import { FIXTURE } from '../support/reference-cases';

const FILES: { modality: Modality; file: string }[] = [
  { modality: 'image', file: 'media/images/dog_image.jpg' },
  { modality: 'audio', file: 'media/audios/dog_audio.wav' },
  { modality: 'thermal', file: 'media/thermals/190662.jpg' },
  { modality: 'depth', file: 'media/depth/scene.png' },
  { modality: 'imu', file: 'media/imu/walk.csv' },
];

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

test.describe('encoders in a Web Worker vs Node', () => {
  let nodeVectors: Float32Array[];
  test.beforeAll(async () => {
    const bundle = openBundle(FIXTURE_BUNDLE);
    const args: MediaFileArg[] = FILES.map((f) => ({ modality: f.modality, file: join(FIXTURE, f.file), weight: 1 }));
    nodeVectors = (await embedMediaFiles(bundle, args, 'cpu', nodeSessionOptions('cpu'))).map((m) => m.vector);
  });

  for (const backend of ['wasm', 'webgpu'] as const) {
    test(`${backend}: image, audio, thermal, depth, imu`, async ({ page }) => {
      await page.goto(`${HARNESS_URL}/e2e/encoders/harness.html`);
      await expect(page.locator('#status')).toHaveText('ready');
      const vectors = await page.evaluate((job) => window.embedInWorker(job), {
        bundleUrl: `${HARNESS_URL}/${FIXTURE_BUNDLE}/`,
        backend,
        items: FILES.map((f) => ({ modality: f.modality, url: `${HARNESS_URL}/${FIXTURE}/${f.file}` })),
      });
      expect(vectors.length).toBe(FILES.length);
      vectors.forEach((v, i) => expect(cosine(v, nodeVectors[i]!), FILES[i]!.file).toBeGreaterThanOrEqual(0.9999));
    });
  }
});
