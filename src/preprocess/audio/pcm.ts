/** PCM audio that can be read by frame range (a WAV file on disk, or decoded PCM in memory). */
export interface PcmSource {
  sampleRate: number;
  channels: number;
  /** Frames per channel. */
  length: number;
  /** Frames [start, start+count) clipped to [0, length): one Float32Array per channel. */
  read: (start: number, count: number) => Promise<Float32Array[]>;
}

/** In-memory PCM (e.g. from AudioContext.decodeAudioData or ffmpeg). */
export function memoryPcmSource(channels: Float32Array[], sampleRate: number): PcmSource {
  const length = channels[0]?.length ?? 0;
  return {
    sampleRate,
    channels: channels.length,
    length,
    read: async (start, count) => {
      const s = Math.max(0, Math.min(start, length));
      const e = Math.max(s, Math.min(start + count, length));
      return channels.map((c) => c.slice(s, e));
    },
  };
}
