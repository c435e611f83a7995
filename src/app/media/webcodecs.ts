/**
 * Frame-exact media decoding with WebCodecs (demuxing by mediabunny): the page reads exactly the
 * frames and samples Node's ffmpeg path reads, independent of playback timing.
 *
 * - Video: the frame count is the number of video packets (ffprobe's `nb_read_packets`, decord's
 *   frame count), the frame rate is count / summed packet durations (ffmpeg's `avg_frame_rate` for
 *   MP4), and frame i is the i-th frame in presentation order (ffmpeg's `select=eq(n,i)`). Rotation
 *   metadata is ignored, as decord and `ffmpeg -noautorotate` do.
 * - Audio: decoded at the file's own sample rate (no browser resampling; our torchaudio resampler
 *   runs in the worker, as in Node), priming samples before time 0 dropped (as ffmpeg does).
 *
 * Each returns null when WebCodecs or the codec is not available, so the caller can fall back to
 * the browser's media element path.
 */
import { ALL_FORMATS, AudioSampleSink, BlobSource, EncodedPacketSink, Input, VideoSampleSink } from 'mediabunny';
import { PandaError } from '../../core/errors';
import { planVideoFrames } from '../../preprocess/video/frame-plan';
import { matroskaFrameRate, snapFrameRate } from '../../preprocess/video/frame-rate';
import { matrixOf, yuvToRgba } from '../../preprocess/video/yuv';
import { MP3_DECODER_DELAY, mp3Gapless } from '../../preprocess/audio/mp3-gapless';
import { webmDiscardPadding } from '../../preprocess/audio/webm-discard';
import type { Pcm } from './decode-audio';

export interface DecodedVideo {
  frameCount: number;
  fps: number;
  width: number;
  height: number;
  /** RGBA frames for `planVideoFrames(frameCount, fps).frames`, in that order. */
  frames: Uint8Array[];
  /** The first frame, small, as a JPEG data URL. */
  poster: string;
}

const corrupt = (fileName: string, what: string): PandaError =>
  new PandaError('MEDIA_CORRUPT', `"${fileName}" could not be read as ${what}. The file may be damaged or use an unsupported codec.`, { fileName });

export function hasWebCodecs(kind: 'video' | 'audio'): boolean {
  return kind === 'video' ? typeof VideoDecoder !== 'undefined' && typeof OffscreenCanvas !== 'undefined' : typeof AudioDecoder !== 'undefined';
}

async function isMatroska(blob: Blob): Promise<boolean> {
  const h = new Uint8Array(await blob.slice(0, 4).arrayBuffer());
  return h[0] === 0x1a && h[1] === 0x45 && h[2] === 0xdf && h[3] === 0xa3;
}

function openInput(blob: Blob): Input {
  return new Input({ formats: ALL_FORMATS, source: new BlobSource(blob) });
}

/** `undefined` when mediabunny cannot read the container at all (the media element may). */
const readable = <T>(p: Promise<T>): Promise<T | undefined> => p.catch(() => undefined);

/** Packet presentation timestamps (s), ascending, and the summed packet durations (s). */
async function packetTimes(sink: EncodedPacketSink): Promise<{ times: number[]; duration: number }> {
  const times: number[] = [];
  let duration = 0;
  for await (const p of sink.packets(undefined, undefined, { metadataOnly: true })) {
    times.push(p.timestamp);
    duration += p.duration;
  }
  times.sort((a, b) => a - b);
  return { times, duration };
}

/**
 * Which tracks a container file has (null when mediabunny cannot read it). A WebM or MP4 can hold
 * only audio (a voice memo, a microphone recording): its first bytes and name cannot tell.
 */
export async function containerTracks(blob: Blob): Promise<{ video: boolean; audio: boolean } | null> {
  const input = openInput(blob);
  try {
    const [video, audio] = await Promise.all([input.getPrimaryVideoTrack(), input.getPrimaryAudioTrack()]);
    return { video: video !== null, audio: audio !== null };
  } catch {
    return null;
  } finally {
    input.dispose();
  }
}

