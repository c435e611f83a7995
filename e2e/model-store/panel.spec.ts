/** The ModelPanel component with the real store: load from URL / folder, progress, verify, delete, errors; by keyboard. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startModelServer, type ModelServer } from '../support/model-server';
import { writeSyntheticBundle, type SyntheticBundle } from '../support/synthetic-bundle';
import { buildHarness, ISOLATION_HEADERS } from './build-harness';

let root: string;
let server: ModelServer;
let app: ModelServer;
let B: SyntheticBundle;

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'model-panel-e2e-'));
  B = writeSyntheticBundle(join(root, 'b'), 'bundle-b');
  server = await startModelServer(root);
  await buildHarness(join(root, 'dist'));
  app = await startModelServer(join(root, 'dist'), ISOLATION_HEADERS);
});
test.afterAll(async () => {
  await server.close();
  await app.close();
  rmSync(root, { recursive: true, force: true });
});

test('load from URL shows progress, then the model is listed; verify and delete work from the keyboard', async ({ page }) => {
  await page.goto(`${app.origin}/panel.html`);
  await expect(page.locator('body')).toHaveAttribute('data-ready', '1');
  await expect(page.getByText('No models are stored in this browser yet.')).toBeVisible();

  server.switches.bytesPerSecond = 2 * 1024 * 1024; // slow enough to watch the progress view
  await page.getByLabel('Model URL').fill(`${server.origin}/b/`);
  await page.getByLabel('Model URL').press('Enter');
  const summary = page.getByTestId('progress-summary');
  await expect(summary).toHaveText(/^[\d.]+ (KiB|MiB) of 5\.\d MiB \(\d+%\) · [\d.]+ (KiB|MiB)\/s · (\d+ s left|estimating…)$/);
  await expect(page.getByRole('row', { name: /onnx\/decoder\.onnx\.data/ })).toBeVisible();
  await expect(page.getByRole('progressbar', { name: 'Total download progress' })).toBeVisible();
  await expect(page.locator('body')).toHaveAttribute('data-prepared', `url:${server.origin}/b/`, { timeout: 30_000 });
  delete server.switches.bytesPerSecond;

  const item = page.getByTestId('cached-model');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText('bundle-b');
  await expect(item).toContainText('5.9 MiB');
  await expect(item).toContainText('used just now');

  const verify = page.getByRole('button', { name: 'Verify bundle-b' });
  await verify.focus();
  await page.keyboard.press('Enter');
  await expect(item.getByRole('status')).toHaveText(/verified/);

  await page.getByRole('button', { name: 'Delete bundle-b' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('cached-model')).toHaveCount(0);
});

test('errors are shown with their code; a folder loads with no network', async ({ page, context }) => {
  await page.goto(`${app.origin}/panel.html`);
  await expect(page.locator('body')).toHaveAttribute('data-ready', '1');
  server.switches.replace = { '/b/manifest.json': 'oops' };
  await page.getByLabel('Model URL').fill(`${server.origin}/b/`);
  await page.getByRole('button', { name: 'Load from URL' }).click();
  await expect(page.getByRole('alert')).toHaveAttribute('data-code', 'MANIFEST_INVALID');
  await expect(page.getByRole('alert')).toContainText('not JSON');
  delete server.switches.replace;

  await context.setOffline(true);
  await page.getByLabel('Load from folder').setInputFiles(B.dir);
  await expect(page.locator('body')).toHaveAttribute('data-prepared', 'folder:bundle-b');
  await expect(page.getByTestId('cached-model')).toContainText('bundle-b');
  await expect(page.getByRole('alert')).toHaveCount(0);
  await context.setOffline(false);
});
