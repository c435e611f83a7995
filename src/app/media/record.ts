/**
 * Recording a microphone or camera stream into an attachment (MediaRecorder), shared by the mic
 * and webcam panels: a message sent while recording waits for the file (`beginCapture`), and a
 * recording that fails or comes back empty says so instead of silently leaving no chip.
 *
 * A fixed-length clip (`seconds`) counts its time from the first encoded data, not from the click:
 * on a busy device (the model encoding the photo just taken, two cores) the encoder can take
 * seconds to start, and a clip timed from the click came back empty ("delivered no data").
 */
import { addFiles, beginCapture } from '../controller/media-controller';
import { useApp } from '../store';

export interface Recording {
  stop(): void;
  readonly state: RecordingState;
}

/** How long a fixed-length clip waits for its first encoded data before giving up. */
export const FIRST_DATA_WAIT_MS = 15_000;

export function startRecording(
  stream: MediaStream,
  o: { device: 'microphone' | 'camera'; fileName: () => string; fallbackType: string; onEnd: () => void; seconds?: number },
): Recording {
  const mr = new MediaRecorder(stream);
  const captured = beginCapture();
  const parts: Blob[] = [];
  let ended = false;
  let clipTimer: ReturnType<typeof setTimeout> | undefined;
  const noDataTimer = o.seconds === undefined ? undefined : setTimeout(() => stop(), FIRST_DATA_WAIT_MS);
  const stop = (): void => {
    clearTimeout(clipTimer);
    clearTimeout(noDataTimer);
    if (mr.state !== 'inactive') mr.stop();
    else if (!parts.length) end(noData);
  };
  const noData = `The ${o.device} delivered no data, so nothing was attached. Check that it is connected and not used by another app, then record again.`;
  const end = (message?: string): void => {
    if (ended) return;
    ended = true;
    clearTimeout(clipTimer);
    clearTimeout(noDataTimer);
    if (message) useApp.getState().pushToast({ kind: 'error', message, code: 'CAPTURE_FAILED' });
    captured();
    o.onEnd();
  };
  mr.ondataavailable = (e) => {
    if (!e.data.size) return;
    parts.push(e.data);
    if (o.seconds !== undefined && parts.length === 1) {
      clearTimeout(noDataTimer);
      clipTimer = setTimeout(stop, o.seconds * 1000);
    }
  };
  mr.onerror = (e) => {
    const why = (e as Event & { error?: DOMException }).error?.message ?? 'unknown error';
    end(`The ${o.device} recording failed (${why}). Try again, or attach a file instead.`);
  };
  mr.onstop = () => {
    const file = new File(parts, o.fileName(), { type: mr.mimeType || o.fallbackType });
    if (!file.size) return end(noData);
    void addFiles([file]);
    end();
  };
  mr.start(250);
  return {
    stop,
    get state() {
      return mr.state;
    },
  };
}

/** HHMMSS of now, for file names of recordings. */
export const stamp = (): string => new Date().toISOString().slice(11, 19).replace(/:/g, '');
