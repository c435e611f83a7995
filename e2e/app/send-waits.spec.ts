import { expect, test } from '@playwright/test';
import { AppPage, fakeCapture, NANO_SAMPLES } from '../support/app-page';
import { namesKey, nanoAnswer } from '../support/nano-answers';

/**
 * "Send means send": a user who presses Enter right after attaching (before the chip says it is
 * ready) gets the message sent, with the media, once they are read — never a cleared box and a
 * toast. These tests never wait for the chip before sending. A message waiting for its media can
 * be cancelled (the text comes back), and a medium that fails brings the text back with the reason.
 * Captures hold a sent message until their file exists, which also makes the waiting state
 * deterministic to test: the microphone keeps recording until the test stops it.
 */
test.use(fakeCapture(`${NANO_SAMPLES}/mic-high-tone.wav`, `${NANO_SAMPLES}/webcam-red-circle.y4m`));

const CASES = [
  { file: 'red-circle.png', question: 'Describe this image.', modality: 'image' },
  { file: 'high-tone.wav', question: 'What do you hear?', modality: 'audio' },
  { file: 'yellow-triangle-right.mp4', question: 'What colour is the shape?', modality: 'video' },
] as const;

async function open(page: import('@playwright/test').Page, backend: 'wasm' | 'webgpu'): Promise<AppPage> {
  const app = new AppPage(page);
  await app.open({ backend, settings: { greedy: true, maxNewTokens: 32 } });
  await app.waitForModel();
  return app;
}

/** A corrupt PNG: detected as an image, fails when decoded. */
const BROKEN_PNG = { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(64, 7)]) };

for (const backend of ['wasm', 'webgpu'] as const) {
  test.describe(`send while media are being read (${backend})`, () => {
    for (const c of CASES) {
      test(`${c.modality}: Enter right after attaching sends the question with the ${c.modality}`, async ({ page }) => {
        const app = await open(page, backend);
        await app.attachFiles([`${NANO_SAMPLES}/${c.file}`]);
        await app.ask(c.question); // no wait for the chip: as a user who is quick
        await expect(app.input).toHaveValue('');
        await expect(app.userText()).toHaveText(c.question);
        await expect(app.user()).toContainText(`with ${c.modality}`);
        expect(await app.waitForAnswer()).toBe('done');
        const rec = nanoAnswer([c.file], c.question);
        const got = await app.answerText();
        // wasm reproduces the Python evaluation's greedy answer; on WebGPU the answer must name what it should.
        if (backend === 'wasm' && c.modality !== 'video') expect(got).toBe(rec.model_answer);
        else expect(namesKey(got, rec.key), `${JSON.stringify(got)} should name ${JSON.stringify(rec.key)}`).toBe(true);
        await expect(app.messages).toHaveCount(2);
        await expect(app.toasts).toHaveCount(0);
      });
    }

    test('microphone: a message sent while recording waits, shows it, and goes out with the recording', async ({ page }) => {
      const app = await open(page, backend);
      await page.getByRole('button', { name: 'Record audio' }).click();
      await page.getByTestId('mic-start').click();
      await expect(page.getByTestId('mic-stop')).toBeVisible();
      await app.ask('What do you hear?');
      await expect(app.input).toHaveValue('');
      await expect(page.getByTestId('composer-pending')).toContainText('What do you hear?');
      await expect(page.getByTestId('composer-cancel-pending')).toBeVisible();
      await expect(app.messages).toHaveCount(0);
      await page.waitForTimeout(2500);
      await page.getByTestId('mic-stop').click();
      await expect(app.userText()).toHaveText('What do you hear?');
      await expect(app.user()).toContainText('with audio');
      expect(await app.waitForAnswer()).toBe('done');
      expect(namesKey(await app.answerText(), nanoAnswer(['mic-high-tone.wav'], 'What do you hear?').key)).toBe(true);
      await expect(page.getByTestId('composer-pending')).toHaveCount(0);
    });

    test('webcam photo: Enter right after the shot sends it with the photo', async ({ page }) => {
      const app = await open(page, backend);
      await page.getByRole('button', { name: 'Use camera' }).click();
      await page.getByTestId('webcam-photo').click();
      await app.ask('What colour is the shape?');
      await expect(app.userText()).toHaveText('What colour is the shape?');
      await expect(app.user()).toContainText('with image');
      expect(await app.waitForAnswer()).toBe('done');
      expect(namesKey(await app.answerText(), [['red']])).toBe(true);
    });

    test('cancel while waiting puts the text back; a failing file brings it back with the reason', async ({ page }) => {
      const app = await open(page, backend);
      await page.getByRole('button', { name: 'Record audio' }).click();
      await page.getByTestId('mic-start').click();
      await expect(page.getByTestId('mic-stop')).toBeVisible(); // recording
      await app.ask('first try');
      await expect(page.getByTestId('composer-pending')).toBeVisible();
      await app.input.fill('typed while waiting');
      await expect(app.input).toHaveValue('typed while waiting');
      await page.getByTestId('composer-cancel-pending').click();
      await expect(app.input).toHaveValue('first try\ntyped while waiting');
      await expect(page.getByTestId('composer-pending')).toHaveCount(0);
      await expect(app.messages).toHaveCount(0);

      // Send again (still recording), then a broken file joins: the message must not go out without it.
      await app.input.fill('second try');
      await app.input.press('Enter');
      await expect(page.getByTestId('composer-pending')).toBeVisible();
      await app.attachFiles([BROKEN_PNG]);
      await expect(page.getByTestId('composer-error')).toContainText('broken.png');
      await expect(page.getByTestId('composer-error')).toContainText('Not sent');
      await expect(app.input).toHaveValue('second try');
      await expect(app.toasts.first()).toContainText('broken.png');
      await expect(app.messages).toHaveCount(0);

      // The app goes on: finish the recording, send the restored text.
      await page.getByTestId('mic-stop').click();
      await app.waitForChips(1);
      await app.input.press('Enter');
      await expect(app.userText()).toHaveText('second try');
      await expect(page.getByTestId('composer-error')).toHaveCount(0);
      expect(await app.waitForAnswer()).toBe('done');
    });
  });
}
