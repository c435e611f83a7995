/** cli/media-node.ts: files routed by content, compressed audio through ffmpeg. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { preprocessFile } from '../../cli/media-node';
import { blobSource, preprocessBytes, preprocessWav } from '../../src/preprocess/index';
import { fixturePath, maxAbsDiff } from './fixtures';

const dir = mkdtempSync(join(tmpdir(), 'pp-node-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('preprocessFile', () => {
  it('a Blob source (the browser path: Blob.slice) gives the same audio tensor as a file handle', async () => {
    const wav = fixturePath('media/audios/bird_audio.wav');
    const fromBlob = await preprocessWav(blobSource(new Blob([readFileSync(wav)])));
    const fromFile = await preprocessFile(wav);
    expect(maxAbsDiff(fromBlob.data, fromFile.data)).toBe(0);
  });

  it('FLAC (lossless) through ffmpeg equals the WAV path exactly', async () => {
    const wav = fixturePath('media/audios/dog_audio.wav');
    const flac = join(dir, 'dog.flac');
    execFileSync('ffmpeg', ['-v', 'error', '-i', wav, flac]);
    const a = await preprocessFile(wav);
    const b = await preprocessFile(flac);
    expect(b.dims).toEqual([3, 1, 128, 204]);
    expect(maxAbsDiff(a.data, b.data)).toBe(0);
  });

  it('MP3 through ffmpeg stays close to the WAV', async () => {
    const wav = fixturePath('media/audios/car_audio.wav');
    const mp3 = join(dir, 'car.mp3');
    execFileSync('ffmpeg', ['-v', 'error', '-i', wav, '-b:a', '192k', mp3]);
    const t = await preprocessFile(mp3);
    expect(t.modality).toBe('audio');
    expect(t.dims).toEqual([3, 1, 128, 204]);
  });

  it('each fixture kind routes to its modality and shape; thermal can be forced', async () => {
    const cases: [string, string, number[]][] = [
      ['media/images/dog_image.jpg', 'image', [1, 3, 224, 224]],
      ['media/depth/scene.png', 'depth', [1, 1, 224, 224]],
      ['media/imu/walk.csv', 'imu', [1, 6, 2000]],
      ['media/audios/bird_audio.wav', 'audio', [3, 1, 128, 204]],
    ];
    for (const [rel, modality, dims] of cases) {
      const t = await preprocessFile(fixturePath(rel));
      expect([t.modality, t.dims]).toEqual([modality, dims]);
      const viaBytes = await preprocessBytes(t.modality, readFileSync(fixturePath(rel)));
      expect(maxAbsDiff(viaBytes.data, t.data)).toBe(0);
    }
    const th = await preprocessFile(fixturePath('media/thermals/210009.jpg'), 'thermal');
    expect(th.dims).toEqual([1, 1, 224, 224]);
  });
});
