import { expect, test } from '@playwright/test';
import { fakeCapture, NANO_SAMPLES } from '../support/app-page';
import { allNanoSamples, askNano, expectNames, openNanoApp } from '../support/nano-answers';

/**
 * The built-in model (PandaGPT-nano) must understand what it is given: the answer on screen has to
 * name what is in the media, so a broken link anywhere (decoding, preprocessing, an encoder, the
 * projection, the injected token, the decoder) shows up as a wrong word, not just as "some text".
 * Media are held-out samples of the synthetic world (never trained on); capture devices are
 * Chromium's fake ones playing sample files.
 */

test.use(fakeCapture(`${NANO_SAMPLES}/mic-high-tone.wav`, `${NANO_SAMPLES}/webcam-red-circle.y4m`));

test.describe('the built-in PandaGPT-nano understands its media (wasm, greedy)', () => {
  test('a red circle image → an answer naming red and circle', async ({ page }) => {
    const app = await openNanoApp(page);
    await app.dropFiles([`${NANO_SAMPLES}/red-circle.png`]);
    await app.waitForChips(1);
    // Zero-shot tags against the labels the bundle ships (its world), not a generic list ("a cat").
    await expect(app.chips.first().getByTestId('zero-shot-tags')).toHaveText(/^a red circle \d+%/);
    expectNames(await askNano(app, 'Describe this image.'), [['red'], ['circle']]);
    // the same image, another question in the same conversation
    expectNames(await askNano(app, 'What shape is this?'), [['circle']]);
  });

  test('a high tone → an answer about a high pitch; a low tone → a low one', async ({ page }) => {
    const app = await openNanoApp(page);
    await app.dropFiles([`${NANO_SAMPLES}/high-tone.wav`]);
    await app.waitForChips(1);
    expectNames(await askNano(app, 'Is the pitch high or low?'), [['high']]);
    await page.getByTestId('new-chat').click();
    await app.dropFiles([`${NANO_SAMPLES}/low-tone.wav`]);
    await app.waitForChips(1);
    expectNames(await askNano(app, 'What do you hear?'), [['low'], ['tone']]);
  });

  test('red circle + high tone together → both are mentioned (multimodal arithmetic)', async ({ page }) => {
    const app = await openNanoApp(page);
    // the 16 kHz high tone (training/out/samples/answers.json: the 48 kHz recording is heard as medium in this pair)
    await app.dropFiles([`${NANO_SAMPLES}/red-circle.png`, `${NANO_SAMPLES}/high-tone.wav`]);
    await app.waitForChips(2);
    expectNames(await askNano(app, 'What do you see and hear?'), [['red'], ['circle'], ['high']]);
  });

  test('from the microphone (fake capture of a high tone) → high pitch', async ({ page }) => {
    const app = await openNanoApp(page);
    await app.recordMic();
    await app.waitForChips(1);
    await expect(app.chips.first()).toHaveAttribute('data-modality', 'audio');
    expectNames(await askNano(app, 'Is the pitch high or low?'), [['high']]);
  });

  test('from the webcam (fake capture of a red circle) → red, a circle, one shape', async ({ page }) => {
    const app = await openNanoApp(page);
    await page.getByRole('button', { name: 'Use camera' }).click();
    await page.getByTestId('webcam-photo').click();
    await app.waitForChips(1);
    await expect(app.chips.first()).toHaveAttribute('data-modality', 'image');
    expectNames(await askNano(app, 'What colour is the shape?'), [['red']]);
    expectNames(await askNano(app, 'What shape is this?'), [['circle']]);
    expectNames(await askNano(app, 'How many shapes are there?'), [['one']]);
  });

  test('every recorded sample: the whole greedy answer equals the Python evaluation’s (one chat each)', async ({ page }) => {
    test.setTimeout(600_000);
    const app = await openNanoApp(page);
    const wrong: string[] = [];
    for (const s of allNanoSamples()) {
      await page.getByTestId('new-chat').click();
      await app.dropFiles(s.files.map((f) => `${NANO_SAMPLES}/${f}`));
      await app.waitForChips(s.files.length);
      const got = await askNano(app, s.question);
      if (got !== s.model_answer) wrong.push(`${s.files.join('+')} / ${s.question}: page ${JSON.stringify(got)}, Python ${JSON.stringify(s.model_answer)}`);
    }
    expect(wrong, wrong.join('\n')).toEqual([]);
  });
});