export async function decodeVideoWebCodecs(blob: Blob, fileName: string): Promise<DecodedVideo | null> {
  if (!hasWebCodecs('video')) return null;
  const input = openInput(blob);
  try {
    const track = await readable(input.getPrimaryVideoTrack());
    if (track === undefined) return null; // a container mediabunny does not read: the media element may
    if (!track) {
      if ((await input.getPrimaryAudioTrack().catch(() => null)) !== null) throw new PandaError('MEDIA_NO_VIDEO_TRACK', `"${fileName}" has no video track. Attach it as audio instead, or choose a file with video.`, { fileName });
      return null;
    }
    if (!(await track.canDecode())) return null;
    const { times, duration } = await packetTimes(new EncodedPacketSink(track));
    if (times.length === 0) throw new PandaError('MEDIA_NO_VIDEO_TRACK', `"${fileName}" has no video frames.`, { fileName });
    // MP4: count / summed durations (exact rationals, up to float noise); Matroska: as ffmpeg estimates it.
    const fps = (await isMatroska(blob)) ? matroskaFrameRate(times) : duration > 0 ? snapFrameRate(times.length / duration) : matroskaFrameRate(times);
    const plan = planVideoFrames(times.length, fps);
    // The stream's own colour description: a decoded VideoFrame reports BT.709 even when the stream
    // says nothing, where ffmpeg (and so decord and Node) assume BT.601.
    const space = await track.getColorSpace();
    const sink = new VideoSampleSink(track);
    const want = plan.frames.map((i) => times[i]!);
    const frames: Uint8Array[] = [];
    let width = 0;
    let height = 0;
    let ctx: OffscreenCanvasRenderingContext2D | null = null;
    let poster = '';
    let k = 0;
    for await (const sample of sink.samplesAtTimestamps(want)) {
      if (!sample) throw corrupt(fileName, 'a video');
      try {
        const vf = sample.toVideoFrame();
        try {
          const w = vf.visibleRect?.width ?? vf.codedWidth;
          const h = vf.visibleRect?.height ?? vf.codedHeight;
          if (!ctx) {
            width = w;
            height = h;
            ctx = new OffscreenCanvas(w, h).getContext('2d', { willReadFrequently: true });
            if (!ctx) throw corrupt(fileName, 'a video');
          }
          if (w !== width || h !== height) throw new PandaError('MEDIA_CORRUPT', `"${fileName}" changes its frame size (${width}×${height} → ${w}×${h}); re-encode it at one size.`, { fileName });
          const rgba = (await rgbaOf(vf, w, h, space)) ?? drawn(ctx, vf, w, h);
          frames.push(rgba);
          if (k === 0) {
            ctx.putImageData(new ImageData(new Uint8ClampedArray(rgba), w, h), 0, 0);
            poster = posterOf(ctx.canvas);
          }
        } finally {
          vf.close();
        }
      } finally {
        sample.close();
      }
      k++;
    }
    if (frames.length !== plan.frames.length) throw corrupt(fileName, 'a video');
    return { frameCount: times.length, fps, width, height, frames, poster };
  } catch (e) {
    if (e instanceof PandaError) throw e;
    throw corrupt(fileName, 'a video');
  } finally {
    input.dispose();
  }
}

