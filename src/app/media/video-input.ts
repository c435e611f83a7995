/**
 * Video for ImageBind: the preprocessing's frame plan (5 clips × first/last frame) says which
 * frames to decode; the page seeks an offscreen <video> to exactly those (never decoding the whole
 * video) and the worker turns them into the (15,3,2,224,224) tensor.
 *
 * A <video> exposes the duration but not the frame rate; `measureFps` reads it from the presented
 * frames' media times, and the frame count is duration × fps.
 */
import { planVideoFrames } from '../../preprocess/video/frame-plan';
import type { EncoderInput } from '../../../workers/encoder-input';
import type { AttachmentPreview } from '../store/types';
import { openVideo } from './video-frames';

export async function readVideoFrames(blob: Blob, fileName: string): Promise<{ input: EncoderInput; preview: AttachmentPreview }> {
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
