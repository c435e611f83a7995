import { expect, test } from '@playwright/test';
import { AppPage, FIXTURE_MEDIA } from '../support/app-page';
import { readFileSync } from 'node:fs';

const PAYLOADS = ['<script>window.__xss=1</script>', '<img src=x onerror="window.__xss=2">', '[click](javascript:window.__xss=3)', '<iframe src="javascript:window.__xss=4"></iframe>'];

test('HTML in file names, messages and model output renders inert (wasm)', async ({ page }) => {
  const app = new AppPage(page);
  await app.open({ backend: 'wasm', settings: { maxNewTokens: 8 } });
  await app.waitForModel();

  // A file name carrying markup.
  const jpg = readFileSync(`${FIXTURE_MEDIA}/images/dog_image.jpg`);
  await app.attachFiles([{ name: '<img src=x onerror=window.__xss=5>.jpg', mimeType: 'image/jpeg', buffer: jpg }]);
  await app.waitForChips(1);
  await expect(app.chips.first()).toContainText('<img src=x onerror=window.__xss=5>.jpg');
  // A corrupt one, so the name also lands in an error toast.
  await app.attachFiles([{ name: '<script>window.__xss=6</script>.jpg', mimeType: 'image/jpeg', buffer: jpg.subarray(0, 500) }]);
  await expect(app.toasts.last()).toContainText('<script>window.__xss=6</script>.jpg');

  // A user message carrying markup.
  await app.ask(PAYLOADS.join(' '));
  expect(await app.waitForAnswer()).toBe('done');
  await expect(app.userText()).toHaveText(PAYLOADS.join(' '));

  // Model output carrying markup: an imported conversation whose answer is the payloads, rendered
  // by the same Markdown path as streamed answers.
  const file = {
    format: 'pandagpt-conversations',
    version: 1,
    conversations: [{ id: 'xss', title: '<b onmouseover=window.__xss=7>t</b>', createdAt: 1, updatedAt: Date.now() + 1000, attachments: [], messages: [
      { id: 'u', role: 'user', text: 'hi' },
      { id: 'a', role: 'assistant', text: PAYLOADS.join('\n\n'), status: 'done' },
    ] }],
  };
  await page.getByTestId('import-conversations').setInputFiles({ name: 'x.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) });
  await expect(page.getByTestId('conversation-item').first()).toHaveText('<b onmouseover=window.__xss=7>t</b>');
  await expect(app.assistant()).toContainText('click');
  const html = await app.assistant().locator('.markdown').innerHTML();
  expect(html).not.toMatch(/<script|<img|<iframe|onerror|javascript:/i);
  await page.getByTestId('conversation-item').first().hover();
  await app.assistant().getByText('click').click().catch(() => undefined);
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await page.locator('script:not([src])').count()).toBe(0);
});