/** The browser's own conversion (formats we do not convert: RGB frames, 10-bit). */
function drawn(ctx: OffscreenCanvasRenderingContext2D, vf: VideoFrame, w: number, h: number): Uint8Array {
  ctx.drawImage(vf, 0, 0, w, h);
  const d = ctx.getImageData(0, 0, w, h).data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

const SUBSAMPLING: Partial<Record<VideoPixelFormat, [number, number]>> = { I420: [1, 1], I420A: [1, 1], NV12: [1, 1], I422: [1, 0], I444: [0, 0] };

/** 8-bit YUV frames converted as ffmpeg does (see yuv.ts); null for other formats. */
async function rgbaOf(vf: VideoFrame, width: number, height: number, space: VideoColorSpaceInit): Promise<Uint8Array | null> {
  const sub = vf.format ? SUBSAMPLING[vf.format] : undefined;
  if (!sub) return null;
  const buf = new Uint8Array(vf.allocationSize());
  const layout = await vf.copyTo(buf);
  const plane = (i: number): Uint8Array => buf.subarray(layout[i]!.offset);
  const nv12 = vf.format === 'NV12';
  return yuvToRgba({
    width,
    height,
    y: plane(0),
    yStride: layout[0]!.stride,
    u: plane(1),
    v: nv12 ? null : plane(2),
    uvStride: layout[1]!.stride,
    shiftX: sub[0],
    shiftY: sub[1],
    matrix: matrixOf(space.matrix),
    fullRange: space.fullRange === true,
  });
}

function posterOf(src: OffscreenCanvas, maxSide = 160): string {
  if (typeof document === 'undefined') return '';
  const s = Math.min(1, maxSide / Math.max(src.width, src.height));
  const c = document.createElement('canvas');
  c.width = Math.max(1, Math.round(src.width * s));
  c.height = Math.max(1, Math.round(src.height * s));
  c.getContext('2d')!.drawImage(src, 0, 0, c.width, c.height);
  return c.toDataURL('image/jpeg', 0.7);
}

export async function decodeAudioWebCodecs(blob: Blob, fileName: string): Promise<Pcm | null> {
  if (!hasWebCodecs('audio')) return null;
  const input = openInput(blob);
  try {
    const track = await readable(input.getPrimaryAudioTrack());
    if (!track || !(await track.canDecode())) return null;
    const rate = track.sampleRate;
    const nch = track.numberOfChannels;
    const parts: Float32Array[][] = Array.from({ length: nch }, () => []);
    let total = 0;
    for await (const s of new AudioSampleSink(track).samples()) {
      try {
        // Priming samples (negative timestamps: AAC/Opus encoder delay) are not audio: ffmpeg drops them.
        const skip = s.timestamp < 0 ? Math.min(s.numberOfFrames, Math.round(-s.timestamp * s.sampleRate)) : 0;
        const n = s.numberOfFrames - skip;
        if (n <= 0) continue;
        for (let c = 0; c < nch; c++) {
          const plane = new Float32Array(s.numberOfFrames);
          s.copyTo(plane, { planeIndex: Math.min(c, s.numberOfChannels - 1), format: 'f32-planar' });
          parts[c]!.push(plane.subarray(skip));
        }
        total += n;
      } finally {
        s.close();
      }
    }
    // What ffmpeg keeps: MP3 without its gapless delay and padding (the LAME tag); Opus/Vorbis
    // without the end padding the container declares.
    let start = 0;
    let keep = total;
    if (track.codec === 'mp3') {
      const g = mp3Gapless(new Uint8Array(await blob.slice(0, 64 * 1024).arrayBuffer()));
      if (g) {
        start = Math.min(total, g.delay + MP3_DECODER_DELAY);
        keep = Math.max(0, total - g.delay - g.padding);
      }
    } else if (track.codec === 'opus' || track.codec === 'vorbis') {
      if (await isMatroska(blob)) {
        // WebM: the last block's DiscardPadding (its timestamps are only to the millisecond).
        const pad = webmDiscardPadding(new Uint8Array(await blob.arrayBuffer()));
        const ns = pad.get(Number(track.id)) ?? (pad.size === 1 ? [...pad.values()][0]! : 0);
        keep = total - Math.max(0, Math.round((ns * rate) / 1e9));
      } else {
        // Ogg: up to the last page's granule position.
        const end = Math.round((await track.computeDuration()) * rate);
        if (end > 0) keep = Math.min(total, end);
      }
    }
    keep = Math.min(keep, total - start);
    if (keep <= 0) throw new PandaError('MEDIA_EMPTY', `"${fileName}" contains no audio samples.`, { fileName });
    const channels = parts.map((list) => {
      const out = new Float32Array(keep);
      let o = -start;
      for (const p of list) {
        const from = Math.max(0, -o);
        const to = Math.min(p.length, keep - o);
        if (to > from) out.set(p.subarray(from, to), o + from);
        o += p.length;
      }
      return out;
    });
    return { channels, sampleRate: rate };
  } catch (e) {
    if (e instanceof PandaError) throw e;
    throw corrupt(fileName, 'audio');
  } finally {
    input.dispose();
  }
}
