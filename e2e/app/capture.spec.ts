import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { AppPage, fakeCapture, FIXTURE_MEDIA } from '../support/app-page';

/** Chromium's fake capture devices play fixture files: the dog's bark and the world video. */
const AUDIO = resolve(`${FIXTURE_MEDIA}/audios/dog_audio.wav`);
const VIDEO = '/tmp/pandagpt-e2e-world.y4m';
if (!existsSync(VIDEO)) {
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', `${FIXTURE_MEDIA}/videos/world.mp4`, '-t', '4', '-vf', 'scale=320:240,fps=15', '-pix_fmt', 'yuv420p', VIDEO]);
}

test.use(fakeCapture(AUDIO, VIDEO));

for (const backend of ['wasm', 'webgpu'] as const) {
  test.describe(`capture on ${backend}`, () => {
    test('microphone recording with a level meter becomes an audio attachment', async ({ page }) => {
      const app = new AppPage(page);
      await app.open({ backend, settings: { maxNewTokens: 8 } });
      await app.waitForModel();
      await app.recordMic();
      await app.waitForChips(1);
      await expect(app.chips.first()).toHaveAttribute('data-modality', 'audio');
      await app.ask('What do you hear?');
      expect(await app.waitForAnswer()).toBe('done');
    });

    test('webcam photo and short clip become image and video attachments', async ({ page }) => {
      const app = new AppPage(page);
      await app.open({ backend, settings: { maxNewTokens: 8 } });
      await app.waitForModel();
      await page.getByRole('button', { name: 'Use camera' }).click();
      await page.getByTestId('webcam-photo').click();
      await app.waitForChips(1);
      await expect(app.chips.first()).toHaveAttribute('data-modality', 'image');
      await page.getByRole('button', { name: 'Use camera' }).click();
      await page.getByTestId('webcam-clip').click();
      await expect(app.chips).toHaveCount(2, { timeout: 20_000 });
      await app.waitForChips(2);
      await expect(app.chips.nth(1)).toHaveAttribute('data-modality', 'video');
      await app.ask('What is happening?');
      expect(await app.waitForAnswer()).toBe('done');
    });
  });
}
