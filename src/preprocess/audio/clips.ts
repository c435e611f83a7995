/**
 * pytorchvideo ConstantClipsPerVideoSampler(2 s, 3 clips) on the 16 kHz waveform, with the
 * reference's exact rational slice arithmetic (spec §13.3).
 */
import { addInt, floorTimes, fromDouble, scale } from '../exact';

export const AUDIO_SAMPLE_RATE = 16000;
export const CLIP_DURATION = 2;
export const CLIPS_PER_AUDIO = 3;

/** [start, end) sample slices, clipped to n like Python slicing. */
export function audioClipSlices(n: number, clips = CLIPS_PER_AUDIO, clipDuration = CLIP_DURATION, sr = AUDIO_SAMPLE_RATE): [number, number][] {
  const duration = n / sr;
  const maxStart = fromDouble(Math.max(duration - clipDuration, 0));
  const out: [number, number][] = [];
  for (let k = 0; k < clips; k++) {
    const start = scale(maxStart, k, nextPow2Divisor(clips - 1));
    const a = floorTimes(start, sr);
    const b = floorTimes(addInt(start, clipDuration), sr);
    out.push([Math.min(a, n), Math.min(b, n)]);
  }
  return out;
}

/** Fraction(maxStart, clips − 1): we only need powers of two here (2 for audio, 4 for video). */
function nextPow2Divisor(d: number): number {
  const q = Math.max(d, 1);
  if ((q & (q - 1)) !== 0) throw new RangeError(`clip count − 1 must be a power of two, got ${q}`);
  return q;
}
