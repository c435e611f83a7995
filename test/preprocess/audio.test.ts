import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileSource, preprocessFile } from '../../cli/media-node';
import { audioToTensor } from '../../src/preprocess/audio/audio-input';
import { audioClipSlices } from '../../src/preprocess/audio/clips';
import { makeResampler, resampledLength, resampleRange } from '../../src/preprocess/audio/resample';
import { parseWavHeader, wavPcmSource } from '../../src/preprocess/audio/wav';
import { bytesSource, preprocessPcm, preprocessWav, type RandomAccessSource } from '../../src/preprocess/index';
import { fixturePath, maxAbsDiff, media, mediaOfKind } from './fixtures';
import { readNpy } from '../helpers/npy';

const code = async (p: Promise<unknown>): Promise<string | undefined> => p.then(() => undefined, (e: { code?: string }) => e.code);

/** A canonical WAV header (format 1/3 or extensible). */
function wavHeader(o: { rate: number; channels: number; bits: number; float?: boolean; extensible?: boolean; dataBytes: number }): Buffer {
  const fmtLen = o.extensible ? 40 : 16;
  const h = Buffer.alloc(12 + 8 + fmtLen + 8);
  const block = (o.channels * o.bits) / 8;
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE((4 + 8 + fmtLen + 8 + o.dataBytes) >>> 0, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(fmtLen, 16);
  const tag = o.float ? 3 : 1;
  h.writeUInt16LE(o.extensible ? 0xfffe : tag, 20);
  h.writeUInt16LE(o.channels, 22);
  h.writeUInt32LE(o.rate, 24);
  h.writeUInt32LE(o.rate * block, 28);
  h.writeUInt16LE(block, 32);
  h.writeUInt16LE(o.bits, 34);
  if (o.extensible) {
    h.writeUInt16LE(22, 36);
    h.writeUInt16LE(o.bits, 38);
    h.writeUInt16LE(tag, 44); // SubFormat GUID starts with the format tag
  }
  const d = 20 + fmtLen;
  h.write('data', d, 'latin1');
  h.writeUInt32LE(o.dataBytes >>> 0, d + 4);
  return h;
}

describe('audio tensors vs the torchaudio reference', () => {
  for (const m of mediaOfKind('audio')) {
    it(`${m.id}: clip slices equal index.json, fbank input max |Δ| ≤ 2e-3`, async () => {
      const t = await audioToTensor(wavPcmSource(bytesSource(readFileSync(fixturePath(m.file))), await parseWavHeader(bytesSource(readFileSync(fixturePath(m.file))))));
      expect(t.info.sourceRate).toBe(m.info.source.sample_rate);
      expect(t.info.channels).toBe(m.info.source.channels);
      expect(t.info.sourceLength).toBe(m.info.source.samples);
      expect(t.info.length16k).toBe(m.info.resampled_16k_samples);
      expect(t.info.slices).toEqual(m.info.clips.map((c: { sample_slice: number[] }) => c.sample_slice));
      expect(t.info.fbankFrames).toEqual(m.info.clips.map((c: { fbank_frames: number }) => c.fbank_frames));
      const ref = readNpy(fixturePath(m.input!.file));
      expect(ref.shape).toEqual([1, ...t.dims]);
      const d = maxAbsDiff(t.data, ref.data as Float32Array);
      console.log(`${m.id} max |Δ| = ${d}`);
      expect(d).toBeLessThanOrEqual(2e-3);
    });
  }

  it('audio_dog: resampled 16 kHz waveform (all channels) max |Δ| ≤ 1e-5', async () => {
    const m = media('audio_dog');
    const src = bytesSource(readFileSync(fixturePath(m.file)));
    const pcm = wavPcmSource(src, await parseWavHeader(src));
    const r = makeResampler(pcm.sampleRate, 16000);
    const n = resampledLength(r, pcm.length);
    const ref = readNpy(fixturePath(m.info.waveform16k.file));
    expect(ref.shape).toEqual([2, n]);
    const full = await resampleRange(r, pcm, 0, n);
    const d = maxAbsDiff([...full[0]!, ...full[1]!], ref.data as Float32Array);
    console.log(`audio_dog waveform16k max |Δ| = ${d}`);
    expect(d).toBeLessThanOrEqual(1e-5);
    // A window equals the same samples of the full resample (random access is exact).
    const part = await resampleRange(r, pcm, 20011, 20999);
    expect(maxAbsDiff(part[1]!, full[1]!.subarray(20011, 20999))).toBe(0);
  });

  it('clip slices use exact rational arithmetic (§13.3): n = 32016 → clip 2 is [15, 32015), floats would give 32016', () => {
    expect(audioClipSlices(32016)[2]).toEqual([15, 32015]);
    expect(audioClipSlices(80000)).toEqual([[0, 32000], [24000, 56000], [48000, 80000]]);
    expect(audioClipSlices(1000)).toEqual([[0, 1000], [0, 1000], [0, 1000]]);
  });
});

describe('WAV parsing', () => {
  const N = 64;
  const sig = Array.from({ length: N }, (_, i) => Math.sin(i * 0.3) * 0.8);
  const cases: { bits: number; float?: boolean; extensible?: boolean; enc: (v: number, b: Buffer, o: number) => void; dec: (v: number) => number }[] = [
    { bits: 8, enc: (v, b, o) => b.writeUInt8(Math.round(v * 127) + 128, o), dec: (v) => Math.round(v * 127) / 128 },
    { bits: 16, enc: (v, b, o) => b.writeInt16LE(Math.round(v * 32767), o), dec: (v) => Math.round(v * 32767) / 32768 },
    { bits: 24, enc: (v, b, o) => b.writeIntLE(Math.round(v * 8388607), o, 3), dec: (v) => Math.round(v * 8388607) / 8388608 },
    { bits: 32, enc: (v, b, o) => b.writeInt32LE(Math.round(v * 2147483647), o), dec: (v) => Math.round(v * 2147483647) / 2147483648 },
    { bits: 32, float: true, enc: (v, b, o) => b.writeFloatLE(v, o), dec: (v) => Math.fround(v) },
    { bits: 64, float: true, enc: (v, b, o) => b.writeDoubleLE(v, o), dec: (v) => v },
    { bits: 24, extensible: true, enc: (v, b, o) => b.writeIntLE(Math.round(v * 8388607), o, 3), dec: (v) => Math.round(v * 8388607) / 8388608 },
  ];
  for (const c of cases) {
    it(`${c.bits}-bit ${c.float ? 'float' : 'int'}${c.extensible ? ' (EXTENSIBLE)' : ''} stereo`, async () => {
      const bps = c.bits / 8;
      const data = Buffer.alloc(N * 2 * bps);
      sig.forEach((v, i) => {
        c.enc(v, data, i * 2 * bps);
        c.enc(-v, data, i * 2 * bps + bps);
      });
      const src = bytesSource(Buffer.concat([wavHeader({ rate: 22050, channels: 2, bits: c.bits, float: c.float, extensible: c.extensible, dataBytes: data.length }), data]));
      const info = await parseWavHeader(src);
      expect([info.sampleRate, info.channels, info.length]).toEqual([22050, 2, N]);
      const [l, r] = await wavPcmSource(src, info).read(3, 10);
      expect(maxAbsDiff(l!, sig.slice(3, 13).map((v) => Math.fround(c.dec(v))))).toBeLessThan(1e-7);
      expect(maxAbsDiff(r!, sig.slice(3, 13).map((v) => Math.fround(c.dec(-v))))).toBeLessThan(1e-7);
    });
  }

  it('audio shorter than one 25 ms frame is zero-padded, not rejected', async () => {
    const t = await preprocessPcm([Float32Array.from({ length: 100 }, (_, i) => Math.sin(i))], 16000);
    expect(t.dims).toEqual([3, 1, 128, 204]);
    expect(t.data.every(Number.isFinite)).toBe(true);
  });

  it('a text file named .wav → MEDIA_CORRUPT (core and Node entry); empty → MEDIA_EMPTY', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-wav-'));
    const txt = Buffer.from('these are my notes, not audio\n'.repeat(20));
    writeFileSync(join(dir, 'notes.wav'), txt);
    writeFileSync(join(dir, 'empty.wav'), '');
    expect(await code(preprocessWav(bytesSource(txt)))).toBe('MEDIA_CORRUPT');
    expect(await code(preprocessFile(join(dir, 'notes.wav')))).toBe('MEDIA_CORRUPT');
    expect(await code(preprocessFile(join(dir, 'empty.wav')))).toBe('MEDIA_EMPTY');
    expect(await code(preprocessWav(bytesSource(new Uint8Array(0))))).toBe('MEDIA_EMPTY');
    const truncated = readFileSync(fixturePath('media/audios/car_audio.wav')).subarray(0, 30);
    expect(await code(preprocessWav(bytesSource(truncated)))).toBe('MEDIA_CORRUPT');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a 3-hour silent 44.1 kHz stereo WAV (sparse, 1.9 GB) reads only the clip windows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-long-'));
    const path = join(dir, 'silence.wav');
    const frames = 3 * 3600 * 44100;
    const dataBytes = frames * 4;
    const fd = openSync(path, 'w');
    writeSync(fd, wavHeader({ rate: 44100, channels: 2, bits: 16, dataBytes }));
    ftruncateSync(fd, 44 + dataBytes);
    closeSync(fd);
    const file = await fileSource(path);
    let bytesRead = 0;
    const counting: RandomAccessSource = { size: file.size, read: async (o, n) => ((bytesRead += n), file.read(o, n)) };
    const heapBefore = process.memoryUsage().heapUsed;
    const t = await preprocessWav(counting);
    await file.close();
    rmSync(dir, { recursive: true, force: true });
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    console.log(`3-hour WAV: read ${bytesRead} of ${file.size} bytes, heap growth ${(heapGrowth / 1e6).toFixed(1)} MB`);
    expect(bytesRead).toBeLessThan(2_000_000);
    expect(heapGrowth).toBeLessThan(100e6);
    expect(t.dims).toEqual([3, 1, 128, 204]);
    // Silence: every fbank value is log(float32 eps), normalised.
    const silent = Math.fround(Math.fround(Math.fround(Math.log(1.1920928955078125e-7)) - Math.fround(-4.268)) / Math.fround(9.138));
    const padded = Math.fround(Math.fround(4.268) / Math.fround(9.138));
    const uniq = new Set(t.data);
    expect([...uniq].sort()).toEqual([silent, padded].sort());
  });
});
