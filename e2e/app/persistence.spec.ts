import { expect, test } from '@playwright/test';
import { AppPage, FIXTURE_MEDIA } from '../support/app-page';

for (const backend of ['wasm', 'webgpu'] as const) {
  test(`reload keeps the conversation and its media (${backend})`, async ({ page }) => {
    const app = new AppPage(page);
    await app.open({ backend, settings: { maxNewTokens: 12 } });
    await app.waitForModel();
    await app.dropFiles([`${FIXTURE_MEDIA}/images/dog_image.jpg`]);
    await app.waitForChips(1);
    await app.ask('What animal is this?');
    expect(await app.waitForAnswer()).toBe('done');
    const answer = await app.answerText();

    await page.reload();
    await app.waitForModel();
    await expect(page.getByTestId('conversation-item')).toHaveCount(1);
    await expect(page.getByTestId('conversation-item')).toHaveText('What animal is this?');
    await expect(app.messages).toHaveCount(2);
    await expect(app.userText()).toHaveText('What animal is this?');
    expect(await app.answerText()).toBe(answer);
    await app.waitForChips(1); // the media came back with its embedding
    await expect(app.chips.first().locator('img')).toHaveAttribute('src', /^blob:/);
    // …and the conversation goes on with the same media (no re-encoding needed).
    await app.ask('And its colour?');
    expect(await app.waitForAnswer()).toBe('done');
    await expect(app.messages).toHaveCount(4);

    // Delete removes it from storage too.
    await page.getByTestId('conversation-delete').click();
    await expect(page.getByTestId('conversation-item')).toHaveCount(0);
    await page.reload();
    await app.waitForModel();
    await expect(page.getByTestId('conversation-item')).toHaveCount(0);
  });
}

test('a conversation deleted right after its answer stays deleted when the page reloads at once (wasm)', async ({ page }) => {
  const app = new AppPage(page);
  await app.open({ backend: 'wasm', settings: { maxNewTokens: 12 } });
  await app.waitForModel();
  await app.ask('Hello there');
  expect(await app.waitForAnswer()).toBe('done');
  // As a user does: delete, and close or reload without waiting (the answer's last save may be in flight).
  await page.getByTestId('conversation-delete').click();
  await page.reload();
  await app.waitForModel();
  await expect(page.getByTestId('conversation-item')).toHaveCount(0);
});

