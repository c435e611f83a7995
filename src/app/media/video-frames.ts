/**
 * Video frames come from the browser's decoder through an offscreen <video> on the main thread:
 * we seek to the times preprocessing asks for and copy only those frames (never the whole video).
 */
import { PandaError } from '../../core/errors';

export interface OpenVideo {
  duration: number;
  width: number;
  height: number;
  /** RGBA, row-major, width × height × 4 (its own buffer: transferable; the worker drops alpha). */
  frameAt(seconds: number): Promise<Uint8Array>;
  posterDataUrl(maxSide?: number): string;
  /** Frames per second from the media times of a few presented frames (30 if unmeasurable). */
  measureFps(): Promise<number>;
  close(): void;
}

function once(el: HTMLMediaElement, ok: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => done(new PandaError('MEDIA_CORRUPT', 'The video stopped responding while it was being read.')), timeoutMs);
    const onOk = (): void => done();
    const onErr = (): void => done(new PandaError('MEDIA_CORRUPT', 'The browser could not decode this video. The file may be damaged or use an unsupported codec.'));
    function done(err?: PandaError): void {
      clearTimeout(t);
      el.removeEventListener(ok, onOk);
      el.removeEventListener('error', onErr);
      if (err) reject(err);
      else resolve();
    }
    el.addEventListener(ok, onOk);
    el.addEventListener('error', onErr);
  });
}

export async function openVideo(blob: Blob, fileName: string): Promise<OpenVideo> {
  const url = URL.createObjectURL(blob);
  const v = document.createElement('video');
  v.muted = true;
  v.preload = 'auto';
  v.src = url;
  const close = (): void => {
    v.removeAttribute('src');
    v.load();
    URL.revokeObjectURL(url);
  };
  try {
    await once(v, 'loadeddata', 20_000);
    if (!v.videoWidth || !v.videoHeight) throw new PandaError('MEDIA_NO_VIDEO_TRACK', `"${fileName}" has no video track.`, { fileName });
    if (!Number.isFinite(v.duration)) {
      // MediaRecorder WebM has no duration in its header: seeking far makes the browser find it.
      v.currentTime = 1e7;
      await once(v, 'seeked', 20_000);
    }
  } catch (e) {
    close();
    throw e instanceof PandaError ? e : new PandaError('MEDIA_CORRUPT', `"${fileName}" could not be read as a video.`, { fileName });
  }
  const canvas = document.createElement('canvas');
  canvas.width = v.videoWidth;
  canvas.height = v.videoHeight;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  return {
    duration: v.duration,
    width: v.videoWidth,
    height: v.videoHeight,
    async frameAt(seconds) {
      const t = Math.min(Math.max(0, seconds), Math.max(0, v.duration - 1e-3));
      if (Math.abs(v.currentTime - t) > 1e-4) {
        v.currentTime = t;
        await once(v, 'seeked', 20_000);
      }
      ctx.drawImage(v, 0, 0);
      const rgba = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      return new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength);
    },
    async measureFps() {
      type Rvfc = (cb: (now: number, meta: { mediaTime: number }) => void) => number;
      const rvfc = (v as unknown as { requestVideoFrameCallback?: Rvfc }).requestVideoFrameCallback?.bind(v);
      if (!rvfc) return 30;
      v.currentTime = 0;
      await once(v, 'seeked', 20_000).catch(() => undefined);
      const times: number[] = [];
      const got = new Promise<void>((resolve) => {
        const cb = (_: number, meta: { mediaTime: number }): void => {
          times.push(meta.mediaTime);
          if (times.length < 6) rvfc(cb);
          else resolve();
        };
        rvfc(cb);
        setTimeout(resolve, 3000);
      });
      v.playbackRate = 1;
      await v.play().catch(() => undefined);
      await got;
      v.pause();
      const diffs = times
        .slice(1)
        .map((t, i) => t - times[i]!)
        .filter((d) => d > 1e-4)
        .sort((a, b) => a - b);
      const d = diffs[0];
      // The smallest gap is one frame (a slow headless renderer may skip frames, never add them).
      return d ? Math.round((1 / d) * 1000) / 1000 : 30;
    },
    posterDataUrl(maxSide = 160) {
      const s = Math.min(1, maxSide / Math.max(v.videoWidth, v.videoHeight));
      const c = document.createElement('canvas');
      c.width = Math.round(v.videoWidth * s);
      c.height = Math.round(v.videoHeight * s);
      c.getContext('2d')!.drawImage(v, 0, 0, c.width, c.height);
      return c.toDataURL('image/jpeg', 0.7);
    },
    close,
  };
}
