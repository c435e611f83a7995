/**
 * Compressed audio (mp3, ogg, webm, m4a) is decoded by the browser on the main thread:
 * AudioContext does not exist in workers. `decodeAudioData` runs off the main thread inside the
 * browser; we only copy the channels out and transfer them to the encoder worker.
 */
import { PandaError } from '../../core/errors';

export interface Pcm {
  channels: Float32Array[];
  sampleRate: number;
}

export async function decodeAudio(bytes: ArrayBuffer, fileName: string): Promise<Pcm> {
  // An OfflineAudioContext keeps the file's own sample rate for the output buffer it decodes into
  // only if we match it; 48 kHz is a common native rate and the encoder resamples to 16 kHz anyway.
  const ctx = new OfflineAudioContext(1, 1, 48000);
  let buf: AudioBuffer;
  try {
    buf = await ctx.decodeAudioData(bytes);
  } catch {
    throw new PandaError('MEDIA_CORRUPT', `"${fileName}" could not be decoded as audio. The file may be damaged or in a format this browser cannot play.`, { fileName });
  }
  if (buf.length === 0) throw new PandaError('MEDIA_EMPTY', `"${fileName}" contains no audio samples.`, { fileName });
  const channels: Float32Array[] = [];
  for (let c = 0; c < buf.numberOfChannels; c++) channels.push(buf.getChannelData(c).slice());
  return { channels, sampleRate: buf.sampleRate };
}

/** Peak envelope for the waveform preview (max |x| per bucket, first channel). */
export function peaks(samples: Float32Array, buckets = 64): number[] {
  const out: number[] = [];
  const step = Math.max(1, Math.floor(samples.length / buckets));
  for (let b = 0; b < buckets; b++) {
    let m = 0;
    const end = Math.min(samples.length, (b + 1) * step);
    for (let i = b * step; i < end; i++) m = Math.max(m, Math.abs(samples[i]!));
    out.push(Math.round(m * 1000) / 1000);
  }
  return out;
}
