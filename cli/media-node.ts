/**
 * Node-only media I/O for the preprocessing core: random-access file reads, ffprobe/ffmpeg for
 * video frames and compressed audio, and `preprocessFile` which routes a path to the right entry.
 */
import { spawn } from 'node:child_process';
import { open, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { matroskaFrameRate } from '../src/preprocess/video/frame-rate';
import type { PreprocessedInput } from '../src/core/encoders/types';
import { PandaError } from '../src/core/errors';
import type { Modality } from '../src/core/manifest';
import {
  detectModality,
  planVideo,
  preprocessDepth,
  preprocessImage,
  preprocessImu,
  preprocessPcm,
  preprocessThermal,
  preprocessVideoFrames,
  preprocessWav,
  type RandomAccessSource,
  type VideoPlan,
} from '../src/preprocess/index';

export interface FfmpegOptions {
  /** Executables (default "ffmpeg" / "ffprobe" on PATH). */
  ffmpeg?: string;
  ffprobe?: string;
}

const INSTALL_HINT = 'Install ffmpeg (Debian/Ubuntu: `sudo apt-get install ffmpeg`, macOS: `brew install ffmpeg`, Windows: `winget install ffmpeg`) and make sure `ffmpeg` and `ffprobe` are on PATH.';

/** A file as a RandomAccessSource (reads only the requested ranges). Close it when done. */
export async function fileSource(path: string): Promise<RandomAccessSource & { close: () => Promise<void> }> {
  const fh = await open(path, 'r');
  const { size } = await fh.stat();
  return {
    size,
    read: async (offset, length) => {
      const n = Math.max(0, Math.min(length, size - offset));
      const buf = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await fh.read(buf, got, n - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return buf.subarray(0, got);
    },
    close: () => fh.close(),
  };
}

/** Run a tool, collecting stdout; ENOENT → FFMPEG_MISSING. */
function run(cmd: string, args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') reject(new PandaError('FFMPEG_MISSING', `\`${cmd}\` was not found. Video and compressed audio need it. ${INSTALL_HINT}`, { cmd }));
      else reject(e);
    });
    p.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err }));
  });
}

export interface VideoProbe {
  /** Video packets (decord's frame count). */
  frameCount: number;
  /** avg_frame_rate as a float. */
  fps: number;
  width: number;
  height: number;
}

export async function probeVideo(path: string, o: FfmpegOptions = {}): Promise<VideoProbe> {
  const r = await run(o.ffprobe ?? 'ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=nb_read_packets,avg_frame_rate,width,height', '-of', 'json', path]);
  if (r.code !== 0) throw new PandaError('MEDIA_CORRUPT', `ffprobe could not read ${basename(path)}: ${r.stderr.trim().split('\n').pop() ?? ''}. Check that the file is a video that plays.`, { path });
  const s = (JSON.parse(r.stdout.toString()) as { streams?: Record<string, unknown>[] }).streams?.[0];
  if (!s) throw new PandaError('MEDIA_NO_VIDEO_TRACK', `${basename(path)} has no video track. Attach it as audio instead, or choose a file with video.`, { path });
  const [num, den] = String(s.avg_frame_rate ?? '0/0').split('/').map(Number);
  let fps = den ? num! / den : NaN;
  if (!(fps > 0)) {
    // ffmpeg gives up on irregular timestamps (a MediaRecorder WebM with a late frame reports 0/0):
    // estimate from the packets as the page does for Matroska (frame-rate.ts).
    const p = await run(o.ffprobe ?? 'ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', path]);
    const times = p.stdout.toString().split('\n').filter((l) => l.trim() !== '').map(Number).filter((t) => Number.isFinite(t)).sort((a, b) => a - b);
    if (p.code === 0 && times.length > 0) fps = matroskaFrameRate(times); // one frame: any rate picks it (30, as the page)
  }
  return { frameCount: Number(s.nb_read_packets ?? 0), fps, width: Number(s.width), height: Number(s.height) };
}

/**
 * Decode exactly `plan.frames` (i-th decoded frame in presentation order, as decord indexes) as
 * RGB24 with ffmpeg's select filter. Rotation metadata is ignored, as decord does.
 */
