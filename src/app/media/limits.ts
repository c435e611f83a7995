/**
 * Size limits checked before a file is read (a multi-GB file is refused without touching its
 * bytes). Video is read through the browser's decoder by seeking, so it may be larger.
 */
import { PandaError } from '../../core/errors';
import type { Modality } from '../../core/manifest';

const MB = 1024 * 1024;
export const MAX_BYTES: Record<Modality, number> = {
  image: 64 * MB,
  thermal: 64 * MB,
  depth: 64 * MB,
  audio: 256 * MB,
  imu: 64 * MB,
  video: 2048 * MB,
};

export function checkSize(size: number, modality: Modality | null, fileName: string): void {
  if (size === 0) throw new PandaError('MEDIA_EMPTY', `"${fileName}" is empty (0 bytes). Choose another file.`, { fileName });
  const max = modality ? MAX_BYTES[modality] : Math.max(...Object.values(MAX_BYTES));
  if (size > max) {
    throw new PandaError('MEDIA_TOO_LARGE', `"${fileName}" is ${(size / MB).toFixed(0)} MB; ${modality ?? 'media'} files up to ${max / MB} MB are supported. Use a smaller or shorter file.`, { fileName, size, max });
  }
}
