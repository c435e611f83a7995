import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { AppPage, fakeCapture, FIXTURE_MEDIA } from '../support/app-page';
import { cosine, MEDIA_DIR, nodeVector } from '../support/node-media';

/**
 * Chromium's fake capture devices play fixture files: the dog's bark and the world video. What the
 * page recorded (read back from IndexedDB) must give Node's vector for the very same file: the
 * recorder's WebM/Opus and WebM/VP8 and the photo's JPEG go through the page's decoders.
 */
const AUDIO = resolve(`${FIXTURE_MEDIA}/audios/dog_audio.wav`);
const VIDEO = '/tmp/pandagpt-e2e-world.y4m';
if (!existsSync(VIDEO)) {
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', `${FIXTURE_MEDIA}/videos/world.mp4`, '-t', '4', '-vf', 'scale=320:240,fps=15', '-pix_fmt', 'yuv420p', VIDEO]);
}

test.use(fakeCapture(AUDIO, VIDEO));

/** Decoded video frames in a recording (the recorder's WebM has no duration in its header). */
function frameCount(bytes: Buffer, tag: string): number {
  mkdirSync(MEDIA_DIR, { recursive: true });
  const path = `${MEDIA_DIR}/frames-${tag}.webm`;
  writeFileSync(path, bytes);
  const out = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', path]);
  return Number(String(out).trim());
}

/** cos(page vector, Node vector of the bytes the page stored) for every attachment. */
async function captureParity(app: AppPage, tag: string, count: number): Promise<Record<string, number>> {
  const stored = await app.storedMedia(count);
  mkdirSync(MEDIA_DIR, { recursive: true });
  const cos: Record<string, number> = {};
  for (const [name, m] of Object.entries(stored)) {
    const path = `${MEDIA_DIR}/captured-${tag}-${name}`;
    writeFileSync(path, m.bytes);
    cos[`${m.modality}:${name}`] = cosine(m.vector, nodeVector(m.modality, path));
  }
  console.log(`[capture-parity] ${tag}: ${JSON.stringify(cos)}`);
  return cos;
}

for (const backend of ['wasm', 'webgpu'] as const) {
  test.describe(`capture on ${backend}`, () => {
    test('microphone recording with a level meter becomes an audio attachment', async ({ page }) => {
      const app = new AppPage(page);
      await app.open({ backend, settings: { maxNewTokens: 8 } });
      await app.waitForModel();
      await app.recordMic();
      await app.waitForChips(1);
      await expect(app.chips.first()).toHaveAttribute('data-modality', 'audio');
      const cos = Object.values(await captureParity(app, `mic-${backend}`, 1));
      expect(cos).toHaveLength(1);
      expect(cos[0]).toBeGreaterThanOrEqual(0.9999);
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
      await app.waitForChips(2);
      await expect(app.chips.nth(1)).toHaveAttribute('data-modality', 'video');
      const cos = await captureParity(app, `webcam-${backend}`, 2);
      expect(Object.keys(cos).map((k) => k.split(':')[0]).sort()).toEqual(['image', 'video']);
      for (const [k, c] of Object.entries(cos)) expect(c, k).toBeGreaterThanOrEqual(k.startsWith('image') ? 0.9999 : 0.999);
      await app.ask('What is happening?');
      expect(await app.waitForAnswer()).toBe('done');
    });
  });
}

test('a camera whose encoder starts late still gives a clip, timed from its first data', async ({ page }) => {
  // A busy device (the photo's embedding on two cores) can take seconds before MediaRecorder
  // delivers anything; a clip stopped 3 s after the click then came back empty. Here the
  // recorder really starts 4 s after it is asked to.
  await page.addInitScript(() => {
    const start = MediaRecorder.prototype.start;
    MediaRecorder.prototype.start = function (this: MediaRecorder, timeslice?: number) {
      setTimeout(() => start.call(this, timeslice), 4000);
    };
  });
  const app = new AppPage(page);
  await app.open({ backend: 'wasm', settings: { maxNewTokens: 8 } });
  await app.waitForModel();
  await page.getByRole('button', { name: 'Use camera' }).click();
  await page.getByTestId('webcam-clip').click();
  await app.waitForChips(1, 30_000);
  await expect(app.chips.first()).toHaveAttribute('data-modality', 'video');
  const cos = Object.values(await captureParity(app, 'late-encoder', 1));
  expect(cos[0]).toBeGreaterThanOrEqual(0.999);
});

test('typing while the camera records keeps the whole clip (the camera is not restarted)', async ({ page }) => {
  // Every keystroke re-renders the composer; the camera panel used to restart its stream on
  // each render, which stopped a clip being recorded after a fraction of a second.
  const app = new AppPage(page);
  await app.open({ backend: 'wasm', settings: { maxNewTokens: 8 } });
  await app.waitForModel();
  await page.getByRole('button', { name: 'Use camera' }).click();
  await page.getByTestId('webcam-clip').click();
  await app.input.pressSequentially('What happens here?', { delay: 60 });
  await app.input.press('Enter'); // sent while recording: it waits for the clip
  expect(await app.waitForAnswer()).toBe('done');
  await expect(app.userText()).toHaveText('What happens here?');
  const [clip] = Object.values(await app.storedMedia(1));
  expect(clip!.modality).toBe('video');
  // The fake camera plays 15 frames/s: a 3 s clip has about 45 of them.
  expect(frameCount(clip!.bytes, 'typing')).toBeGreaterThanOrEqual(30);
});
