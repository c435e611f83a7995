import { expect, test } from '@playwright/test';
import { AppPage, FIXTURE_MEDIA } from '../support/app-page';

for (const backend of ['wasm', 'webgpu'] as const) {
  test(`the main thread never blocks over 200 ms while encoding or generating (${backend})`, async ({ page }) => {
    const app = new AppPage(page);
    await app.open({ backend, settings: { temperature: 2, topP: 1, topK: 0, maxNewTokens: 120, seed: 3 } });
    await app.waitForModel();
    await page.evaluate(() => {
      const w = window as unknown as { __long: number[] };
      w.__long = [];
      new PerformanceObserver((list) => list.getEntries().forEach((e) => w.__long.push(e.duration))).observe({ type: 'longtask', buffered: false });
    });
    await app.dropFiles([`${FIXTURE_MEDIA}/videos/world.mp4`]);
    await app.waitForChips(1);
    await app.attachFiles([`${FIXTURE_MEDIA}/audios/dog_audio.wav`, `${FIXTURE_MEDIA}/images/dog_image.jpg`]);
    await app.waitForChips(3);
    const encodeLong = await page.evaluate(() => (window as unknown as { __long: number[] }).__long.splice(0));
    console.log(`long tasks while encoding (${backend}): ${encodeLong.map((d) => Math.round(d)).join(', ') || 'none'}`);
    await app.ask('Describe all of this in detail.');
    expect(['done', 'stopped']).toContain(await app.waitForAnswer());
    const long = await page.evaluate(() => (window as unknown as { __long: number[] }).__long);
    long.push(...encodeLong);
    console.log(`long tasks while generating (${backend}): ${long.map((d) => Math.round(d)).join(', ') || 'none'}`);
    expect(Math.max(0, ...long)).toBeLessThan(200);
  });
}
