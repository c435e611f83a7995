/**
 * Image decoding by content (magic bytes), pure TS. Formats we cannot decode in TS (lossy or
 * animated WebP) go to an injected fallback (the page/worker passes `platformImageDecoder`); without one
 * they are MEDIA_UNSUPPORTED.
 */
import { emptyMedia, unsupported } from '../errors';
import { decodeBmp, isBmp } from './bmp';
import { decodeGif, isGif } from './gif';
import { decodeJpeg, isJpeg } from './jpeg/decode-jpeg';
import { decodePng, isPng } from './png';
import type { DecodedImage } from './types';
import { decodeWebpLossless, webpKind } from './webp/decode-webp';

export type ImageFormat = 'jpeg' | 'png' | 'bmp' | 'gif' | 'webp';

/** Decoder for formats the pure-TS path lacks; gets the bytes and a MIME type. */
export type FallbackImageDecoder = (bytes: Uint8Array, mime: string) => Promise<DecodedImage>;

export function sniffImageFormat(b: Uint8Array): ImageFormat | undefined {
  if (isJpeg(b)) return 'jpeg';
  if (isPng(b)) return 'png';
  if (isGif(b)) return 'gif';
  if (isBmp(b)) return 'bmp';
  if (b.length >= 12 && String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP') return 'webp';
  return undefined;
}

export async function decodeImage(bytes: Uint8Array, fallback?: FallbackImageDecoder): Promise<DecodedImage> {
  if (bytes.length === 0) throw emptyMedia('image file');
  const fmt = sniffImageFormat(bytes);
  switch (fmt) {
    case 'jpeg':
      return decodeJpeg(bytes);
    case 'png':
      return decodePng(bytes);
    case 'gif':
      return decodeGif(bytes);
    case 'bmp':
      return decodeBmp(bytes);
    case 'webp': {
      const kind = webpKind(bytes);
      if (kind === 'lossless') return decodeWebpLossless(bytes);
      if (fallback) return fallback(bytes, 'image/webp');
      throw unsupported(`${kind === 'lossy' ? 'Lossy' : 'Animated'} WebP images are decoded by the browser only; in Node convert it first (e.g. \`ffmpeg -i in.webp out.png\`).`);
    }
    default:
      throw unsupported('This file is not a JPEG, PNG, GIF, BMP or WebP image.');
  }
}

/**
 * Browser/worker decoder (createImageBitmap + OffscreenCanvas), for WebP and other formats the
 * browser knows. Not bit-exact with PIL (no colour management control), hence only a fallback.
 */
export const platformImageDecoder: FallbackImageDecoder = async (bytes, mime) => {
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') {
    throw unsupported(`This runtime cannot decode ${mime}.`);
  }
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw unsupported(`The browser could not decode this ${mime} image.`);
  }
  const canvas = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw unsupported('No 2D canvas is available to decode the image.');
  ctx.drawImage(bmp, 0, 0);
  const { data } = ctx.getImageData(0, 0, bmp.width, bmp.height);
  bmp.close();
  return { width: canvas.width, height: canvas.height, channels: 4, bitDepth: 8, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
};
