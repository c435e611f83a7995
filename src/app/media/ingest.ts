/**
 * Page side of media ingestion: detect the modality from the file's first bytes, check its size
 * before reading it, build the preview, and turn it into what the encoder worker takes. Pure-TS
 * decodable formats go to the worker as bytes; compressed audio and video frames are decoded by
 * the browser here (only the frames preprocessing asks for).
 */
import type { Modality } from '../../core/manifest';
import { detectModality } from '../../preprocess';
import type { EncoderInput } from '../../../workers/encoder-input';
import type { AttachmentPreview } from '../store/types';
import { decodeAudio, peaks } from './decode-audio';
import { imuSeries } from './imu-preview';
import { checkSize } from './limits';
import { readVideoFrames } from './video-input';
import { containerTracks, decodeAudioWebCodecs } from './webcodecs';

const HEAD_BYTES = 64 * 1024;

export async function detectFileModality(file: File): Promise<Modality> {
  checkSize(file.size, null, file.name);
  const head = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
  let { modality } = detectModality(head, file.name, file.type || undefined);
  if (modality === 'video') {
    // An audio-only WebM/MP4 (a voice memo) is named and typed like a video: its tracks decide.
    const tracks = await containerTracks(file);
    if (tracks && !tracks.video && tracks.audio) modality = 'audio';
  }
  checkSize(file.size, modality, file.name);
  return modality;
}

export async function prepareAttachment(blob: Blob, fileName: string, mime: string, modality: Modality): Promise<{ input: EncoderInput; preview: AttachmentPreview }> {
  switch (modality) {
    case 'image':
    case 'thermal':
    case 'depth':
      return { input: { kind: 'bytes', modality, bytes: new Uint8Array(await blob.arrayBuffer()), fileName, mime }, preview: { kind: 'image' } };
    case 'imu': {
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let preview: AttachmentPreview = { kind: 'imu', series: [] };
      if (!/\.npy$/i.test(fileName)) preview = { kind: 'imu', series: imuSeries(new TextDecoder().decode(bytes.subarray(0, 512 * 1024))) };
      return { input: { kind: 'bytes', modality, bytes, fileName, mime }, preview };
    }
    case 'audio': {
      const bytes = new Uint8Array(await blob.arrayBuffer());
      // The browser decodes the preview for every format; WAV samples for the model are read by
      // the worker's exact reader, everything else uses the browser's decoded PCM.
      // WebCodecs keeps the file's own sample rate (as ffmpeg in Node); decodeAudioData resamples.
      const pcm = (await decodeAudioWebCodecs(blob, fileName)) ?? (await decodeAudio(bytes.slice().buffer, fileName));
      const preview: AttachmentPreview = { kind: 'waveform', peaks: peaks(pcm.channels[0]!), seconds: pcm.channels[0]!.length / pcm.sampleRate };
      if (detectModality(bytes.subarray(0, HEAD_BYTES), fileName, mime).container === 'wav') return { input: { kind: 'bytes', modality, bytes, fileName, mime }, preview };
      return { input: { kind: 'pcm', modality: 'audio', channels: pcm.channels, sampleRate: pcm.sampleRate, fileName }, preview };
    }
    case 'video':
      return readVideoFrames(blob, fileName);
  }
}
