/**
 * Issue 5's app-level guarantees, on the built app with its service worker:
 * - the built-in bundle downloads once, with visible progress, and a second load asks the network
 *   for nothing but `manifest.json` (the store revalidates it; src/model-store/README.md);
 * - offline after one visit, the shell (service worker) and the model (IndexedDB) still load and a
 *   question is answered;
 * - a full chat with media talks to the app's own origin only, and never sends a request body;
 * - a new version is offered in the update banner and applied only on the user's click.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { AppPage, APP_URL, FIXTURE_MEDIA } from '../support/app-page';

const ORIGIN = new URL(APP_URL).origin;
const MODEL_DIR = '/models/builtin/';

interface Seen {
  url: string;
  method: string;
  hasBody: boolean;
}

/** Every request of the context: pages, their workers and the service worker. */
function recordRequests(context: BrowserContext): Seen[] {
  const seen: Seen[] = [];
  context.on('request', (r) => seen.push({ url: r.url(), method: r.method(), hasBody: r.postDataBuffer() != null }));
  return seen;
}

const modelPaths = (seen: Seen[]) =>
  seen
    .map((s) => new URL(s.url))
    .filter((u) => u.origin === ORIGIN && u.pathname.startsWith(MODEL_DIR))
    .map((u) => u.pathname.slice(MODEL_DIR.length));

/**
 * Snapshots of the model status on every change, kept in the page: a local download is quick, and
 * polling from the test could miss the loading state entirely.
 */
