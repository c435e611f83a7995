/**
 * What the page sends the encoder worker for one attachment. Formats the worker can decode in
 * pure TS arrive as their bytes; what only the browser's media stack can decode (compressed
 * audio, video frames) arrives already decoded by the page, and only the samples or frames that
 * preprocessing asked for.
 */
import type { PreprocessedInput } from '../src/core/encoders/types';
import type { Modality } from '../src/core/manifest';

export type EncoderInput =
  /** image / thermal / depth (JPEG, PNG), audio (WAV), IMU (CSV). */
  | { kind: 'bytes'; modality: Modality; bytes: Uint8Array; fileName: string; mime: string }
  /** Audio decoded by the page (mp3, ogg, webm, m4a): one Float32Array per channel. */
  | { kind: 'pcm'; modality: 'audio'; channels: Float32Array[]; sampleRate: number; fileName: string }
  /** Video: RGBA frames (canvas ImageData) `planVideoFrames(frameCount, fps).frames` asked for, in that order. */
  | { kind: 'frames'; modality: 'video'; frameCount: number; fps: number; frames: Uint8Array[]; width: number; height: number; fileName: string }
  /** Already a model input (tests, tools). */
  | { kind: 'tensor'; input: PreprocessedInput };
