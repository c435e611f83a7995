/**
 * Public preprocessing API (pure TS: Node, workers, page). Each entry returns the
 * `PreprocessedInput` ImageBind's encoder takes for one item, clips leading:
 * image (1,3,224,224); thermal/depth (1,1,224,224); audio (3,1,128,204); video (15,3,2,224,224);
 * imu (1,6,2000).
 */
import type { PreprocessedInput } from '../core/encoders/types';
import { PandaError } from '../core/errors';
import type { Modality } from '../core/manifest';
import { audioToTensor } from './audio/audio-input';
import { memoryPcmSource, type PcmSource } from './audio/pcm';
import { parseWavHeader, wavPcmSource } from './audio/wav';
import { depthToTensor } from './depth';
import { decodeImage, type FallbackImageDecoder } from './image/decode-image';
import { imageToTensor, thermalToTensor } from './image/vision';
import { imuToTensor } from './imu';
import { bytesSource, type RandomAccessSource } from './random-access';
import { planVideoFrames, type VideoPlan } from './video/frame-plan';
import { videoFramesToTensor } from './video/video-tensor';

export { detectModality, type Detected, type MediaContainer } from './detect';
export { bytesSource, blobSource, type RandomAccessSource } from './random-access';
export { memoryPcmSource, type PcmSource } from './audio/pcm';
export { parseWavHeader, wavPcmSource, type WavInfo } from './audio/wav';
export { decodeImage, platformImageDecoder, sniffImageFormat, type FallbackImageDecoder, type ImageFormat } from './image/decode-image';
export type { DecodedImage } from './image/types';
export { planVideoFrames, type VideoPlan, type VideoClipPlan } from './video/frame-plan';
export { CLIP_MEAN, CLIP_STD } from './image/vision';

export interface ImageOptions {
  /** Decoder for formats without a pure-TS decoder (WebP): pass `platformImageDecoder` in browsers. */
  fallback?: FallbackImageDecoder;
}

const out = (modality: PreprocessedInput['modality'], t: { data: Float32Array; dims: number[] }, batchDims?: number[]): PreprocessedInput => ({
  modality,
  data: t.data,
  dims: batchDims ?? t.dims,
});

/** RGB image → (1,3,224,224), CLIP-normalised. */
export async function preprocessImage(bytes: Uint8Array, opts: ImageOptions = {}): Promise<PreprocessedInput> {
  const t = imageToTensor(await decodeImage(bytes, opts.fallback));
  return out('image', t, [1, ...t.dims]);
}

/** Thermal image → (1,1,224,224), luma /255, not normalised. */
export async function preprocessThermal(bytes: Uint8Array, opts: ImageOptions = {}): Promise<PreprocessedInput> {
  const t = thermalToTensor(await decodeImage(bytes, opts.fallback));
  return out('thermal', t, [1, ...t.dims]);
}

/** Depth map → (1,1,224,224) (rule in depth.md). */
export async function preprocessDepth(bytes: Uint8Array, opts: ImageOptions = {}): Promise<PreprocessedInput> {
  const t = depthToTensor(await decodeImage(bytes, opts.fallback));
  return out('depth', t, [1, ...t.dims]);
}

/** WAV through a random-access source (only the clip windows are read) → (3,1,128,204). */
export async function preprocessWav(src: RandomAccessSource): Promise<PreprocessedInput> {
  const info = await parseWavHeader(src);
  return out('audio', await audioToTensor(wavPcmSource(src, info)));
}

/** Decoded PCM (browser decodeAudioData, ffmpeg): one Float32Array per channel → (3,1,128,204). */
export async function preprocessPcm(channels: Float32Array[], sampleRate: number): Promise<PreprocessedInput> {
  return out('audio', await audioToTensor(memoryPcmSource(channels, sampleRate)));
}

/** Any PcmSource → (3,1,128,204). */
export async function preprocessPcmSource(src: PcmSource): Promise<PreprocessedInput> {
  return out('audio', await audioToTensor(src));
}

/** Which frames to decode for a video with `frameCount` frames (packets) at `fps` (avg rate). */
export function planVideo(frameCount: number, fps: number): VideoPlan {
  return planVideoFrames(frameCount, fps);
}

/** RGB24 frames for `plan.frames` (same order), each (height, width, 3) → (15,3,2,224,224). */
export function preprocessVideoFrames(plan: VideoPlan, frames: Uint8Array[], width: number, height: number): PreprocessedInput {
  return out('video', videoFramesToTensor(plan, frames, width, height));
}

/** IMU CSV/JSON/.npy → (1,6,2000) (rule in imu.md). */
export function preprocessImu(bytes: Uint8Array): PreprocessedInput {
  return out('imu', imuToTensor(bytes));
}

/**
 * Whole-file bytes for the modalities decoded in pure TS (image, thermal, depth, WAV audio, IMU).
 * Video and compressed audio need a platform decoder first (`preprocessVideoFrames`, `preprocessPcm`).
 */
export async function preprocessBytes(modality: Modality, bytes: Uint8Array, opts: ImageOptions = {}): Promise<PreprocessedInput> {
  switch (modality) {
    case 'image':
      return preprocessImage(bytes, opts);
    case 'thermal':
      return preprocessThermal(bytes, opts);
    case 'depth':
      return preprocessDepth(bytes, opts);
    case 'audio':
      return preprocessWav(bytesSource(bytes));
    case 'imu':
      return preprocessImu(bytes);
    case 'video':
      throw new PandaError('MEDIA_UNSUPPORTED', 'Video must be decoded to frames first: call planVideo, decode plan.frames, then preprocessVideoFrames.');
  }
}
