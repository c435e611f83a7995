/**
 * Recording a microphone or camera stream into an attachment (MediaRecorder), shared by the mic
 * and webcam panels: a message sent while recording waits for the file (`beginCapture`), and a
 * recording that fails or comes back empty says so instead of silently leaving no chip.
 */
import { addFiles, beginCapture } from '../controller/media-controller';
import { useApp } from '../store';

export interface Recording {
  stop(): void;
  readonly state: RecordingState;
}

export function startRecording(stream: MediaStream, o: { device: 'microphone' | 'camera'; fileName: () => string; fallbackType: string; onEnd: () => void }): Recording {
  const mr = new MediaRecorder(stream);
  const captured = beginCapture();
  const parts: Blob[] = [];
  let ended = false;
  const end = (message?: string): void => {
    if (ended) return;
    ended = true;
    if (message) useApp.getState().pushToast({ kind: 'error', message, code: 'CAPTURE_FAILED' });
    captured();
    o.onEnd();
  };
  mr.ondataavailable = (e) => {
    if (e.data.size) parts.push(e.data);
  };
  mr.onerror = (e) => {
    const why = (e as Event & { error?: DOMException }).error?.message ?? 'unknown error';
    end(`The ${o.device} recording failed (${why}). Try again, or attach a file instead.`);
  };
  mr.onstop = () => {
    const file = new File(parts, o.fileName(), { type: mr.mimeType || o.fallbackType });
    if (!file.size) return end(`The ${o.device} delivered no data, so nothing was attached. Check that it is connected and not used by another app, then record again.`);
    void addFiles([file]);
    end();
  };
  mr.start(250);
  return {
    stop: () => {
      if (mr.state !== 'inactive') mr.stop();
    },
    get state() {
      return mr.state;
    },
  };
}

/** HHMMSS of now, for file names of recordings. */
export const stamp = (): string => new Date().toISOString().slice(11, 19).replace(/:/g, '');
