import { expect, test } from '@playwright/test';
import { AppPage, FIXTURE_MEDIA } from '../support/app-page';

const M = FIXTURE_MEDIA;
const cases: { name: string; files: string[]; modalities: string[]; relabel?: string }[] = [
  { name: 'audio', files: [`${M}/audios/dog_audio.wav`], modalities: ['audio'] },
  { name: 'video', files: [`${M}/videos/world.mp4`], modalities: ['video'] },
  { name: 'thermal', files: [`${M}/thermals/190662.jpg`], modalities: ['thermal'], relabel: 'thermal' },
  { name: 'depth', files: [`${M}/depth/scene.png`], modalities: ['depth'] },
  { name: 'IMU', files: [`${M}/imu/walk.csv`], modalities: ['imu'] },
  { name: 'image + audio', files: [`${M}/images/dog_image.jpg`, `${M}/audios/dog_audio.wav`], modalities: ['image', 'audio'] },
];

for (const backend of ['wasm', 'webgpu'] as const) {
  test.describe(`media chat on ${backend}`, () => {
    test('drag-and-drop the dog image, ask, and an answer streams in', async ({ page }) => {
      const app = new AppPage(page);
      await app.open({ backend, settings: { maxNewTokens: 24 } });
      await app.waitForModel();
      await app.dropFiles([`${M}/images/dog_image.jpg`]);
      await app.waitForChips(1);
      await expect(app.chips.first()).toHaveAttribute('data-modality', 'image');
      await expect(app.chips.first().getByTestId('zero-shot-tags')).not.toBeEmpty();
      await app.ask('What is in this image?');
      // Streaming: the answer grows while data-status is still "streaming".
      await expect(app.assistant()).toHaveAttribute('data-status', /streaming|done/);
      expect(await app.waitForAnswer()).toBe('done');
      await expect(app.user()).toContainText('with image');
      await expect(app.toasts).toHaveCount(0);
    });

    for (const c of cases) {
      test(`${c.name}: attach, ask, answer`, async ({ page }) => {
        const app = new AppPage(page);
        await app.open({ backend, settings: { maxNewTokens: 12 } });
        await app.waitForModel();
        await app.attachFiles(c.files);
        await app.waitForChips(c.files.length);
        if (c.relabel) {
          // Fixture thermal JPEGs are plain images to the detector unless the name says thermal.
          const chip = app.chips.first();
          if ((await chip.getAttribute('data-modality')) !== c.relabel) {
            await chip.getByRole('combobox').selectOption(c.relabel);
            await expect(chip).toHaveAttribute('data-modality', c.relabel);
            await expect(chip).toHaveAttribute('data-status', 'ready');
          }
        }
        for (let i = 0; i < c.modalities.length; i++) await expect(app.chips.nth(i)).toHaveAttribute('data-modality', c.modalities[i]!);
        await app.ask('Describe this.');
        expect(await app.waitForAnswer()).toBe('done');
        await expect(app.user()).toContainText(`with ${c.modalities.join(' + ')}`);
        await expect(app.toasts).toHaveCount(0);
      });
    }
  });
}
