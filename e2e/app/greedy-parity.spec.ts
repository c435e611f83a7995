import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { AppPage, NANO_SAMPLES } from '../support/app-page';

/**
 * The page and the CLI run the same bundle (the built-in PandaGPT-nano), files and prompt with
 * greedy decoding: the answer the page shows (raw text, read back through its Copy button) must
 * equal `npm run chat`'s — media preprocessing in the browser vs Node included.
 */
const MAX = 32;
const CASES: { name: string; files: Record<string, string>; prompt: string }[] = [
  { name: 'red circle + high tone', files: { image: 'red-circle.png', audio: 'high-tone.wav' }, prompt: 'What do you see and hear?' },
  // a 16-bit depth PNG: our own decoder on both sides.
  { name: 'a near square (depth map)', files: { depth: 'depth-near-square.png' }, prompt: 'Describe this depth map.' },
  // MP4: WebCodecs in the page (frame-exact), ffmpeg in Node. The page used to seek a <video> and
  // sometimes answered "A green circle standing still." (issue 14): this case pins that bug.
  { name: 'the yellow triangle moving right (video)', files: { video: 'yellow-triangle-right.mp4' }, prompt: 'Describe this video.' },
];

test.use({ permissions: ['clipboard-read', 'clipboard-write'] });

for (const c of CASES) {
  test(`greedy answer for ${c.name} equals npm run chat (wasm, fp32)`, async ({ page }) => {
    const app = new AppPage(page);
    await app.open({ backend: 'wasm', settings: { greedy: true, maxNewTokens: MAX } });
    await app.waitForModel();
    await expect(page.getByTestId('backend-reason')).toContainText('fp32');
    const paths = Object.values(c.files).map((f) => `${NANO_SAMPLES}/${f}`);
    await app.dropFiles(paths);
    await app.waitForChips(paths.length);
    await app.ask(c.prompt);
    expect(await app.waitForAnswer()).toBe('done');
    await app.assistant().getByTestId('message-copy').click();
    const shown = await page.evaluate(() => navigator.clipboard.readText());

    const media = Object.entries(c.files).flatMap(([m, f]) => [`--${m}`, `${NANO_SAMPLES}/${f}`]);
    const out = execFileSync('npx', ['tsx', 'cli/chat.ts', '--bundle', 'dist/models/builtin', ...media, '--prompt', c.prompt, '--greedy', '--max-new-tokens', String(MAX), '--variant', 'fp32', '--json'], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    const cli = JSON.parse(out.slice(out.lastIndexOf('\n{') + 1)) as { text: string; tokens: number[] };
    expect(cli.tokens.length).toBeGreaterThan(1);
    expect(shown).toBe(cli.text);
  });
}
