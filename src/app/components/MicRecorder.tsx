import { useEffect, useRef, useState } from 'react';
import { startRecording, stamp } from '../media/record';
import { useApp } from '../store';

/** ImageBind hears 3 clips of 2 s; longer recordings add little, so cap them. */
export const MAX_RECORD_SECONDS = 10;

export function MicRecorder({ onClose }: { onClose: () => void }) {
  const [level, setLevel] = useState(0);
  const [elapsed, setElapsed] = useState(0);
  const [recording, setRecording] = useState(false);
  const rec = useRef<{ stop: () => void } | null>(null);

  useEffect(() => () => rec.current?.stop(), []);

  const start = async (): Promise<void> => {
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      useApp.getState().pushToast({ kind: 'error', message: `The microphone is not available: ${(e as Error).message}. Allow microphone access and try again.` });
      onClose();
      return;
    }
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    ctx.createMediaStreamSource(stream).connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    const t0 = performance.now();
    let raf = 0;
    const tick = (): void => {
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const x of buf) sum += x * x;
      setLevel(Math.min(1, Math.sqrt(sum / buf.length) * 4));
      const s = (performance.now() - t0) / 1000;
      setElapsed(s);
      if (s >= MAX_RECORD_SECONDS) finish();
      else raf = requestAnimationFrame(tick);
    };
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      cancelAnimationFrame(raf);
      recording.stop();
    };
    // A message sent while recording (or while the recording is being finished) waits for it.
    const recording = startRecording(stream, {
      device: 'microphone',
      fileName: () => `recording-${stamp()}.webm`,
      fallbackType: 'audio/webm',
      onEnd: () => {
        stream.getTracks().forEach((t) => t.stop());
        void ctx.close();
        setRecording(false);
        rec.current = null;
        onClose();
      },
    });
    rec.current = { stop: finish };
    setRecording(true);
    raf = requestAnimationFrame(tick);
  };

  return (
    <div className="capture-panel" role="group" aria-label="Record audio" data-testid="mic-recorder">
      <meter className="level" min={0} max={1} value={level} aria-label="Input level" data-testid="mic-level" />
      <span className="muted small">
        {elapsed.toFixed(1)} / {MAX_RECORD_SECONDS} s
      </span>
      {recording ? (
        <button type="button" onClick={() => rec.current?.stop()} data-testid="mic-stop">
          Stop recording
        </button>
      ) : (
        <button type="button" className="primary" onClick={() => void start()} data-testid="mic-start">
          Start recording
        </button>
      )}
      <button type="button" className="ghost" onClick={onClose}>
        Close
      </button>
    </div>
  );
}
