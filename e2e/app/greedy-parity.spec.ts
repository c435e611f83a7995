import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { AppPage, FIXTURE_MEDIA } from '../support/app-page';

/**
 * The page and the CLI run the same bundle, file and prompt with greedy decoding: the answer the
 * page shows (raw text, read back through its Copy button) must equal `npm run chat`'s.
 */
const PROMPT = 'What is in this image?';
const MAX = 24;

test.use({ permissions: ['clipboard-read', 'clipboard-write'] });

test('greedy answer for the dog image equals npm run chat (wasm, fp32)', async ({ page }) => {
  const app = new AppPage(page);
  await app.open({ backend: 'wasm', settings: { greedy: true, maxNewTokens: MAX } });
  await app.waitForModel();
  await expect(page.getByTestId('backend-reason')).toContainText('fp32');
  await app.dropFiles([`${FIXTURE_MEDIA}/images/dog_image.jpg`]);
  await app.waitForChips(1);
  await app.ask(PROMPT);
  expect(await app.waitForAnswer()).toBe('done');
  await app.assistant().getByTestId('message-copy').click();
  const shown = await page.evaluate(() => navigator.clipboard.readText());

  const out = execFileSync(
    'npx',
    ['tsx', 'cli/chat.ts', '--bundle', 'dist/models/builtin', '--image', `${FIXTURE_MEDIA}/images/dog_image.jpg`, '--prompt', PROMPT, '--greedy', '--max-new-tokens', String(MAX), '--variant', 'fp32', '--json'],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const cli = JSON.parse(out.slice(out.lastIndexOf('\n{') + 1)) as { text: string; tokens: number[] };
  expect(cli.tokens.length).toBeGreaterThan(0);
  expect(shown).toBe(cli.text);
});
