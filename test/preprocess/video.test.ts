import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeVideoFrames, preprocessFile, preprocessVideoFile, probeVideo } from '../../cli/media-node';
import { planVideo, preprocessVideoFrames } from '../../src/preprocess/index';
import { cropOffsets, shortSideScaleSize } from '../../src/preprocess/video/video-tensor';
import { fixturePath, mediaOfKind } from './fixtures';
import { readNpy } from '../helpers/npy';

const code = async (p: Promise<unknown>): Promise<string | undefined> => p.then(() => undefined, (e: { code?: string }) => e.code);
const P = 224 * 224;

describe('video frame plan (decord + pytorchvideo arithmetic)', () => {
  it('182 frames at 25 fps: clip 2 ends at 116.00000000000001 → last sampled frame 116 (§13.2)', () => {
    const plan = planVideo(182, 25);
    expect(plan.clips.map((c) => c.sampled)).toEqual([[0, 49], [33, 82], [66, 116], [99, 148], [132, 181]]);
  });
  it('videos shorter than 2 s: all 5 clips are [0, 2)', () => {
    const plan = planVideo(30, 30);
    expect(plan.clips.map((c) => c.sampled)).toEqual(Array(5).fill([0, 29]));
    expect(plan.frames).toEqual([0, 29]);
  });
});

describe('video tensors vs the reference', () => {
  for (const m of mediaOfKind('video')) {
    it(`${m.id}: frames, geometry, per-crop stats and the stored clip0/crop1`, async () => {
      const path = fixturePath(m.file);
      const probe = await probeVideo(path);
      expect([probe.width, probe.height]).toEqual(m.info.native_wh);
      expect(probe.frameCount).toBe(m.info.frame_count);
      expect(probe.fps).toBe(m.info.avg_fps);
      const plan = planVideo(probe.frameCount, probe.fps);
      expect(plan.duration).toBe(m.info.duration);
      m.info.clips.forEach((c: { start: { float: number }; end: { float: number }; decoded_frame_range: number[]; sampled_frames: number[] }, k: number) => {
        expect(plan.clips[k]!.start).toBe(c.start.float);
        expect(plan.clips[k]!.end).toBe(c.end.float);
        expect(plan.clips[k]!.frameRange).toEqual(c.decoded_frame_range);
        expect(plan.clips[k]!.sampled).toEqual(c.sampled_frames);
      });
      const sz = shortSideScaleSize(probe.width, probe.height);
      expect([sz.w, sz.h]).toEqual(m.info.short_side_scaled_wh);
      expect(cropOffsets(sz.w, sz.h)).toEqual(m.info.crop_offsets);

      const frames = await decodeVideoFrames(path, plan, probe.width, probe.height);
      const t = preprocessVideoFrames(plan, frames, probe.width, probe.height);
      expect(t.dims).toEqual([15, 3, 2, 224, 224]);

      // (15 crops, 3 channels, 2 frames, [mean, std, min, max])
      const stats = readNpy(fixturePath(`reference/media/${m.id}.input_stats.npy`));
      expect(stats.shape).toEqual([15, 3, 2, 4]);
      let worstMean = 0;
      let worstStd = 0;
      let worstMinMax = 0;
      for (let s = 0; s < 90; s++) {
        const v = t.data.subarray(s * P, (s + 1) * P);
        let sum = 0;
        let mn = Infinity;
        let mx = -Infinity;
        for (const x of v) {
          sum += x;
          mn = Math.min(mn, x);
          mx = Math.max(mx, x);
        }
        const mean = sum / P;
        let ss = 0;
        for (const x of v) ss += (x - mean) ** 2;
        const std = Math.sqrt(ss / (P - 1));
        const r = (stats.data as Float64Array).subarray(s * 4, s * 4 + 4);
        worstMean = Math.max(worstMean, Math.abs(mean - r[0]!));
        worstStd = Math.max(worstStd, Math.abs(std - r[1]!));
        worstMinMax = Math.max(worstMinMax, Math.abs(mn - r[2]!), Math.abs(mx - r[3]!));
      }
      const ref = readNpy(fixturePath(`reference/media/${m.id}.input_clip0_crop1.npy`));
      expect(ref.shape).toEqual([1, 1, 3, 2, 224, 224]);
      const mine = t.data.subarray(1 * 3 * 2 * P, 2 * 3 * 2 * P);
      let dot = 0;
      let na = 0;
      let nb = 0;
      let maxd = 0;
      (ref.data as Float32Array).forEach((a, i) => {
        const b = mine[i]!;
        dot += a * b;
        na += a * a;
        nb += b * b;
        maxd = Math.max(maxd, Math.abs(a - b));
      });
      const cos = dot / Math.sqrt(na * nb);
      console.log(`${m.id}: stats max |Δmean| ${worstMean.toExponential(2)} |Δstd| ${worstStd.toExponential(2)} |Δmin/max| ${worstMinMax.toExponential(2)}; clip0/crop1 cos ${cos}, max |Δ| ${maxd}`);
      expect(worstMean).toBeLessThan(1e-3);
      expect(worstStd).toBeLessThan(1e-3);
      expect(worstMinMax).toBeLessThan(0.02);
      expect(cos).toBeGreaterThanOrEqual(0.999);
    });
  }
});

describe('video errors', () => {
  it('a file with audio but no video track → MEDIA_NO_VIDEO_TRACK', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-vid-'));
    const path = join(dir, 'tone.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', path]);
    expect(await code(preprocessFile(path, 'video'))).toBe('MEDIA_NO_VIDEO_TRACK');
    rmSync(dir, { recursive: true, force: true });
  });
  it('no ffmpeg on PATH → FFMPEG_MISSING with an install hint', async () => {
    const err = await preprocessVideoFile(fixturePath('media/videos/a.mp4'), { ffprobe: 'ffprobe-not-installed-xyz' }).catch((e: Error & { code?: string }) => e);
    expect((err as { code?: string }).code).toBe('FFMPEG_MISSING');
    expect((err as Error).message).toMatch(/apt-get install ffmpeg/);
  });
  it('wrong number of frames → MEDIA_CORRUPT', () => {
    const plan = planVideo(100, 25);
    expect(() => preprocessVideoFrames(plan, [new Uint8Array(12)], 2, 2)).toThrow(expect.objectContaining({ code: 'MEDIA_CORRUPT' }));
  });
});

describe('preprocessFile routes by content', () => {
  it('fixture video through the Node entry', async () => {
    const t = await preprocessFile(fixturePath('media/videos/world.mp4'));
    expect(t.modality).toBe('video');
    expect(t.dims).toEqual([15, 3, 2, 224, 224]);
    void readFileSync;
  });
});
