/**
 * MP3 gapless info: the encoder delay and padding an encoder (LAME, ffmpeg's Lavc/Lavf) writes in
 * the Xing/Info frame. ffmpeg drops `delay + 529` samples at the start (the encoder delay plus the
 * MP3 decoder's own 529-sample delay) and keeps `frames × 1152 − delay − padding` samples; decoders
 * that ignore the tag (WebCodecs) return the delay and padding as audio.
 */
export interface Mp3Gapless {
  delay: number;
  padding: number;
}

/** The MP3 decoder's own delay, which ffmpeg adds to the encoder delay (528 + 1). */
export const MP3_DECODER_DELAY = 529;

function skipId3(b: Uint8Array): number {
  let o = 0;
  while (b.length >= o + 10 && b[o] === 0x49 && b[o + 1] === 0x44 && b[o + 2] === 0x33) {
    const size = ((b[o + 6]! & 0x7f) << 21) | ((b[o + 7]! & 0x7f) << 14) | ((b[o + 8]! & 0x7f) << 7) | (b[o + 9]! & 0x7f);
    o += 10 + size + (b[o + 5]! & 0x10 ? 10 : 0);
  }
  return o;
}

const tag = (b: Uint8Array, o: number): string => String.fromCharCode(...b.subarray(o, o + 4));

/** Reads the gapless info from the first frame (null when the file has no Xing/Info LAME tag). */
export function mp3Gapless(bytes: Uint8Array): Mp3Gapless | null {
  let o = skipId3(bytes);
  // The first frame sync within a few KiB after the tags.
  const end = Math.min(bytes.length - 4, o + 8192);
  while (o < end && !(bytes[o] === 0xff && (bytes[o + 1]! & 0xe0) === 0xe0)) o++;
  if (o >= end) return null;
  const version = (bytes[o + 1]! >> 3) & 3; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
  const layer = (bytes[o + 1]! >> 1) & 3; // 1 = Layer III
  if (layer !== 1 || version === 1) return null;
  const mono = bytes[o + 3]! >> 6 === 3;
  const side = version === 3 ? (mono ? 17 : 32) : mono ? 9 : 17;
  let p = o + 4 + side;
  const id = tag(bytes, p);
  if (id !== 'Xing' && id !== 'Info') return null;
  const flags = ((bytes[p + 4]! << 24) | (bytes[p + 5]! << 16) | (bytes[p + 6]! << 8) | bytes[p + 7]!) >>> 0;
  p += 8;
  if (flags & 1) p += 4; // frames
  if (flags & 2) p += 4; // bytes
  if (flags & 4) p += 100; // TOC
  if (flags & 8) p += 4; // quality
  if (p + 24 > bytes.length) return null;
  const enc = tag(bytes, p);
  if (enc !== 'LAME' && enc !== 'Lavf' && enc !== 'Lavc') return null;
  const d = p + 21;
  const delay = (bytes[d]! << 4) | (bytes[d + 1]! >> 4);
  const padding = ((bytes[d + 1]! & 0x0f) << 8) | bytes[d + 2]!;
  return { delay, padding };
}
