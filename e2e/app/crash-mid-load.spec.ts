import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { AppPage } from '../support/app-page';
import { FIXTURE_BUNDLE } from '../support/fixture-bundle';
import { startModelServer, type ModelServer } from '../support/model-server';

/**
 * The tab crashes while a big model is still downloading (what an 8 GB laptop does to a tab that
 * runs out of memory): every conversation survives, the app opens again with the built-in model, and
 * the interrupted download completes when the model is opened again.
 */
let root: string;
let server: ModelServer;

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'crash-'));
  cpSync(FIXTURE_BUNDLE, join(root, 'other'), { recursive: true }); // another model: nothing of it is cached yet
  server = await startModelServer(root, { 'Cross-Origin-Resource-Policy': 'cross-origin' });
});

test.afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

test('a tab that crashes mid-download keeps every conversation, and the model loads when opened again', async ({ context }) => {
  const page = await context.newPage();
  const app = new AppPage(page);
  await app.open({ backend: 'wasm', settings: { maxNewTokens: 8 } });
  await app.waitForModel();
  await app.ask('First conversation');
  expect(await app.waitForAnswer()).toBe('done');
  await page.getByTestId('new-chat').click();
  await app.ask('Second conversation');
  expect(await app.waitForAnswer()).toBe('done');
  await expect(page.getByTestId('conversation-item')).toHaveCount(2);

  // Another model, served slowly, so the crash comes mid-download.
  server.switches.bytesPerSecond = 2_000_000;
  const url = `${server.origin}/other/`;
  await page.goto(`${new URL(page.url()).origin}/?model=${encodeURIComponent(url)}`);
  const done = (): string[] => server.requests.filter((r) => r.status === 200 && r.path.includes('.data')).map((r) => r.path);
  await expect.poll(() => done().length, { timeout: 60_000 }).toBeGreaterThan(0);
  await expect(app.status).not.toHaveAttribute('data-state', 'ready');
  const crashed = new Promise<void>((r) => page.once('crash', () => r()));
  const cdp = await context.newCDPSession(page);
  void cdp.send('Page.crash').catch(() => undefined); // the renderer dies: the call may never be answered
  await crashed;
  const before = server.requests.length;

  // A new tab: the conversations are all there and the app works with the built-in model.
  const again = await context.newPage();
  const app2 = new AppPage(again);
  await app2.open({ backend: 'wasm' });
  await app2.waitForModel();
  await expect(again.getByTestId('conversation-item')).toHaveCount(2);
  await expect(again.getByTestId('conversation-item')).toHaveText(['Second conversation', 'First conversation']);
  await again.getByTestId('conversation-item').last().click();
  await expect(app2.userText()).toHaveText('First conversation');
  await expect(app2.assistant()).toHaveAttribute('data-status', 'done');
  await app2.ask('Still here?');
  expect(await app2.waitForAnswer()).toBe('done');

  // The other model loads. (Which chunks a resumed download skips is e2e/model-store's subject.)
  server.switches.bytesPerSecond = undefined;
  await again.goto(`${new URL(again.url()).origin}/?model=${encodeURIComponent(url)}`);
  await app2.waitForModel();
  expect(server.requests.slice(before).filter((r) => r.path.includes('.data')).length, 'the rest was downloaded').toBeGreaterThan(0);
  await expect(again.getByTestId('conversation-item')).toHaveCount(2);
});
