/** Which modality (and container) a file is: magic bytes first, then MIME, then the file name. */
import { PandaError } from '../core/errors';
import type { Modality } from '../core/manifest';
import { emptyMedia, unsupported } from './errors';
import { sniffImageFormat } from './image/decode-image';
import { isNpy } from './npy';
import { isWav } from './audio/wav';

export type MediaContainer = 'jpeg' | 'png' | 'bmp' | 'gif' | 'webp' | 'wav' | 'compressed-audio' | 'video' | 'csv' | 'json' | 'npy';

export interface Detected {
  modality: Modality;
  container: MediaContainer;
}

const ext = (name: string): string => /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';
const ascii = (b: Uint8Array, o: number, n: number): string => String.fromCharCode(...b.subarray(o, o + n));

const AUDIO_EXT = ['mp3', 'ogg', 'oga', 'opus', 'flac', 'm4a', 'aac', 'weba', 'wma'];
const VIDEO_EXT = ['mp4', 'm4v', 'mov', 'webm', 'mkv', 'avi', 'mpg', 'mpeg', 'ogv', '3gp'];

/**
 * Image files are `image` unless the name or MIME says thermal/depth (e.g. "thermal_01.jpg",
 * "scene_depth.png"); 16-bit grayscale PNGs are depth. A `.wav` that is not RIFF/WAVE is corrupt,
 * not unknown.
 */
export function detectModality(bytes: Uint8Array, fileName: string, mime = ''): Detected {
  if (bytes.length === 0) throw emptyMedia(fileName || 'file');
  const e = ext(fileName);
  const lname = fileName.toLowerCase();
  const img = sniffImageFormat(bytes);
  if (img) {
    let modality: Modality = 'image';
    if (/thermal|infrared|\bir\b|flir/.test(lname)) modality = 'thermal';
    else if (/depth|disparity/.test(lname)) modality = 'depth';
    else if (img === 'png' && bytes.length >= 26 && bytes[24] === 16 && bytes[25] === 0) modality = 'depth';
    return { modality, container: img };
  }
  if (isWav(bytes)) return { modality: 'audio', container: 'wav' };
  if (isNpy(bytes)) return { modality: 'imu', container: 'npy' };
  // ISO BMFF (mp4/mov/m4a), Matroska/WebM, AVI, Ogg, MP3, FLAC.
  const brand = bytes.length >= 12 && ascii(bytes, 4, 4) === 'ftyp' ? ascii(bytes, 8, 4) : '';
  if (brand) return /^(M4A |M4B |F4A )$/.test(brand) || mime.startsWith('audio/') || AUDIO_EXT.includes(e) ? { modality: 'audio', container: 'compressed-audio' } : { modality: 'video', container: 'video' };
  if (bytes.length >= 4 && bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) {
    return mime.startsWith('audio/') || AUDIO_EXT.includes(e) ? { modality: 'audio', container: 'compressed-audio' } : { modality: 'video', container: 'video' };
  }
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'AVI ') return { modality: 'video', container: 'video' };
  if (ascii(bytes, 0, 4) === 'OggS') return VIDEO_EXT.includes(e) || mime.startsWith('video/') ? { modality: 'video', container: 'video' } : { modality: 'audio', container: 'compressed-audio' };
  if (ascii(bytes, 0, 3) === 'ID3' || ascii(bytes, 0, 4) === 'fLaC' || (bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0)) return { modality: 'audio', container: 'compressed-audio' };
  if (e === 'wav' || mime === 'audio/wav' || mime === 'audio/x-wav') throw new PandaError('MEDIA_CORRUPT', `${fileName} is named like a WAV file but is not one (no RIFF/WAVE header). Re-export it as WAV.`, { fileName });
  if (['csv', 'tsv', 'txt', 'json'].includes(e) || mime === 'text/csv' || mime === 'application/json') return { modality: 'imu', container: e === 'json' || mime === 'application/json' ? 'json' : 'csv' };
  if (AUDIO_EXT.includes(e) || mime.startsWith('audio/')) return { modality: 'audio', container: 'compressed-audio' };
  if (VIDEO_EXT.includes(e) || mime.startsWith('video/')) return { modality: 'video', container: 'video' };
  throw unsupported(`Cannot tell what kind of media ${fileName || 'this file'} is.`, { fileName, mime });
}
