/**
 * The same engine in Chromium (onnxruntime-web: wasm, and WebGPU on SwiftShader) must produce the
 * same greedy tokens as onnxruntime-node for the fp32 bundle, on every reference case.
 */
import { FIXTURE_BUNDLE } from '../support/fixture-bundle';
import { expect, test } from '@playwright/test';
import { HARNESS_URL } from '../../playwright.config';
import { LlmEngine } from '../../src/core/engine/llm-engine';
import type { GenerateRequest } from '../../src/core/engine/types';
import { nodeOrt, openBundle } from '../../cli/node-runtime';
import { referenceRequests } from '../support/reference-cases';

/** The random-weight fixture as a bundle (npm run build:model): its reference outputs are the truth here. */
const BUNDLE_DIR = FIXTURE_BUNDLE;

test.describe('engine parity: browser vs node', () => {
  let requests: GenerateRequest[];
  let nodeTokens: number[][];

  test.beforeAll(async () => {
    requests = referenceRequests(12);
    const bundle = openBundle(BUNDLE_DIR);
    const engine = await LlmEngine.load({ ort: nodeOrt, manifest: bundle.manifest, readFile: bundle.readFile, loadPart: bundle.loadPart, backend: 'cpu', variant: 'fp32' });
    nodeTokens = [];
    for (const r of requests) nodeTokens.push((await engine.generate(r)).tokens);
    await engine.dispose();
  });

  // The app ships onnxruntime-web's default (JSEP) build; the native WebGPU EP
  // (onnxruntime-web/webgpu) is covered op by op in e2e/backend-correctness. Set
  // ENGINE_PARITY_NATIVE=1 to run the whole engine on it too (≈1.5 min on SwiftShader).
  const configs = [
    { backend: 'wasm', build: 'jsep' },
    { backend: 'webgpu', build: 'jsep' },
    ...(process.env.ENGINE_PARITY_NATIVE ? ([{ backend: 'webgpu', build: 'native' }] as const) : []),
  ] as const;

  for (const cfg of configs) {
    test(`${cfg.backend} (${cfg.build}) greedy tokens equal node's`, async ({ page }) => {
      const consoleErrors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
      await page.goto(`${HARNESS_URL}/e2e/engine/harness.html`);
      await expect(page.locator('#status')).toHaveText('ready');
      if (cfg.backend === 'webgpu') {
        const hasGpu = await page.evaluate(async () => !!(await navigator.gpu?.requestAdapter()));
        expect(hasGpu, 'WebGPU adapter (SwiftShader) must be available with --enable-unsafe-webgpu').toBe(true);
      }
      const plain = requests.map((r) => ({ ...r, media: r.media?.map((m) => ({ ...m, vector: Array.from(m.vector) })) }));
      const out = await page.evaluate((run) => window.runEngine(run as never), {
        bundleUrl: `${HARNESS_URL}/${FIXTURE_BUNDLE}/`,
        backend: cfg.backend,
        build: cfg.build,
        variant: 'fp32',
        requests: plain,
      });
      expect(out.variant).toBe('fp32');
      out.results.forEach((r, i) => expect(r.tokens, `case ${i}`).toEqual(nodeTokens[i]));
    });
  }
});