export async function decodeVideoFrames(path: string, plan: VideoPlan, width: number, height: number, o: FfmpegOptions = {}): Promise<Uint8Array[]> {
  const select = `select=${plan.frames.map((i) => `eq(n\\,${i})`).join('+')}`;
  const r = await run(o.ffmpeg ?? 'ffmpeg', ['-v', 'error', '-noautorotate', '-i', path, '-map', '0:v:0', '-vf', select, '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
  if (r.code !== 0) throw new PandaError('MEDIA_CORRUPT', `ffmpeg could not decode ${basename(path)}: ${r.stderr.trim().split('\n').pop() ?? ''}`, { path });
  const size = width * height * 3;
  const n = Math.floor(r.stdout.length / size);
  if (n !== plan.frames.length) throw new PandaError('MEDIA_CORRUPT', `ffmpeg returned ${n} of the ${plan.frames.length} video frames needed; the video may be truncated.`, { path });
  return Array.from({ length: n }, (_, i) => new Uint8Array(r.stdout.buffer, r.stdout.byteOffset + i * size, size));
}

/**
 * Compressed audio (mp3/ogg/m4a/webm/flac) → float32 PCM per channel at the native rate.
 * Opus is decoded with libopus, the reference decoder browsers use (ffmpeg's own Opus decoder
 * resamples SILK/hybrid frames differently: speech then differs from the page's, cos ≈ 0.99);
 * ffmpeg builds without libopus fall back to the native decoder.
 */
export async function decodeAudioFfmpeg(path: string, o: FfmpegOptions = {}): Promise<{ channels: Float32Array[]; sampleRate: number }> {
  const p = await run(o.ffprobe ?? 'ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=sample_rate,channels,codec_name', '-of', 'json', path]);
  const s = p.code === 0 ? (JSON.parse(p.stdout.toString()) as { streams?: { sample_rate?: string; channels?: number; codec_name?: string }[] }).streams?.[0] : undefined;
  if (!s) throw new PandaError('MEDIA_CORRUPT', `${basename(path)} has no readable audio track.`, { path });
  const sampleRate = Number(s.sample_rate);
  const nch = Number(s.channels);
  const decode = (decoder: string[]): ReturnType<typeof run> => run(o.ffmpeg ?? 'ffmpeg', ['-v', 'error', ...decoder, '-i', path, '-map', '0:a:0', '-f', 'f32le', '-acodec', 'pcm_f32le', 'pipe:1']);
  let r = s.codec_name === 'opus' ? await decode(['-c:a', 'libopus']) : undefined;
  if (!r || r.code !== 0) r = await decode([]);
  if (r.code !== 0) throw new PandaError('MEDIA_CORRUPT', `ffmpeg could not decode ${basename(path)}: ${r.stderr.trim().split('\n').pop() ?? ''}`, { path });
  const all = new Float32Array(r.stdout.buffer.slice(r.stdout.byteOffset, r.stdout.byteOffset + (r.stdout.length & ~3)));
  const n = Math.floor(all.length / nch);
  const channels = Array.from({ length: nch }, (_, c) => {
    const ch = new Float32Array(n);
    for (let i = 0; i < n; i++) ch[i] = all[i * nch + c]!;
    return ch;
  });
  return { channels, sampleRate };
}

export async function preprocessVideoFile(path: string, o: FfmpegOptions = {}): Promise<PreprocessedInput> {
  const probe = await probeVideo(path, o);
  const plan = planVideo(probe.frameCount, probe.fps);
  const frames = await decodeVideoFrames(path, plan, probe.width, probe.height, o);
  return preprocessVideoFrames(plan, frames, probe.width, probe.height);
}

/** Preprocess a file for its detected modality (or the one given, e.g. 'thermal' for a JPEG). */
export async function preprocessFile(path: string, modality?: Modality, o: FfmpegOptions = {}): Promise<PreprocessedInput> {
  const name = basename(path);
  const { size } = await stat(path);
  if (size === 0) throw new PandaError('MEDIA_EMPTY', `${name} is empty (0 bytes). Choose a file that has content.`, { path });
  const src = await fileSource(path);
  try {
    const head = await src.read(0, 64);
    const detected = detectModality(head, name);
    const m = modality ?? detected.modality;
    switch (m) {
      case 'image':
        return await preprocessImage(await readFile(path));
      case 'thermal':
        return await preprocessThermal(await readFile(path));
      case 'depth':
        return await preprocessDepth(await readFile(path));
      case 'imu':
        return preprocessImu(await readFile(path));
      case 'audio':
        if (detected.container === 'wav') return await preprocessWav(src);
        {
          const pcm = await decodeAudioFfmpeg(path, o);
          return await preprocessPcm(pcm.channels, pcm.sampleRate);
        }
      case 'video':
        return await preprocessVideoFile(path, o);
    }
  } finally {
    await src.close();
  }
}
