import { expect, test } from '@playwright/test';
import { AppPage } from '../support/app-page';

/**
 * Hot sampling over the whole vocabulary (temperature 2, no top-k/top-p) keeps the built-in model
 * away from its stop tokens, so answers are long and random: what stop and regenerate need.
 */
const HOT = { temperature: 2, topP: 1, topK: 0 };
// seed 5: on the built-in nano this prompt samples 232 tokens before a stop (npm run chat -- --temperature 2
// --top-p 1 --top-k 0 --seed 5); most seeds stop within 10-60 tokens since the retrain (seed 7: 26)
const LONG = { ...HOT, maxNewTokens: 1500, seed: 5 };

for (const backend of ['wasm', 'webgpu'] as const) {
  test.describe(`chat controls on ${backend}`, () => {
    test('stop mid-answer keeps the partial answer and the app keeps working', async ({ page }) => {
      const app = new AppPage(page);
      await app.open({ backend, settings: LONG });
      await app.waitForModel();
      await app.ask('Tell me a long story.');
      await expect(app.stopButton).toBeVisible();
      await expect(app.assistant().locator('.markdown')).not.toBeEmpty();
      await app.stopButton.click();
      expect(await app.waitForAnswer(30_000)).toBe('stopped');
      const partial = await app.answerText();
      expect(partial.length).toBeGreaterThan(0);
      await expect(app.send).toBeVisible();
      await page.waitForTimeout(500);
      expect(await app.answerText()).toBe(partial); // nothing arrives after stop
      // Still usable: a follow-up streams again (and stops again).
      await app.ask('And then?');
      await expect(app.assistant().locator('.markdown')).not.toBeEmpty();
      // Its context holds the first answer, cut wherever the stop landed: it may end by itself.
      expect(await app.stopIfStreaming()).toMatch(/^(stopped|done)$/);
      await expect(app.messages).toHaveCount(4);
      expect(await app.answerText(0)).toBe(partial);
    });

    test('regenerate replaces the answer; edit-and-resend replaces the question; Shift+Enter is a newline', async ({ page }) => {
      const app = new AppPage(page);
      await app.open({ backend, settings: { ...HOT, maxNewTokens: 12, seed: null } });
      await app.waitForModel();
      await app.input.fill('line one');
      await app.input.press('Shift+Enter');
      await app.input.pressSequentially('line two');
      await expect(app.input).toHaveValue('line one\nline two');
      await app.input.press('Enter');
      expect(await app.waitForAnswer()).toBe('done');
      await expect(app.userText()).toHaveText('line one\nline two');
      const first = await app.answerText();
      // Random seeds per answer: regenerating gives a new answer in place of the old one.
      let again = first;
      for (let i = 0; i < 3 && again === first; i++) {
        await app.assistant().getByTestId('message-regenerate').click();
        await app.waitForAnswer();
        again = await app.answerText();
      }
      await expect(app.messages).toHaveCount(2);
      expect(again).not.toBe(first);

      await app.user().getByTestId('message-edit').click();
      await page.getByRole('textbox', { name: 'Edit message' }).fill('an edited question');
      await page.getByRole('button', { name: 'Send', exact: true }).first().click();
      await expect(app.userText()).toHaveText('an edited question');
      expect(await app.waitForAnswer()).toBe('done');
      await expect(app.messages).toHaveCount(2);
    });
  });
}
