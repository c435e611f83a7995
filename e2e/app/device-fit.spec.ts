import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { AppPage } from '../support/app-page';

/**
 * Truth before gigabytes: the page decides the backend from the device and the bundle's manifest
 * before any model file is requested. Chromium's WebGPU here is SwiftShader, a fallback adapter.
 */
const BUILTIN = JSON.parse(readFileSync('dist/models/builtin/manifest.json', 'utf8')) as { name: string; files: Record<string, { size: number; sha256: string; chunks?: unknown }> };

test('a 7B-sized bundle on a device without a usable GPU is refused with sizes before any download', async ({ page }) => {
  // The built-in manifest, claiming a 7B decoder (4.6 GB in its last layer group): the wasm backend cannot hold it.
  const big = structuredClone(BUILTIN);
  big.name = 'PandaGPT-7B (test manifest)';
  big.files['decoder-fp32.g1.onnx.data']!.size = 4_600_000_000;
  delete big.files['decoder-fp32.g1.onnx.data']!.chunks; // its piece list no longer fits that size (the manifest would be refused as invalid)
  const modelRequests: string[] = [];
  await page.route((u) => u.pathname.startsWith('/big-model/'), async (route) => {
    const url = route.request().url();
    if (url.endsWith('/manifest.json')) return route.fulfill({ contentType: 'application/json', body: JSON.stringify(big) });
    modelRequests.push(url);
    return route.abort();
  });
  const app = new AppPage(page);
  await app.open({ backend: 'wasm', query: '?model=./big-model/' });
  await expect(app.status).toHaveAttribute('data-state', 'error', { timeout: 60_000 });
  const toast = page.locator('[data-testid="error-toast"][data-code="BACKEND_UNAVAILABLE"]');
  await expect(toast).toContainText(/WebAssembly was chosen in Settings, but its 4\.3 GiB decoder does not fit WebAssembly \(at most 3\.0 GiB of weights\)/);
  expect(modelRequests).toEqual([]);
  // The app still works: the built-in model loads when asked for again.
  await app.open({ backend: 'wasm' });
  await app.waitForModel();
});

test('the built-in model prefers WebAssembly over a software fallback GPU (SwiftShader), and says so', async ({ page }) => {
  const app = new AppPage(page);
  await app.open({ backend: 'auto' });
  await app.waitForModel();
  await expect(page.getByTestId('backend-reason')).toHaveAttribute('title', /WebAssembly.*software fallback, slower than WebAssembly/);
  await app.ask('Hello');
  expect(await app.waitForAnswer()).toMatch(/done|stopped/);
});
