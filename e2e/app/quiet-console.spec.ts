import { expect, test, type Page } from '@playwright/test';
import { AppPage, NANO_SAMPLES } from '../support/app-page';

/**
 * The production build keeps the console clean while it loads and chats: no onnxruntime warnings,
 * no failed requests, no React warnings. A new warning here is either a real problem or noise a
 * user would take for one.
 */
function record(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'error') seen.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => seen.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) seen.push(`HTTP ${r.status()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => seen.push(`failed request ${r.url()}: ${r.failure()?.errorText}`));
  return seen;
}

for (const backend of ['wasm', 'webgpu'] as const) {
  test(`a clean console while loading and chatting about an image and a sound (${backend})`, async ({ page }) => {
    const seen = record(page);
    const app = new AppPage(page);
    await app.open({ backend, settings: { greedy: true, maxNewTokens: 16 } });
    await app.waitForModel();
    await app.attachFiles([`${NANO_SAMPLES}/red-circle.png`, `${NANO_SAMPLES}/high-tone.wav`]);
    await app.waitForChips(2);
    await app.ask('What do you see and hear?');
    expect(await app.waitForAnswer()).toBe('done');
    await page.reload(); // the cached open too
    await app.waitForModel();
    expect(seen).toEqual([]);
  });
}
