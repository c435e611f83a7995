import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { preprocessDepth } from '../../src/preprocess/index';
import { depthToTensor } from '../../src/preprocess/depth';
import { fixturePath, maxAbsDiff, media } from './fixtures';
import { readNpy } from '../helpers/npy';
import { encodePng } from './png-writer';

describe('depth', () => {
  it('depth_scene.png (uint16 mm, 224×224) equals the reference', async () => {
    const m = media('depth_scene');
    const t = await preprocessDepth(readFileSync(fixturePath(m.file)));
    const ref = readNpy(fixturePath(m.input!.file));
    expect(t.dims).toEqual(ref.shape);
    const d = maxAbsDiff(t.data, ref.data as Float32Array);
    console.log(`depth_scene max |Δ| = ${d}`);
    expect(d).toBe(0);
  });

  it('8-bit grayscale is relative depth L/255', async () => {
    const samples = Array.from({ length: 224 * 224 }, (_, i) => i % 256);
    const t = await preprocessDepth(encodePng({ width: 224, height: 224, colorType: 0, depth: 8, samples }));
    expect(t.data[0]).toBe(0);
    expect(t.data[255]).toBe(Math.fround(255 / 255));
    expect(t.data[100]).toBe(Math.fround(100 / 255));
  });

  it('other sizes: short side → 224 bilinear (keeps constants and stays within range), centre crop', () => {
    const w = 500;
    const h = 300;
    const data = new Uint16Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = x < w / 2 ? 1000 : 3000;
    const t = depthToTensor({ width: w, height: h, channels: 1, bitDepth: 16, data });
    expect(t.info.resizedWh).toEqual([373, 224]);
    expect(t.info.cropLeft).toBe(74);
    expect(t.data[0]).toBeCloseTo(1, 6);
    expect(t.data[223]).toBeCloseTo(3, 6);
    // No overshoot at the edge (bicubic would ring below 1 m / above 3 m).
    expect(Math.min(...t.data)).toBeGreaterThanOrEqual(1 - 1e-6);
    expect(Math.max(...t.data)).toBeLessThanOrEqual(3 + 1e-6);
  });
});
