import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { AppPage, FIXTURE_MEDIA } from '../support/app-page';

const BIG = '/tmp/pandagpt-e2e-5GB.mp4';

test.describe('bad input (wasm)', () => {
  test('corrupt, unsupported, empty and multi-GB files give a clear message; the app and conversation survive', async ({ page }) => {
    const app = new AppPage(page);
    await app.open({ backend: 'wasm', settings: { maxNewTokens: 8 } });
    await app.waitForModel();
    await app.ask('hello');
    expect(await app.waitForAnswer()).toBe('done');

    const jpg = readFileSync(`${FIXTURE_MEDIA}/images/dog_image.jpg`);
    const bad: { name: string; mimeType: string; buffer: Buffer; code: string }[] = [
      { name: 'broken.jpg', mimeType: 'image/jpeg', buffer: Buffer.concat([jpg.subarray(0, 600), Buffer.alloc(400, 0x55)]), code: 'MEDIA_CORRUPT' },
      { name: 'report.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\n'), code: 'MEDIA_UNSUPPORTED' },
      { name: 'empty.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(0), code: 'MEDIA_EMPTY' },
    ];
    for (const f of bad) {
      await app.attachFiles([{ name: f.name, mimeType: f.mimeType, buffer: f.buffer }]);
      const toast = app.toasts.last();
      await expect(toast).toContainText(f.name);
      await expect(toast).toHaveAttribute('data-code', f.code);
      await expect(app.chips).toHaveCount(0);
      await toast.getByRole('button', { name: 'Dismiss' }).click();
    }

    // A sparse 5 GB file: refused from its size, never read.
    if (!existsSync(BIG)) execFileSync('truncate', ['-s', '5G', BIG]);
    await app.attachFiles([BIG]);
    await expect(app.toasts.last()).toHaveAttribute('data-code', 'MEDIA_TOO_LARGE');
    await expect(app.toasts.last()).toContainText('MB');

    // Conversation intact, app still answers, and a good file still works.
    await expect(app.messages).toHaveCount(2);
    await app.attachFiles([`${FIXTURE_MEDIA}/images/dog_image.jpg`]);
    await app.waitForChips(1);
    await app.ask('and this?');
    expect(await app.waitForAnswer()).toBe('done');
    await expect(app.messages).toHaveCount(4);
  });
});