async function watchStatus(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const log: { state: string | null; label: string; value: number | null }[] = [];
    (window as unknown as { __statusLog: typeof log }).__statusLog = log;
    const codes = new Set<string>();
    (window as unknown as { __toastCodes: Set<string> }).__toastCodes = codes;
    const snap = () => {
      // Info toasts dismiss themselves after a few seconds: keep every code seen.
      for (const t of document.querySelectorAll('[data-testid$="-toast"][data-code]')) codes.add(t.getAttribute('data-code')!);
      const el = document.querySelector('[data-testid="model-status"]');
      if (!el) return;
      const bar = el.querySelector('progress');
      const entry = {
        state: el.getAttribute('data-state'),
        label: el.querySelector('.model-status-label')?.textContent ?? '',
        value: bar && bar.hasAttribute('value') ? bar.value : null,
      };
      const last = log[log.length - 1];
      if (!last || last.state !== entry.state || last.label !== entry.label || last.value !== entry.value) log.push(entry);
    };
    new MutationObserver(snap).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

const statusLog = (page: Page) => page.evaluate(() => (window as unknown as { __statusLog: { state: string | null; label: string; value: number | null }[] }).__statusLog);

test.describe('offline and privacy (built app, wasm)', () => {
  test('downloads once with progress, reloads from cache, then works offline', async ({ context, page }) => {
    const t0 = Date.now();
    const seen = recordRequests(context);
    await watchStatus(page);
    const app = new AppPage(page);
    await app.open({ backend: 'wasm', settings: { maxNewTokens: 12 } });
    await app.waitForModel();
    const tFirst = Date.now() - t0;

    // (a) First visit: the whole bundle came over the network, with a visible, moving progress bar.
    const first = modelPaths(seen);
    expect(first).toContain('manifest.json');
    expect(first.filter((p) => p !== 'manifest.json').length).toBeGreaterThan(3);
    const log1 = await statusLog(page);
    const downloading = log1.filter((s) => s.state === 'loading' && /Downloading/.test(s.label));
    expect(downloading.length).toBeGreaterThan(0);
    const pcts = downloading.map((s) => s.value).filter((v): v is number => v != null);
    expect(pcts.some((v) => v > 0 && v < 100)).toBe(true);
    // The shell is installed and the service worker takes over this page (clients.claim on activate).
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
    });

    // (a) Second load in the same context: only the manifest is revalidated, no model file is fetched.
    seen.length = 0;
    const t1 = Date.now();
    await page.reload();
    await app.waitForModel();
    const tSecond = Date.now() - t1;
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    expect(new Set(modelPaths(seen))).toEqual(new Set(['manifest.json']));
    const log2 = await statusLog(page);
    expect(log2.some((s) => /Opening/.test(s.label))).toBe(true);
    expect(log2.some((s) => /Downloading/.test(s.label))).toBe(false);

    // (b) Offline: the shell from the service worker, the model from IndexedDB, an answer streams in.
    await context.setOffline(true);
    seen.length = 0;
    const t2 = Date.now();
    await page.reload();
    await expect(page.getByTestId('composer-input')).toBeVisible();
    await app.waitForModel();
    const tOffline = Date.now() - t2;
    // navigator.onLine is not asserted: with Chromium 150 it read true after setOffline + reload of a
    // service-worker-controlled page although every request failed; what counts is below (the app's
    // own offline detection, the shell and the model from cache, an answer).
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true); // isolation headers kept by the SW
    expect(await page.evaluate(() => [...(window as unknown as { __toastCodes: Set<string> }).__toastCodes])).toContain('OFFLINE_USING_CACHE');
    await app.ask('Hello, who are you?');
    await expect(app.assistant()).toHaveAttribute('data-status', /streaming|done/);
    expect(await app.waitForAnswer()).toBe('done');
    expect((await app.answerText()).length).toBeGreaterThan(0);
    await expect(app.toasts).toHaveCount(0);
    await context.setOffline(false);
    console.log(`[offline-privacy] first visit to ready ${tFirst} ms, cached reload ${tSecond} ms, offline reload ${tOffline} ms, total ${Date.now() - t0} ms`);
  });

  test('a full chat with media talks to the app origin only and sends no body', async ({ context, page }) => {
    const t0 = Date.now();
    const seen = recordRequests(context);
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    const app = new AppPage(page);
    await app.open({ backend: 'wasm', settings: { maxNewTokens: 12 } });
    await app.waitForModel();
    await app.dropFiles([`${FIXTURE_MEDIA}/images/dog_image.jpg`]);
    await app.waitForChips(1);
    await app.ask('What is in this image?');
    expect(await app.waitForAnswer()).toBe('done');
    await expect(app.user()).toContainText('with image');
    await expect(app.toasts).toHaveCount(0);

    // data: URLs are not network requests; everything else must be this origin.
    const network = seen.filter((s) => !s.url.startsWith('data:'));
    expect(network.length).toBeGreaterThan(0);
    expect([...new Set(network.map((s) => new URL(s.url).origin))]).toEqual([ORIGIN]);
    expect([...new Set(network.map((s) => s.method))]).toEqual(['GET']);
    expect(network.filter((s) => s.hasBody)).toEqual([]);
    expect(sockets).toEqual([]);
    // The media never left the page: no request names it.
    expect(network.filter((s) => /dog_image/i.test(s.url))).toEqual([]);
    console.log(`[offline-privacy] media chat: ${network.length} requests, all GET to ${ORIGIN}, ${Date.now() - t0} ms`);
  });

  test('a new version is offered in a banner and applied only when the user asks', async ({ page }) => {
    const app = new AppPage(page);
    await app.open({ backend: 'wasm', settings: { maxNewTokens: 8 } });
    await app.waitForModel();
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
    });
    await app.ask('Hello');
    expect(await app.waitForAnswer()).toBe('done');
    await expect(page.getByTestId('update-banner')).toHaveCount(0);
    // A marker on this document: it survives only as long as the page is not reloaded.
    await page.evaluate(() => ((window as unknown as { __marker: number }).__marker = 42));

    // A "new deployment" (the preview serves one fixed build): the same scope gets a worker under
    // another script URL, which the browser installs as an update of the registration the app holds.
    await page.evaluate(() => navigator.serviceWorker.register('./sw.js?next-build'));
    const banner = page.getByTestId('update-banner');
    await expect(banner).toBeVisible();
    await expect(banner).toHaveAttribute('role', 'status');
    // Offered, not forced: the conversation stays on screen, no navigation happened.
    await page.waitForTimeout(1000);
    await expect(app.messages).toHaveCount(2);
    expect(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(42);

    // The user applies it: the new worker takes over and the page reloads once, conversation kept.
    const reloaded = page.waitForEvent('load');
    await banner.getByRole('button', { name: 'Reload to update' }).click();
    await reloaded;
    await app.waitForModel();
    expect(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBeUndefined();
    expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toMatch(/sw\.js\?next-build$/);
    await expect(page.getByTestId('conversation-item')).toHaveCount(1);
  });
});
