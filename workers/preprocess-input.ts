/**
 * Worker side of ingestion: bytes or browser-decoded samples → the encoder's `PreprocessedInput`
 * with the project's pure-TS preprocessing (src/preprocess). Runs in the encoder worker so the
 * page never blocks on decoding, resampling or fbank.
 */
import type { PreprocessedInput } from '../src/core/encoders/types';
import { PandaError, throwIfAborted } from '../src/core/errors';
import {
  bytesSource,
  planVideo,
  platformImageDecoder,
  preprocessDepth,
  preprocessImage,
  preprocessImu,
  preprocessPcm,
  preprocessThermal,
  preprocessVideoFrames,
  preprocessWav,
} from '../src/preprocess';
import type { EncoderInput } from './encoder-input';

/** WebP and other formats without a pure-TS decoder use the worker's createImageBitmap. */
const imageOpts = { fallback: platformImageDecoder };

/** Canvas frames are RGBA; the video transform takes RGB24 (done here, off the main thread). */
export function rgbaToRgb(rgba: Uint8Array): Uint8Array {
  const rgb = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i]!;
    rgb[j + 1] = rgba[i + 1]!;
    rgb[j + 2] = rgba[i + 2]!;
  }
  return rgb;
}

export async function toModelInput(input: EncoderInput, signal?: AbortSignal): Promise<PreprocessedInput> {
  throwIfAborted(signal);
  switch (input.kind) {
    case 'tensor':
      return input.input;
    case 'pcm':
      return preprocessPcm(input.channels, input.sampleRate);
    case 'frames':
      return preprocessVideoFrames(planVideo(input.frameCount, input.fps), input.frames.map(rgbaToRgb), input.width, input.height);
    case 'bytes': {
      const { bytes, modality } = input;
      switch (modality) {
        case 'image':
          return preprocessImage(bytes, imageOpts);
        case 'thermal':
          return preprocessThermal(bytes, imageOpts);
        case 'depth':
          return preprocessDepth(bytes, imageOpts);
        case 'imu':
          return preprocessImu(bytes);
        case 'audio':
          return preprocessWav(bytesSource(bytes));
        case 'video':
          throw new PandaError('INTERNAL', 'Video must arrive as decoded frames (the page decodes them).');
      }
    }
  }
}
