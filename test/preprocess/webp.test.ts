/** WebP: lossless decoded in TS (checked against ffmpeg's decoder), lossy needs the platform fallback. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/preprocess/image/decode-image';
import { preprocessImage } from '../../src/preprocess/index';
import { fixturePath } from './fixtures';

const dir = mkdtempSync(join(tmpdir(), 'pp-webp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ff = (...args: string[]): Buffer => execFileSync('ffmpeg', ['-v', 'error', '-y', ...args]);

describe('WebP lossless decoder', () => {
  const src = fixturePath('media/images/bird_image.jpg');
  const cases: Record<string, string[]> = {
    'compression 0 (few transforms)': ['-i', src, '-vf', 'scale=333:251', '-c:v', 'libwebp', '-lossless', '1', '-compression_level', '0'],
    'compression 6 (predictor, cross-colour, subtract-green, colour cache, meta codes)': ['-i', src, '-vf', 'scale=333:251', '-c:v', 'libwebp', '-lossless', '1', '-compression_level', '6'],
    'with alpha': ['-i', src, '-vf', "scale=200:150,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='X+Y'", '-c:v', 'libwebp', '-lossless', '1'],
    'palette (colour indexing)': ['-f', 'lavfi', '-i', 'testsrc2=size=97x61', '-frames:v', '1', '-vf', 'format=pal8', '-c:v', 'libwebp', '-lossless', '1'],
  };
  for (const [name, args] of Object.entries(cases)) {
    it(name, async () => {
      const file = join(dir, `${name.replace(/\W+/g, '_')}.webp`);
      ff(...args, file);
      const img = await decodeImage(readFileSync(file));
      const ref = ff('-i', file, '-f', 'rawvideo', '-pix_fmt', img.channels === 4 ? 'rgba' : 'rgb24', 'pipe:1');
      expect(img.data.length).toBe(ref.length);
      expect(Buffer.from(img.data as Uint8Array).equals(ref)).toBe(true);
    });
  }

  it('lossy WebP: MEDIA_UNSUPPORTED without a fallback, the injected decoder otherwise', async () => {
    const file = join(dir, 'lossy.webp');
    ff('-i', src, '-vf', 'scale=320:240', '-c:v', 'libwebp', '-quality', '80', file);
    const bytes = readFileSync(file);
    await expect(decodeImage(bytes)).rejects.toMatchObject({ code: 'MEDIA_UNSUPPORTED' });
    // Stand-in for the browser decoder: ffmpeg's, through the same injection point.
    const fallback = async (b: Uint8Array, mime: string) => {
      expect(mime).toBe('image/webp');
      return { width: 320, height: 240, channels: 3 as const, bitDepth: 8 as const, data: new Uint8Array(ff('-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1')) };
    };
    const t = await preprocessImage(bytes, { fallback });
    expect(t.dims).toEqual([1, 3, 224, 224]);
  });
});
