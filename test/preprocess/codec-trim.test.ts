import { execFileSync } from 'node:child_process';
import { preprocessFile, probeVideo } from '../../cli/media-node';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MP3_DECODER_DELAY, mp3Gapless } from '../../src/preprocess/audio/mp3-gapless';
import { webmDiscardPadding } from '../../src/preprocess/audio/webm-discard';
import { matroskaFrameRate, snapFrameRate } from '../../src/preprocess/video/frame-rate';
import { matrixOf, yuvToRgba } from '../../src/preprocess/video/yuv';

/**
 * What the page needs to keep exactly the samples and pixels ffmpeg keeps. The fixtures are 0.3 s
 * of a 440 Hz tone encoded by ffmpeg (libmp3lame, libopus); ffmpeg decodes them to 13230 and 14400
 * samples (0.3 s at 44.1 and 48 kHz).
 */
const FIX = 'test/fixtures/codecs';

function ffmpegSamples(file: string): number {
  return execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'f32le', '-ac', '1', '-']).length / 4;
}

describe('mp3 gapless info (LAME/Lavc Info tag)', () => {
  const bytes = new Uint8Array(readFileSync(`${FIX}/tone-0.3s.mp3`));
  it('reads the encoder delay and padding; frames × 1152 − both = what ffmpeg decodes', () => {
    const g = mp3Gapless(bytes)!;
    expect(g).toEqual({ delay: 576, padding: 1170 });
    const frames = 13; // audio frames after the Info frame (ffprobe -count_packets)
    expect(frames * 1152 - g.delay - g.padding).toBe(13230);
    expect(ffmpegSamples(`${FIX}/tone-0.3s.mp3`)).toBe(13230);
    expect(MP3_DECODER_DELAY).toBe(529);
  });
  it('is null without a tag (not MP3, or tag bytes damaged)', () => {
    expect(mp3Gapless(new Uint8Array(readFileSync(`${FIX}/tone-0.3s.webm`)))).toBeNull();
    const damaged = bytes.slice();
    const at = Buffer.from(damaged).indexOf('Info');
    damaged[at] = 0x58; // 'Xnfo'
    expect(mp3Gapless(damaged)).toBeNull();
  });
});

describe('WebM DiscardPadding', () => {
  it('finds the last block’s padding: decoded 16 × 960 − 312 pre-skip − 648 = what ffmpeg keeps', () => {
    const pad = webmDiscardPadding(new Uint8Array(readFileSync(`${FIX}/tone-0.3s.webm`)));
    expect([...pad.entries()]).toEqual([[1, 13_500_000]]);
    expect(16 * 960 - 312 - (13_500_000 * 48_000) / 1e9).toBe(14400);
    expect(ffmpegSamples(`${FIX}/tone-0.3s.webm`)).toBe(14400);
  });
  it('is empty for non-Matroska bytes and survives truncation', () => {
    expect(webmDiscardPadding(new Uint8Array(readFileSync(`${FIX}/tone-0.3s.mp3`))).size).toBe(0);
    const whole = new Uint8Array(readFileSync(`${FIX}/tone-0.3s.webm`));
    for (const n of [4, 40, 400, whole.length - 3]) expect(() => webmDiscardPadding(whole.subarray(0, n))).not.toThrow();
  });
});

