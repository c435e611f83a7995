/**
 * The service worker built by src/sw/vite-plugin.ts: the app shell loads with the server gone, and
 * a new build is offered (not forced) and applied only on request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { build } from 'vite';
import { pandaServiceWorker } from '../../src/sw/vite-plugin';
import { startModelServer, type ModelServer } from '../support/model-server';

const APP = join(dirname(fileURLToPath(import.meta.url)), 'sw-app');
import { ISOLATION_HEADERS as ISOLATION } from './build-harness';

let out: string;
let server: ModelServer | null = null;

const buildApp = (label: string) =>
  build({
    configFile: false,
    root: APP,
    base: './',
    logLevel: 'error',
    define: { __APP_LABEL__: JSON.stringify(label) },
    plugins: [pandaServiceWorker()],
    build: { outDir: out, emptyOutDir: true, target: 'es2022' },
  });

test.beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'sw-e2e-'));
});
test.afterAll(async () => {
  await server?.close();
  rmSync(out, { recursive: true, force: true });
});

test('the shell works offline after one visit; a new version waits until the user applies it', async ({ page }) => {
  await buildApp('v1');
  server = await startModelServer(out, ISOLATION);
  const { origin } = server;
  const port = Number(new URL(origin).port);
  const cspErrors: string[] = [];
  page.on('console', (m) => /Content Security Policy/i.test(m.text()) && cspErrors.push(m.text()));

  await page.goto(`${origin}/`);
  await expect(page.locator('#version')).toHaveText('v1');
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
  });
  const cached = await page.evaluate(async () => {
    const names = await caches.keys();
    return { names, urls: (await (await caches.open(names[0]!)).keys()).map((r) => new URL(r.url).pathname) };
  });
  expect(cached.names).toEqual([expect.stringMatching(/^pandagpt-shell-[0-9a-f]{8}$/)]);
  expect(cached.urls).toContain('/index.html');
  expect(cached.urls.some((u) => /^\/assets\/.*\.js$/.test(u))).toBe(true);

  // Server gone: the page and its script still load, with the cross-origin isolation headers kept.
  await server.close();
  server = null;
  await page.reload();
  await expect(page.locator('#version')).toHaveText('v1');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

  // A new build on the same origin: installed in the background, offered, not forced.
  await buildApp('v2');
  server = await startModelServer(out, ISOLATION, port);
  await page.reload();
  await expect(page.locator('#version')).toHaveText('v1'); // the cached shell, not the new build
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
  await expect(page.locator('#update')).toBeVisible();
  await page.reload();
  await expect(page.locator('#update')).toBeVisible(); // still waiting after a reload: never forced
  await page.locator('#apply').click();
  await expect(page.locator('#version')).toHaveText('v2');
  const names = await page.evaluate(() => caches.keys());
  expect(names).toHaveLength(1); // the old shell cache was deleted on activation
  expect(cspErrors).toEqual([]);
});
