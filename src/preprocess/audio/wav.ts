/**
 * WAV (RIFF/WAVE) header parsing and ranged PCM reads. Samples become float32 the way
 * torchaudio.load(normalize=True) does: intN / 2^(N−1), uint8 (x − 128) / 128, floats as stored.
 */
import { corrupt, emptyMedia, unsupported } from '../errors';
import type { RandomAccessSource } from '../random-access';
import type { PcmSource } from './pcm';

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  float: boolean;
  /** Byte offset of the first sample and bytes per frame. */
  dataOffset: number;
  blockAlign: number;
  /** Frames (samples per channel). */
  length: number;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

const tag = (b: Uint8Array, o: number): string => String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!);

export function isWav(b: Uint8Array): boolean {
  return b.length >= 12 && tag(b, 0) === 'RIFF' && tag(b, 8) === 'WAVE';
}

/** Walks the chunk list (reading only chunk headers and 'fmt ') until the 'data' chunk. */
export async function parseWavHeader(src: RandomAccessSource): Promise<WavInfo> {
  if (src.size === 0) throw emptyMedia('audio file');
  const head = await src.read(0, 12);
  if (!isWav(head)) throw corrupt('This is not a WAV file (no RIFF/WAVE header).');
  let pos = 12;
  let fmt: Omit<WavInfo, 'dataOffset' | 'length'> | undefined;
  while (pos + 8 <= src.size) {
    const ch = await src.read(pos, 8);
    if (ch.length < 8) break;
    const id = tag(ch, 0);
    const size = new DataView(ch.buffer, ch.byteOffset, 8).getUint32(4, true);
    const body = pos + 8;
    if (id === 'fmt ') {
      const f = await src.read(body, Math.min(size, 40));
      if (f.length < 16) throw corrupt('The WAV format chunk is truncated.');
      const dv = new DataView(f.buffer, f.byteOffset, f.length);
      let format = dv.getUint16(0, true);
      const channels = dv.getUint16(2, true);
      const sampleRate = dv.getUint32(4, true);
      const blockAlign = dv.getUint16(12, true);
      const bitsPerSample = dv.getUint16(14, true);
      if (format === WAVE_FORMAT_EXTENSIBLE) {
        if (f.length < 26) throw corrupt('The WAV extensible format chunk is truncated.');
        format = dv.getUint16(24, true); // first two bytes of the SubFormat GUID
      }
      const isFloat = format === WAVE_FORMAT_IEEE_FLOAT;
      if (format !== WAVE_FORMAT_PCM && !isFloat) throw unsupported(`This WAV uses compressed format 0x${format.toString(16)}.`, { format });
      const okBits = isFloat ? [32, 64] : [8, 16, 24, 32];
      if (!okBits.includes(bitsPerSample)) throw unsupported(`This WAV has ${bitsPerSample}-bit ${isFloat ? 'float' : 'integer'} samples.`);
      if (channels < 1 || sampleRate < 1 || blockAlign < (channels * bitsPerSample) / 8) throw corrupt('The WAV format chunk has impossible values.', { channels, sampleRate, blockAlign });
      fmt = { sampleRate, channels, bitsPerSample, float: isFloat, blockAlign };
    } else if (id === 'data') {
      if (!fmt) throw corrupt('The WAV data chunk comes before its format chunk.');
      // Streamed WAVs often leave size 0 or 0xFFFFFFFF: trust the file length instead.
      const avail = src.size - body;
      const bytes = size === 0 || size === 0xffffffff || size > avail ? avail : size;
      return { ...fmt, dataOffset: body, length: Math.floor(bytes / fmt.blockAlign) };
    }
    pos = body + size + (size & 1);
  }
  throw corrupt(fmt ? 'The WAV file has no data chunk.' : 'The WAV file has no format chunk.');
}

/** A PcmSource over a WAV file that decodes only requested frame ranges. */
export function wavPcmSource(src: RandomAccessSource, info: WavInfo): PcmSource {
  return {
    sampleRate: info.sampleRate,
    channels: info.channels,
    length: info.length,
    async read(start, count) {
      const s = Math.max(0, Math.min(start, info.length));
      const e = Math.max(s, Math.min(start + count, info.length));
      const bytes = await src.read(info.dataOffset + s * info.blockAlign, (e - s) * info.blockAlign);
      if (bytes.length < (e - s) * info.blockAlign) throw corrupt('The WAV data ends early.');
      return decodeFrames(bytes, info, e - s);
    },
  };
}

function decodeFrames(b: Uint8Array, info: WavInfo, n: number): Float32Array[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const bps = info.bitsPerSample / 8;
  const out = Array.from({ length: info.channels }, () => new Float32Array(n));
  for (let c = 0; c < info.channels; c++) {
    const o = out[c]!;
    for (let i = 0; i < n; i++) {
      const p = i * info.blockAlign + c * bps;
      let v: number;
      if (info.float) v = bps === 4 ? dv.getFloat32(p, true) : dv.getFloat64(p, true);
      else if (bps === 1) v = (dv.getUint8(p) - 128) / 128;
      else if (bps === 2) v = dv.getInt16(p, true) / 32768;
      else if (bps === 3) v = (((dv.getUint8(p + 2) << 24) | (dv.getUint8(p + 1) << 16) | (dv.getUint8(p) << 8)) >> 8) / 8388608;
      else v = dv.getInt32(p, true) / 2147483648;
      o[i] = v;
    }
  }
  return out;
}
