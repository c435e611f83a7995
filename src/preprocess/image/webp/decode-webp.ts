/**
 * WebP container (RIFF 'WEBP'): simple lossless ('VP8L'), simple lossy ('VP8 ') and extended
 * ('VP8X'). Lossless is decoded here; lossy and animated files need the injected platform decoder.
 */
import { checkImageSize, corrupt, unsupported } from '../../errors';
import type { DecodedImage } from '../types';
import { decodeVp8l } from './vp8l';

export type WebpKind = 'lossless' | 'lossy' | 'animated';

function chunks(b: Uint8Array): { id: string; data: Uint8Array }[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: { id: string; data: Uint8Array }[] = [];
  let p = 12;
  while (p + 8 <= b.length) {
    const id = String.fromCharCode(...b.subarray(p, p + 4));
    const size = dv.getUint32(p + 4, true);
    if (p + 8 + size > b.length) throw corrupt(`The WebP is truncated inside its ${id} chunk.`);
    out.push({ id, data: b.subarray(p + 8, p + 8 + size) });
    p += 8 + size + (size & 1);
  }
  return out;
}

export function webpKind(b: Uint8Array): WebpKind {
  const cs = chunks(b);
  if (cs.some((c) => c.id === 'ANIM' || c.id === 'ANMF')) return 'animated';
  if (cs.some((c) => c.id === 'VP8L')) return 'lossless';
  if (cs.some((c) => c.id === 'VP8 ')) return 'lossy';
  throw corrupt('The WebP has no image chunk.');
}

export function decodeWebpLossless(b: Uint8Array): DecodedImage {
  const c = chunks(b).find((x) => x.id === 'VP8L');
  if (!c) throw unsupported('Only lossless WebP is decoded without the browser.');
  if (c.data.length < 5) throw corrupt('The WebP lossless header is truncated.');
  // Size check before decoding: 14-bit fields after the signature byte.
  const w = (c.data[1]! | ((c.data[2]! & 0x3f) << 8)) + 1;
  const h = ((c.data[2]! >> 6) | (c.data[3]! << 2) | ((c.data[4]! & 0x0f) << 10)) + 1;
  checkImageSize(w, h, 'WebP');
  const { width, height, argb, hasAlpha } = decodeVp8l(c.data);
  const ch = hasAlpha ? 4 : 3;
  const out = new Uint8Array(width * height * ch);
  for (let i = 0; i < argb.length; i++) {
    const p = argb[i]!;
    out[i * ch] = (p >>> 16) & 0xff;
    out[i * ch + 1] = (p >>> 8) & 0xff;
    out[i * ch + 2] = p & 0xff;
    if (hasAlpha) out[i * ch + 3] = p >>> 24;
  }
  return { width, height, channels: ch, bitDepth: 8, data: out };
}
