/**
 * JPEG decoder (baseline + progressive, Huffman) that reproduces PIL/libjpeg-turbo's output bit
 * for bit: islow IDCT, fancy chroma upsampling, jdcolor's fixed-point YCbCr→RGB.
 * Not supported (MEDIA_UNSUPPORTED): arithmetic coding, lossless, 12-bit, CMYK/YCCK.
 */
import { corrupt, checkImageSize, unsupported } from '../../errors';
import type { DecodedImage } from '../types';
import { BitReader, buildHuffmanTable, type HuffmanTable } from './huffman';
import { layoutFrame, type JpegFrame, ZIGZAG } from './frame';
import { idctIslow } from './idct-islow';
import { decodeScan, type ScanComponent } from './scan';
import { upsample, yccToRgb } from './upsample-color';

export function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/** Decodes a whole JPEG to 8-bit L or RGB samples. */
export function decodeJpeg(bytes: Uint8Array): DecodedImage {
  if (!isJpeg(bytes)) throw corrupt('This is not a JPEG file (no SOI marker).');
  const quant: (Uint16Array | undefined)[] = [];
  const dcTables: (HuffmanTable | undefined)[] = [];
  const acTables: (HuffmanTable | undefined)[] = [];
  let frame: JpegFrame | undefined;
  let restartInterval = 0;
  let adobeTransform = -1;
  let sawEoi = false;
  let pos = 2;
  const u16 = (o: number): number => {
    if (o + 1 >= bytes.length) throw corrupt('The JPEG header is truncated.', { offset: o });
    return (bytes[o]! << 8) | bytes[o + 1]!;
  };

  while (pos < bytes.length) {
    // Find the next marker (libjpeg's next_marker skips garbage and fill bytes).
    while (pos < bytes.length && bytes[pos] !== 0xff) pos++;
    while (pos < bytes.length && bytes[pos] === 0xff) pos++;
    if (pos >= bytes.length) break;
    const marker = bytes[pos++]!;
    if (marker === 0xd9) {
      sawEoi = true;
      break;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    const len = u16(pos);
    const segEnd = pos + len;
    if (len < 2 || segEnd > bytes.length) throw corrupt('A JPEG marker segment runs past the end of the file.', { marker, offset: pos });
    let p = pos + 2;
    switch (marker) {
      case 0xdb: // DQT
        while (p < segEnd) {
          const pq = bytes[p]! >> 4;
          const tq = bytes[p]! & 15;
          p++;
          const t = new Uint16Array(64);
          for (let k = 0; k < 64; k++) {
            t[ZIGZAG[k]!] = pq ? u16(p + 2 * k) : bytes[p + k]!;
          }
          p += pq ? 128 : 64;
          quant[tq & 3] = t;
        }
        break;
      case 0xc4: // DHT
        while (p < segEnd) {
          const tc = bytes[p]! >> 4;
          const th = bytes[p]! & 15;
          const counts = bytes.slice(p + 1, p + 17);
          const n = counts.reduce((a, b) => a + b, 0);
          const values = bytes.slice(p + 17, p + 17 + n);
          if (counts.length < 16 || values.length < n) throw corrupt('A JPEG Huffman table is truncated.');
          (tc === 0 ? dcTables : acTables)[th & 3] = buildHuffmanTable(counts, values);
          p += 17 + n;
        }
        break;
      case 0xc0:
      case 0xc1:
      case 0xc2: {
        if (bytes[p] !== 8) throw unsupported(`This JPEG uses ${bytes[p]}-bit samples; only 8-bit JPEGs are supported.`);
        const height = u16(p + 1);
        const width = u16(p + 3);
        if (height === 0) throw unsupported('JPEGs with a DNL-defined height are not supported.');
        checkImageSize(width, height, 'JPEG');
        const nc = bytes[p + 5]!;
        const comps = [];
        for (let i = 0; i < nc; i++) {
          const o = p + 6 + 3 * i;
          comps.push({ id: bytes[o]!, h: bytes[o + 1]! >> 4, v: bytes[o + 1]! & 15, tq: bytes[o + 2]! });
        }
        if (nc !== 1 && nc !== 3) throw unsupported(`JPEGs with ${nc} colour components (CMYK/YCCK) are not supported.`);
        if (comps.some((c) => c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4)) throw corrupt('The JPEG has invalid sampling factors.');
        frame = layoutFrame(width, height, marker === 0xc2, comps);
        break;
      }
      case 0xdd:
        restartInterval = u16(p);
        break;
      case 0xee: // APP14 Adobe: transform flag decides YCbCr vs RGB.
        if (len >= 14 && String.fromCharCode(...bytes.subarray(p, p + 5)) === 'Adobe') adobeTransform = bytes[p + 11]!;
        break;
      case 0xda: {
        if (!frame) throw corrupt('The JPEG has image data before its frame header.');
        const ns = bytes[p]!;
        const scomps: ScanComponent[] = [];
        for (let i = 0; i < ns; i++) {
          const cid = bytes[p + 1 + 2 * i]!;
          const tables = bytes[p + 2 + 2 * i]!;
          const comp = frame.components.find((c) => c.id === cid);
          if (!comp) throw corrupt('A JPEG scan refers to an unknown component.');
          scomps.push({ comp, dc: dcTables[tables >> 4], ac: acTables[tables & 15] });
        }
        const q = p + 1 + 2 * ns;
        const params = { ss: bytes[q]!, se: bytes[q + 1]!, ah: bytes[q + 2]! >> 4, al: bytes[q + 2]! & 15, restartInterval };
        if (!frame.progressive) Object.assign(params, { ss: 0, se: 63, ah: 0, al: 0 });
        const reader = new BitReader(bytes, segEnd);
        decodeScan(frame, scomps, params, reader);
        pos = reader.pos;
        continue;
      }
      default:
        if (marker >= 0xc3 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
          throw unsupported('This JPEG uses arithmetic or lossless coding, which is not supported.', { marker });
        }
    }
    pos = segEnd;
  }
  if (!frame) throw corrupt('The JPEG has no frame header.');
  if (!sawEoi) throw corrupt('The JPEG file is truncated (no end-of-image marker).');
  return toPixels(frame, quant, adobeTransform);
}

function toPixels(frame: JpegFrame, quant: (Uint16Array | undefined)[], adobeTransform: number): DecodedImage {
  const { width, height } = frame;
  const ws = new Float64Array(64);
  const planes = frame.components.map((c) => {
    const q = quant[c.tq];
    if (!q) throw corrupt('The JPEG refers to a missing quantisation table.');
    const stride = c.blocksPerLine * 8;
    const data = new Uint8Array(stride * c.blocksPerColumn * 8);
    for (let by = 0; by < c.blocksH; by++) {
      for (let bx = 0; bx < c.blocksW; bx++) {
        idctIslow(c.coefs, (by * c.blocksPerLine + bx) * 64, q, ws, data, by * 8 * stride + bx * 8, stride);
      }
    }
    return upsample({ data, width: c.width, height: c.height, stride }, frame.hmax / c.h, frame.vmax / c.v, width, height);
  });
  if (planes.length === 1) return { width, height, channels: 1, bitDepth: 8, data: planes[0]! };
  const rgb = new Uint8Array(width * height * 3);
  const ids = frame.components.map((c) => c.id);
  const isRgb = adobeTransform === 0 || (adobeTransform < 0 && ids[0] === 0x52 && ids[1] === 0x47 && ids[2] === 0x42);
  if (isRgb) {
    for (let i = 0; i < width * height; i++) for (let k = 0; k < 3; k++) rgb[3 * i + k] = planes[k]![i]!;
  } else {
    yccToRgb(planes[0]!, planes[1]!, planes[2]!, rgb);
  }
  return { width, height, channels: 3, bitDepth: 8, data: rgb };
}
