/**
 * Which frames ImageBind's video loader decodes (pytorchvideo EncodedVideoDecord +
 * ConstantClipsPerVideoSampler(2 s, 5) + UniformTemporalSubsample(2)), with the reference's float
 * arithmetic: duration = N / fps; start_k = Fraction(float(max(D − 2, 0)), 4)·k (exact);
 * frames ceil(float(start)·fps) … min(ceil(float(start + 2)·fps), N) − 1; first and last are kept.
 */
import { PandaError } from '../../core/errors';
import { addInt, fromDouble, scale, toDouble } from '../exact';

export const VIDEO_CLIPS = 5;
export const VIDEO_CLIP_DURATION = 2;
export const FRAMES_PER_CLIP = 2;

export interface VideoClipPlan {
  /** float(start), float(end) in seconds. */
  start: number;
  end: number;
  /** Decoded frame range [a, b) and the two sampled frame indices. */
  frameRange: [number, number];
  sampled: [number, number];
}

export interface VideoPlan {
  frameCount: number;
  fps: number;
  duration: number;
  clips: VideoClipPlan[];
  /** Distinct frame indices to decode, ascending: the order frames are handed back in. */
  frames: number[];
}

/** torch.linspace(0, T − 1, 2).long() → first and last. */
function uniformSubsample(a: number, b: number): [number, number] {
  return [a, b - 1];
}

export function planVideoFrames(frameCount: number, fps: number): VideoPlan {
  if (!(frameCount > 0)) throw new PandaError('MEDIA_NO_VIDEO_TRACK', 'The video has no frames. Choose a video file that plays.');
  if (!(fps > 0) || !Number.isFinite(fps)) throw new PandaError('MEDIA_CORRUPT', `The video reports an invalid frame rate (${fps}). Re-encode it (e.g. ffmpeg -i in.mp4 -r 30 out.mp4).`);
  const duration = frameCount / fps;
  const maxStart = fromDouble(Math.max(duration - VIDEO_CLIP_DURATION, 0));
  const clips: VideoClipPlan[] = [];
  for (let k = 0; k < VIDEO_CLIPS; k++) {
    const s = scale(maxStart, k, VIDEO_CLIPS - 1);
    const start = toDouble(s);
    const end = toDouble(addInt(s, VIDEO_CLIP_DURATION));
    const a = Math.ceil(fps * start);
    const b = Math.min(Math.ceil(fps * end), frameCount);
    if (b <= a) throw new PandaError('MEDIA_CORRUPT', `Clip ${k} of the video has no frames (frames ${a}..${b}); the frame count or rate is inconsistent.`, { k, a, b });
    clips.push({ start, end, frameRange: [a, b], sampled: uniformSubsample(a, b) });
  }
  const frames = [...new Set(clips.flatMap((c) => c.sampled))].sort((x, y) => x - y);
  return { frameCount, fps, duration, clips, frames };
}
