/**
 * Video for ImageBind: the preprocessing's frame plan (5 clips × first/last frame) says which
 * frames to decode, and the worker turns them into the (15,3,2,224,224) tensor.
 *
 * WebCodecs (webcodecs.ts) reads exactly Node's frames: packet count, frame rate and the i-th
 * frame in presentation order, converted to RGB as ffmpeg does. Where WebCodecs or the codec is
 * missing, an offscreen <video> is seeked instead: it exposes the duration but not the frame rate
 * (`measureFps` reads it from presented frames), so it may pick a neighbouring frame.
 */
import { planVideoFrames } from '../../preprocess/video/frame-plan';
import type { EncoderInput } from '../../../workers/encoder-input';
import type { AttachmentPreview } from '../store/types';
import { openVideo } from './video-frames';
import { decodeVideoWebCodecs } from './webcodecs';

export async function readVideoFrames(blob: Blob, fileName: string): Promise<{ input: EncoderInput; preview: AttachmentPreview }> {
  // WebCodecs gives exactly Node's frames; the media element path is the fallback for browsers or
  // codecs without it (its frame timing is measured, so it can pick a neighbouring frame).
  const exact = await decodeVideoWebCodecs(blob, fileName);
  if (exact) {
    const { frameCount, fps, frames, width, height, poster } = exact;
    return { input: { kind: 'frames', modality: 'video', frameCount, fps, frames, width, height, fileName }, preview: { kind: 'video', poster } };
  }
  return readWithMediaElement(blob, fileName);
}

async function readWithMediaElement(blob: Blob, fileName: string): Promise<{ input: EncoderInput; preview: AttachmentPreview }> {
  const v = await openVideo(blob, fileName);
  try {
    const fps = await v.measureFps();
    const frameCount = Math.max(1, Math.round(v.duration * fps));
    const plan = planVideoFrames(frameCount, fps);
    const frames: Uint8Array[] = [];
    // Seek to the middle of each frame's display interval so rounding cannot land on a neighbour.
    for (const i of plan.frames) frames.push(await v.frameAt((i + 0.5) / fps));
    await v.frameAt(0);
    const poster = v.posterDataUrl();
    return { input: { kind: 'frames', modality: 'video', frameCount, fps, frames, width: v.width, height: v.height, fileName }, preview: { kind: 'video', poster } };
  } finally {
    v.close();
  }
}
