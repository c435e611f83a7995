import { expect, test } from '@playwright/test';
import { AppPage } from '../support/app-page';

for (const backend of ['wasm', 'webgpu'] as const) {
  test.describe(`text chat on ${backend}`, () => {
    test('the built-in model loads with progress and a text question streams an answer', async ({ page }) => {
      const app = new AppPage(page);
      const states: string[] = [];
      await page.exposeFunction('__recordState', (s: string) => states.push(s));
      await page.addInitScript(() => {
        new MutationObserver(() => {
          const el = document.querySelector('[data-testid="model-status"]');
          if (el) (window as unknown as { __recordState: (s: string) => void }).__recordState(el.getAttribute('data-state')!);
        }).observe(document, { subtree: true, attributes: true, childList: true });
      });
      await app.open({ backend, settings: { greedy: true, maxNewTokens: 24, seed: 1 } });
      await app.waitForModel();
      expect(states).toContain('loading');
      await expect(page.getByTestId('backend-reason')).toContainText(backend === 'webgpu' ? 'WebGPU' : 'Wasm');
      const manifest = (await (await page.request.get(new URL('models/builtin/manifest.json', page.url()).href)).json()) as { notice?: string };
      if (manifest.notice) await expect(page.getByTestId('model-notice')).toHaveText(manifest.notice);
      else await expect(page.getByTestId('model-notice')).toHaveCount(0);

      await app.ask('Hello, who are you?');
      await expect(app.user()).toContainText('Hello, who are you?');
      expect(await app.waitForAnswer()).toBe('done');
      await expect(app.assistant().getByTestId('message-stats')).toContainText('tok/s');
      await expect(app.toasts).toHaveCount(0);
    });
  });
}
