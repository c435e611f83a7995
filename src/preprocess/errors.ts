/** Small helpers so every media failure is a typed PandaError with an actionable message. */
import { PandaError } from '../core/errors';

export function corrupt(what: string, details: Record<string, unknown> = {}): PandaError {
  return new PandaError('MEDIA_CORRUPT', `${what} The file looks truncated or damaged; re-export it and try again.`, details);
}

export function unsupported(what: string, details: Record<string, unknown> = {}): PandaError {
  return new PandaError('MEDIA_UNSUPPORTED', `${what} Convert the file to PNG/JPEG (images), WAV (audio) or MP4 (video) and try again.`, details);
}

export function emptyMedia(fileName = 'file'): PandaError {
  return new PandaError('MEDIA_EMPTY', `The ${fileName} is empty (0 bytes). Choose a file that has content.`, { fileName });
}

/** Largest decoded image we accept (PIL's DecompressionBombError limit is 2 × 89,478,485 pixels). */
export const MAX_IMAGE_PIXELS = 89_478_485;

export function checkImageSize(width: number, height: number, format: string): void {
  if (width <= 0 || height <= 0) throw corrupt(`The ${format} header declares an empty image (${width}×${height}).`, { width, height });
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new PandaError(
      'MEDIA_TOO_LARGE',
      `The ${format} image claims ${width}×${height} pixels (more than ${MAX_IMAGE_PIXELS}); refusing to decode it. Downscale the image first.`,
      { width, height, limit: MAX_IMAGE_PIXELS },
    );
  }
}
