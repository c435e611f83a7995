import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/preprocess/image/decode-image';
import { decodeJpeg } from '../../src/preprocess/image/jpeg/decode-jpeg';
import { decodePng } from '../../src/preprocess/image/png';
import { toLuma8, toRgb8 } from '../../src/preprocess/image/pil-convert';
import { centerCropOffsets, roundHalfEven, shortSideSize } from '../../src/preprocess/image/geometry';
import { imageToTensor, thermalToTensor } from '../../src/preprocess/image/vision';
import { preprocessImage, preprocessThermal } from '../../src/preprocess/index';
import { fixturePath, maxAbsDiff, mediaOfKind } from './fixtures';
import { readNpy } from '../helpers/npy';
import { encodePng, pngHeaderOnly } from './png-writer';

const code = async (p: Promise<unknown> | (() => unknown)): Promise<string | undefined> => {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe('image and thermal tensors vs the PIL/torchvision reference', () => {
  for (const m of [...mediaOfKind('image'), ...mediaOfKind('thermal')]) {
    it(`${m.id}: geometry and values (max |Δ| ≤ 1e-4; measured 0)`, () => {
      const img = decodeJpeg(readFileSync(fixturePath(m.file)));
      const t = m.kind === 'thermal' ? thermalToTensor(img) : imageToTensor(img);
      const g = m.info.geometry;
      expect(t.geometry).toEqual({ sourceWh: g.source_wh, resizedWh: g.resized_wh, cropTop: g.crop_top, cropLeft: g.crop_left });
      const ref = readNpy(fixturePath(m.input!.file));
      expect(ref.shape).toEqual([1, ...t.dims]);
      const d = maxAbsDiff(t.data, ref.data as Float32Array);
      console.log(`${m.id} max |Δ| = ${d}`);
      expect(d).toBeLessThanOrEqual(1e-4);
    });
  }

  it('public entries return batched dims', async () => {
    const img = await preprocessImage(readFileSync(fixturePath('media/images/car_image.jpg')));
    expect(img.dims).toEqual([1, 3, 224, 224]);
    const th = await preprocessThermal(readFileSync(fixturePath('media/thermals/190662.jpg')));
    expect(th.dims).toEqual([1, 1, 224, 224]);
    expect(Math.max(...th.data)).toBeLessThanOrEqual(1);
    expect(Math.min(...th.data)).toBeGreaterThanOrEqual(0);
  });
});

describe('geometry', () => {
  it('short side → 224, long side truncated; crop offsets round half to even', () => {
    expect(shortSideSize(640, 855)).toEqual({ w: 224, h: 299 });
    expect(shortSideSize(640, 360)).toEqual({ w: 398, h: 224 });
    expect(roundHalfEven(37.5)).toBe(38);
    expect(roundHalfEven(36.5)).toBe(36);
    expect(centerCropOffsets(224, 299)).toEqual({ top: 38, left: 0 });
    expect(centerCropOffsets(224, 297)).toEqual({ top: 36, left: 0 });
  });
});

describe('PIL convert', () => {
  it('L uses (19595 R + 38470 G + 7471 B + 0x8000) >> 16', () => {
    const img = { width: 3, height: 1, channels: 3 as const, bitDepth: 8 as const, data: Uint8Array.from([255, 0, 0, 0, 255, 0, 10, 200, 30]) };
    expect([...toLuma8(img)]).toEqual([76, 150, (10 * 19595 + 200 * 38470 + 30 * 7471 + 0x8000) >> 16]);
  });
  it('RGBA → RGB drops alpha without compositing; 16-bit gray clips at 255 (PIL I;16)', () => {
    expect([...toRgb8({ width: 1, height: 1, channels: 4, bitDepth: 8, data: Uint8Array.from([10, 20, 30, 0]) })]).toEqual([10, 20, 30]);
    expect([...toRgb8({ width: 2, height: 1, channels: 1, bitDepth: 16, data: Uint16Array.from([200, 6000]) })]).toEqual([200, 200, 200, 255, 255, 255]);
    expect([...toRgb8({ width: 1, height: 1, channels: 3, bitDepth: 16, data: Uint16Array.from([0x1234, 0xff00, 0x00ff]) })]).toEqual([0x12, 0xff, 0x00]);
  });
});

describe('PNG decoder', () => {
  const W = 13;
  const H = 7;
  const rgba = Array.from({ length: W * H * 4 }, (_, i) => (i * 37 + (i >> 2) * 11) & 255);
  const rgb = rgba.filter((_, i) => i % 4 !== 3);

  it('RGBA and interlaced RGBA decode to the same pixels; alpha is dropped by convert', async () => {
    const a = await decodePng(encodePng({ width: W, height: H, colorType: 6, depth: 8, samples: rgba }));
    const b = await decodePng(encodePng({ width: W, height: H, colorType: 6, depth: 8, samples: rgba, interlace: true }));
    expect([...a.data]).toEqual(rgba);
    expect([...b.data]).toEqual(rgba);
    expect([...toRgb8(a)]).toEqual(rgb);
  });

  it('palette (with tRNS), low-bit gray and 16-bit gray', async () => {
    const palette = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255];
    const idx = Array.from({ length: W * H }, (_, i) => i % 4);
    const p = await decodePng(encodePng({ width: W, height: H, colorType: 3, depth: 2, samples: idx, palette, trns: [0, 128] }));
    expect([...toRgb8(p)]).toEqual(idx.flatMap((i) => palette.slice(3 * i, 3 * i + 3)));
    const g4 = await decodePng(encodePng({ width: W, height: H, colorType: 0, depth: 4, samples: idx.map((i) => i * 5) }));
    expect([...g4.data]).toEqual(idx.map((i) => i * 5 * 17));
    const g16 = await decodePng(encodePng({ width: 2, height: 1, colorType: 0, depth: 16, samples: [1234, 65535] }));
    expect(g16.bitDepth).toBe(16);
    expect([...g16.data]).toEqual([1234, 65535]);
  });

  it('a lossless PNG and BMP written by ffmpeg from the same JPEG decode to identical pixels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-img-'));
    const src = fixturePath('media/images/car_image.jpg');
    for (const ext of ['png', 'bmp']) execFileSync('ffmpeg', ['-v', 'error', '-i', src, '-pix_fmt', ext === 'png' ? 'rgb24' : 'bgr24', join(dir, `x.${ext}`)]);
    const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', join(dir, 'x.png'), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
    const png = await decodeImage(readFileSync(join(dir, 'x.png')));
    const bmp = await decodeImage(readFileSync(join(dir, 'x.bmp')));
    expect([png.width, png.height]).toEqual([640, 360]);
    expect(Buffer.from(png.data as Uint8Array).equals(raw)).toBe(true);
    expect(Buffer.from(bmp.data as Uint8Array).equals(raw)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('GIF first frame equals ffmpeg’s decode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-gif-'));
    execFileSync('ffmpeg', ['-v', 'error', '-i', fixturePath('media/images/car_image.jpg'), '-frames:v', '1', join(dir, 'x.gif')]);
    const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', join(dir, 'x.gif'), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
    const gif = await decodeImage(readFileSync(join(dir, 'x.gif')));
    expect(Buffer.from(gif.data as Uint8Array).equals(raw)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('bad images', () => {
  it('truncated JPEG → MEDIA_CORRUPT', async () => {
    const b = readFileSync(fixturePath('media/images/dog_image.jpg'));
    expect(await code(decodeImage(b.subarray(0, Math.floor(b.length / 2))))).toBe('MEDIA_CORRUPT');
    expect(await code(decodeImage(b.subarray(0, 300)))).toBe('MEDIA_CORRUPT');
  });
  it('truncated PNG → MEDIA_CORRUPT', async () => {
    const b = encodePng({ width: 40, height: 40, colorType: 2, depth: 8, samples: Array.from({ length: 4800 }, (_, i) => (i * 7919) & 255) });
    expect(await code(decodeImage(b.subarray(0, b.length - 30)))).toBe('MEDIA_CORRUPT');
  });
  it('empty → MEDIA_EMPTY', async () => {
    expect(await code(decodeImage(new Uint8Array(0)))).toBe('MEDIA_EMPTY');
  });
  it('40000×40000 PNG header → MEDIA_TOO_LARGE before allocating', async () => {
    expect(await code(decodeImage(pngHeaderOnly(40000, 40000)))).toBe('MEDIA_TOO_LARGE');
  });
  it('40000×40000 JPEG header → MEDIA_TOO_LARGE', async () => {
    const b = Buffer.from(readFileSync(fixturePath('media/thermals/190662.jpg')));
    const sof = b.indexOf(Buffer.from([0xff, 0xc0]));
    b.writeUInt16BE(40000, sof + 5);
    b.writeUInt16BE(40000, sof + 7);
    expect(await code(decodeImage(b))).toBe('MEDIA_TOO_LARGE');
  });
  it('lossy WebP without a platform decoder → MEDIA_UNSUPPORTED; truncated lossless → MEDIA_CORRUPT; text → MEDIA_UNSUPPORTED', async () => {
    const lossy = Buffer.concat([Buffer.from('RIFF\x14\x00\x00\x00WEBPVP8 \x08\x00\x00\x00', 'latin1'), Buffer.alloc(8)]);
    expect(await code(decodeImage(lossy))).toBe('MEDIA_UNSUPPORTED');
    const truncatedLossless = Buffer.concat([Buffer.from('RIFF\x14\x00\x00\x00WEBPVP8L\x40\x00\x00\x00', 'latin1'), Buffer.alloc(8)]);
    expect(await code(decodeImage(truncatedLossless))).toBe('MEDIA_CORRUPT');
    expect(await code(decodeImage(Buffer.from('hello')))).toBe('MEDIA_UNSUPPORTED');
  });
});
