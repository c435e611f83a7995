/**
 * The JPEG decoder against libjpeg-turbo itself: `cjpeg` encodes a fixture crop with every chroma
 * subsampling, progressive and restart-interval variant, and `djpeg` (same library and defaults as
 * PIL: islow IDCT, fancy upsampling) decodes the reference. Needs apt `libjpeg-turbo-progs`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeJpeg } from '../../src/preprocess/image/jpeg/decode-jpeg';
import { fixturePath } from './fixtures';

const dir = mkdtempSync(join(tmpdir(), 'pp-jpeg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function djpeg(file: string): Uint8Array {
  const ppm = execFileSync('djpeg', ['-pnm', file]);
  let p = 0;
  for (let fields = 0; fields < 4; fields++) {
    while (ppm[p]! <= 32) p++;
    while (ppm[p]! > 32) p++;
  }
  return ppm.subarray(p + 1);
}

describe('JPEG decoder is bit-exact with libjpeg-turbo (djpeg)', () => {
  // An odd size (333×251) exercises partial MCUs and edge replication in every upsampler.
  const src = join(dir, 'src.ppm');
  execFileSync('ffmpeg', ['-v', 'error', '-i', fixturePath('media/images/bird_image.jpg'), '-vf', 'scale=333:251', src]);
  const variants: Record<string, string[]> = {
    '4:4:4': ['-sample', '1x1'],
    '4:2:2 (h2v1)': ['-sample', '2x1'],
    '4:4:0 (h1v2)': ['-sample', '1x2'],
    '4:2:0 (h2v2)': ['-sample', '2x2'],
    '4:1:1 (h4v1, box)': ['-sample', '4x1'],
    'progressive 4:2:0 + restart every 3 rows': ['-sample', '2x2', '-progressive', '-restart', '3'],
    'progressive 4:4:0': ['-sample', '1x2', '-progressive'],
    'baseline, restart every 27 MCUs': ['-sample', '2x2', '-restart', '27B'],
    grayscale: ['-grayscale'],
    'progressive grayscale': ['-grayscale', '-progressive'],
    'RGB (no colour transform)': ['-rgb'],
    'quality 100 (large coefficients)': ['-quality', '100', '-sample', '2x2'],
  };
  for (const [name, args] of Object.entries(variants)) {
    it(name, () => {
      const file = join(dir, `${name.replace(/\W+/g, '_')}.jpg`);
      execFileSync('cjpeg', [...args, '-outfile', file, src]);
      const img = decodeJpeg(readFileSync(file));
      const ref = djpeg(file);
      expect([img.width, img.height]).toEqual([333, 251]);
      expect(img.data.length).toBe(ref.length);
      let diff = 0;
      for (let i = 0; i < ref.length; i++) if (ref[i] !== img.data[i]) diff++;
      expect(diff).toBe(0);
    });
  }
});
