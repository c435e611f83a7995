/**
 * The same engine in Chromium (onnxruntime-web: wasm, and WebGPU on SwiftShader) must produce the
 * same greedy tokens as onnxruntime-node on every reference case, for the fp32 decoder and for the
 * q4 one (MatMulNBits: the default on WebGPU and what every real model ships), and the same prefill
 * logits within a bound well under the smallest top-1 margin (see LOGIT_BOUND).
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

/**
 * Prefill logits, browser vs Node, max |Δ|. Both run the same graph in fp32; only the summation order
 * differs (SIMD widths, WebGPU workgroup reductions; for q4, MLAS's blocked MatMulNBits vs the
 * JS/WGSL kernels, all with accuracy_level 0 = fp32 accumulation). Measured on this fixture: ≤ 7.2e-6
 * on wasm and WebGPU, fp32 and q4 (the log line). The bound, 1e-4, leaves 14× for other machines and
 * is 200× below the smallest top-1/top-2 margin of the reference cases (0.02 logits); a kernel that
 * misreads one 4-bit block moves logits by ≫ 1e-3.
 */
const LOGIT_BOUND = 1e-4;

test.describe('engine parity: browser vs node', () => {
  let requests: GenerateRequest[];
  const node: Record<'fp32' | 'q4', { tokens: number[][]; logits: Float32Array[] }> = { fp32: { tokens: [], logits: [] }, q4: { tokens: [], logits: [] } };

  test.beforeAll(async () => {
    requests = referenceRequests(12);
    const bundle = openBundle(BUNDLE_DIR);
    for (const variant of ['fp32', 'q4'] as const) {
      const engine = await LlmEngine.load({ ort: nodeOrt, manifest: bundle.manifest, readFile: bundle.readFile, loadPart: bundle.loadPart, backend: 'cpu', variant });
      expect(engine.variant.format).toBe(variant);
      for (const r of requests) node[variant].tokens.push((await engine.generate(r, { onPrefillLogits: (l) => node[variant].logits.push(l.slice()) })).tokens);
      await engine.dispose();
    }
  });

  // The app ships onnxruntime-web's default (JSEP) build; the native WebGPU EP
  // (onnxruntime-web/webgpu) is covered op by op in e2e/backend-correctness. Set
  // ENGINE_PARITY_NATIVE=1 to run the whole engine on it too (≈1.5 min on SwiftShader).
  const configs = [
    { backend: 'wasm', build: 'jsep' },
    { backend: 'webgpu', build: 'jsep' },
    ...(process.env.ENGINE_PARITY_NATIVE ? ([{ backend: 'webgpu', build: 'native' }] as const) : []),
  ] as const;

  for (const cfg of configs.flatMap((c) => (['fp32', 'q4'] as const).map((variant) => ({ ...c, variant })))) {
    test(`${cfg.backend} (${cfg.build}) ${cfg.variant}: greedy tokens and prefill logits equal node's`, async ({ page }) => {
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
        variant: cfg.variant,
        requests: plain,
      });
      expect(out.variant).toBe(cfg.variant);
      const ref = node[cfg.variant];
      const diffs = out.prefillLogits.map((l, i) => l.reduce((m, x, j) => Math.max(m, Math.abs(x - ref.logits[i]![j]!)), 0));
      console.log(`[engine-parity] ${cfg.backend} ${cfg.build} ${cfg.variant}: prefill logits max |Δ| per case ${diffs.map((d) => d.toExponential(1)).join(' ')}`);
      expect(out.prefillLogits).toHaveLength(requests.length);
      for (const [i, d] of diffs.entries()) expect(d, `case ${i}`).toBeLessThanOrEqual(LOGIT_BOUND);
      out.results.forEach((r, i) => expect(r.tokens, `case ${i}`).toEqual(ref.tokens[i]));
    });
  }
});

