/**
 * ImageBind `load_and_transform_audio_data` on any PcmSource: resample to 16 kHz (only the clip
 * windows), 3 × 2 s clips, in-place mean subtraction clip by clip (clips are views of one buffer in
 * the reference), Kaldi fbank on channel 0, pad/crop to 204 frames, normalise.
 * Output (3, 1, 128, 204) float32.
 */
import { PandaError } from '../../core/errors';
import { audioClipSlices, AUDIO_SAMPLE_RATE } from './clips';
import { FRAME_LENGTH, kaldiFbank, NUM_MEL_BINS } from './kaldi-fbank';
import type { PcmSource } from './pcm';
import { makeResampler, resampledLength, resampleRange } from './resample';

export const TARGET_FRAMES = 204;
export const AUDIO_MEAN = -4.268;
export const AUDIO_STD = 9.138;

export interface AudioTensor {
  /** (3, 1, 128, 204) */
  data: Float32Array;
  dims: number[];
  info: { sourceRate: number; channels: number; sourceLength: number; length16k: number; slices: [number, number][]; fbankFrames: number[] };
}

interface Segment {
  start: number;
  end: number;
  channels: Float32Array[];
}

/** Merge overlapping clip slices so overlapping clips share one buffer, as the reference's views do. */
async function loadSegments(src: PcmSource, slices: [number, number][]): Promise<Segment[]> {
  const sorted = [...slices].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  const r = src.sampleRate === AUDIO_SAMPLE_RATE ? undefined : makeResampler(src.sampleRate, AUDIO_SAMPLE_RATE);
  return Promise.all(
    merged.map(async ([start, end]) => ({ start, end, channels: r ? await resampleRange(r, src, start, end) : await src.read(start, end - start) })),
  );
}

export async function audioToTensor(src: PcmSource): Promise<AudioTensor> {
  if (src.length === 0) throw new PandaError('MEDIA_EMPTY', 'The audio has no samples. Choose a recording that contains sound.');
  const n16 = src.sampleRate === AUDIO_SAMPLE_RATE ? src.length : resampledLength(makeResampler(src.sampleRate, AUDIO_SAMPLE_RATE), src.length);
  const slices = audioClipSlices(n16);
  const segments = await loadSegments(src, slices);
  const clipLen = NUM_MEL_BINS * TARGET_FRAMES;
  const data = new Float32Array(slices.length * clipLen);
  const fbankFrames: number[] = [];
  const mean = Math.fround(AUDIO_MEAN);
  const std = Math.fround(AUDIO_STD);
  slices.forEach(([a, b], ci) => {
    const seg = segments.find((s) => a >= s.start && b <= s.end)!;
    const views = seg.channels.map((c) => c.subarray(a - seg.start, b - seg.start));
    // waveform -= waveform.mean(): over all channels, in place on the shared buffer.
    let sum = 0;
    for (const v of views) for (let i = 0; i < v.length; i++) sum += v[i]!;
    const count = views.length * (b - a);
    const m = count > 0 ? Math.fround(sum / count) : 0;
    for (const v of views) for (let i = 0; i < v.length; i++) v[i] = v[i]! - m;
    // Kaldi needs one full frame; the reference would fail on shorter audio, we zero-pad instead.
    let ch0 = views[0]!;
    if (ch0.length < FRAME_LENGTH) {
      const padded = new Float32Array(FRAME_LENGTH);
      padded.set(ch0);
      ch0 = padded;
    }
    const fb = kaldiFbank(ch0);
    fbankFrames.push(fb.frames);
    const base = ci * clipLen;
    // (frames, 128) → (128, 204): transpose, zero-pad or crop the time axis, then normalise.
    for (let mel = 0; mel < NUM_MEL_BINS; mel++) {
      for (let t = 0; t < TARGET_FRAMES; t++) {
        const v = t < fb.frames ? fb.data[t * NUM_MEL_BINS + mel]! : 0;
        data[base + mel * TARGET_FRAMES + t] = Math.fround(Math.fround(v - mean) / std);
      }
    }
  });
  return {
    data,
    dims: [slices.length, 1, NUM_MEL_BINS, TARGET_FRAMES],
    info: { sourceRate: src.sampleRate, channels: src.channels, sourceLength: src.length, length16k: n16, slices, fbankFrames },
  };
}
