import { expect, test } from '@playwright/test';
import { fakeCapture, NANO_SAMPLES } from '../support/app-page';
import { askNano, expectNames, nanoAnswer, openNanoApp } from '../support/nano-answers';

/**
 * PandaGPT-nano on what a user makes, not on its training renderer's look (issue 13): a drawing
 * made in the page on a white canvas and pasted, a phone-style JPEG photo, a quiet whistle into
 * the (fake) microphone, and things from outside its world, which it must say it does not know.
 * None of these files or drawings was trained on; the answers must name what is in them.
 */

test.use(fakeCapture(`${NANO_SAMPLES}/mic-quiet-whistle.wav`, `${NANO_SAMPLES}/webcam-red-circle.y4m`));

/** Draws like a user in a paint app (white canvas, a hand-drawn filled polygon) and pastes the PNG. */
async function drawAndPaste(page: import('@playwright/test').Page, colour: string, points: [number, number][]): Promise<void> {
  await page.evaluate(
    async ({ colour, points }) => {
      const canvas = new OffscreenCanvas(640, 480);
      const g = canvas.getContext('2d')!;
      g.fillStyle = '#ffffff';
      g.fillRect(0, 0, 640, 480);
      g.fillStyle = colour;
      g.strokeStyle = colour;
      g.lineWidth = 6;
      g.lineJoin = 'round';
      g.beginPath();
      points.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
      g.closePath();
      g.fill();
      g.stroke();
      const blob = await canvas.convertToBlob({ type: 'image/png' });
      const data = new DataTransfer();
      data.items.add(new File([blob], 'image.png', { type: 'image/png' }));
      window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    },
    { colour, points },
  );
}

test.describe('PandaGPT-nano on a user’s own media (wasm, greedy)', () => {
  test('a blue square drawn on a white canvas and pasted → blue, square', async ({ page }) => {
    const app = await openNanoApp(page);
    // a slightly crooked square, ~45 % of the canvas height, a little left of the middle
    await drawAndPaste(page, '#2456d8', [[212, 138], [428, 131], [437, 347], [219, 352]]);
    await app.waitForChips(1);
    expectNames(await askNano(app, 'What colour is the shape?'), [['blue']]);
    expectNames(await askNano(app, 'What shape is this?'), [['square']]);
  });

  test('a JPEG photo of a green triangle on a light table → green, triangle', async ({ page }) => {
    const app = await openNanoApp(page);
    await app.dropFiles([`${NANO_SAMPLES}/photo-green-triangle.jpg`]);
    await app.waitForChips(1);
    expectNames(await askNano(app, 'Describe this image.'), [['green'], ['triangle']]);
  });

  test('a quiet whistle into the microphone → a high pitch', async ({ page }) => {
    const app = await openNanoApp(page);
    await app.recordMic();
    await app.waitForChips(1);
    expectNames(await askNano(app, 'Is the pitch high or low?'), [['high']]);
  });

  test('a real photo and a spoken sentence → it says it only knows its own world', async ({ page }) => {
    const app = await openNanoApp(page);
    for (const file of ['photo-coffee.jpg', 'speech-sentence.wav']) {
      await page.getByTestId('new-chat').click();
      await app.dropFiles([`${NANO_SAMPLES}/${file}`]);
      await app.waitForChips(1);
      const recorded = nanoAnswer([file], file.endsWith('.wav') ? 'What is playing?' : 'What is in this photo?');
      const got = await askNano(app, recorded.question);
      expectNames(got, [['only'], ['know']]);
      expect(got).toBe(recorded.model_answer);
    }
  });
});