describe('YUV → RGB as ffmpeg converts it', () => {
  const solid = (y: number, u: number, v: number, matrix = matrixOf(undefined), fullRange = false): number[] =>
    Array.from(yuvToRgba({ width: 2, height: 2, y: new Uint8Array(4).fill(y), yStride: 2, u: new Uint8Array([u]), v: new Uint8Array([v]), uvStride: 1, shiftX: 1, shiftY: 1, matrix, fullRange }).subarray(0, 4));
  it('unspecified streams are BT.601 limited range (ffmpeg gave 253,0,0 and 31,190,62 for these)', () => {
    expect(solid(81, 90, 240)).toEqual([254, 0, 0, 255]);
    expect(solid(127, 95, 67)).toEqual([32, 192, 63, 255]);
    expect(solid(16, 128, 128)).toEqual([0, 0, 0, 255]);
    expect(solid(235, 128, 128)).toEqual([255, 255, 255, 255]);
  });
  it('BT.709 and full range when the stream says so', () => {
    expect(solid(81, 90, 240, 'bt709')[1]).toBe(24); // what a browser draws for an unspecified stream
    expect(solid(0, 128, 128, 'bt601', true)).toEqual([0, 0, 0, 255]);
    expect(matrixOf('bt709')).toBe('bt709');
    expect(matrixOf('bt2020-ncl')).toBe('bt2020');
    expect(matrixOf('smpte170m')).toBe('bt601');
  });
  it('each pixel takes its own 2×2 block’s chroma (no interpolation), I420 and NV12 alike', () => {
    const y = new Uint8Array(16).fill(128);
    const u = new Uint8Array([60, 200, 128, 128]);
    const v = new Uint8Array([128, 128, 60, 200]);
    const i420 = yuvToRgba({ width: 4, height: 4, y, yStride: 4, u, v, uvStride: 2, shiftX: 1, shiftY: 1, matrix: 'bt601', fullRange: false });
    const uv = new Uint8Array(8);
    for (let i = 0; i < 4; i++) [uv[2 * (i % 2) + 4 * Math.floor(i / 2)], uv[2 * (i % 2) + 4 * Math.floor(i / 2) + 1]] = [u[i]!, v[i]!];
    const nv12 = yuvToRgba({ width: 4, height: 4, y, yStride: 4, u: uv, v: null, uvStride: 4, shiftX: 1, shiftY: 1, matrix: 'bt601', fullRange: false });
    expect(nv12).toEqual(i420);
    const px = (r: number, c: number): number[] => Array.from(i420.subarray((r * 4 + c) * 4, (r * 4 + c) * 4 + 3));
    expect(px(0, 0)).toEqual(px(1, 1));
    expect(px(0, 1)).not.toEqual(px(0, 2));
    expect(px(1, 0)).not.toEqual(px(2, 0));
  });
});

describe('frame rate snapping', () => {
  it('snaps float noise to the rational it stands for, and nothing else', () => {
    expect(snapFrameRate(24.99999999999999)).toBe(25);
    expect(snapFrameRate(38 / 1.5200000000000002)).toBe(25);
    expect(snapFrameRate(29.970029970029973)).toBe(30000 / 1001);
    expect(snapFrameRate(29.99666704032852)).toBe(29.99666704032852);
    expect(snapFrameRate(14.7312)).toBe(14.7312);
  });
  it('WebM: (n − 1) / span rounded to an ffmpeg standard rate within 1 % (ffprobe said 15/1 and 30/1)', () => {
    // A Chrome MediaRecorder clip of the 15 fps fake camera: 45 frames at whole milliseconds.
    const rec = Array.from({ length: 45 }, (_, i) => Math.round((i * 1000) / 15) / 1000);
    expect(matroskaFrameRate(rec)).toBe(15);
    expect(matroskaFrameRate(Array.from({ length: 90 }, (_, i) => Math.round((i * 1000) / 30) / 1000))).toBe(30);
    expect(matroskaFrameRate(Array.from({ length: 60 }, (_, i) => Math.round((i * 1001) / 30) / 1000))).toBeCloseTo(30000 / 1001, 9);
    expect(matroskaFrameRate(Array.from({ length: 30 }, (_, i) => i / 7.3))).toBe(88 / 12); // the 1/12-fps grid
    expect(matroskaFrameRate(Array.from({ length: 30 }, (_, i) => i / 45.5))).toBeCloseTo(45.5, 9); // 1.1 % from 45 and 46
  });
});

describe('Node reads a MediaRecorder WebM that ffprobe gives no frame rate', () => {
  it('falls back to the packets (as the page does) instead of failing on NaN', async () => {
    const file = `${FIX}/mediarecorder-irregular.webm`; // Chromium's recorder, fake 15 fps camera, one late frame
    const probe = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=avg_frame_rate', '-of', 'csv=p=0', file], { encoding: 'utf8' }).trim();
    expect(probe).toBe('0/0');
    const v = await probeVideo(file);
    expect(v).toMatchObject({ frameCount: 45, fps: 15, width: 320, height: 240 });
  });
  it('and one with a single frame (a recorder starved by a busy machine) is still a video', async () => {
    const v = await probeVideo(`${FIX}/mediarecorder-one-frame.webm`);
    expect(v).toMatchObject({ frameCount: 1, fps: 30 });
    const input = await preprocessFile(`${FIX}/mediarecorder-one-frame.webm`, 'video');
    expect(input.dims).toEqual([15, 3, 2, 224, 224]);
  });
});
