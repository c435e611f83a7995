import { useEffect, useRef, useState } from 'react';
import { addFiles, beginCapture } from '../controller/media-controller';
import { startRecording, stamp } from '../media/record';
import { useApp } from '../store';

export const CLIP_SECONDS = 3;

export function WebcamCapture({ onClose }: { onClose: () => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [stream, setStream] = useState<MediaStream | null>(null);
  const [recording, setRecording] = useState(false);
  /** The preview shows frames (until then a photo would be empty). */
  const [live, setLive] = useState(false);
  // The parent's callback changes on every render (each keystroke in the composer): the camera
  // must not restart then, or a clip being recorded is cut short.
  const close = useRef(onClose);
  close.current = onClose;

  useEffect(() => {
    let s: MediaStream | null = null;
    let active = true;
    navigator.mediaDevices
      .getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } } })
      .then((st) => {
        if (!active) return st.getTracks().forEach((t) => t.stop());
        s = st;
        setStream(st);
        if (video.current) video.current.srcObject = st;
      })
      .catch((e: Error) => {
        useApp.getState().pushToast({ kind: 'error', message: `The camera is not available: ${e.message}. Allow camera access and try again.` });
        close.current();
      });
    return () => {
      active = false;
      s?.getTracks().forEach((t) => t.stop());
    };
  }, []);

  const photo = (): void => {
    const v = video.current;
    if (!v || !v.videoWidth) return;
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    c.getContext('2d')!.drawImage(v, 0, 0);
    const captured = beginCapture(); // a message sent before the JPEG exists waits for it
    c.toBlob((b) => {
      if (b) void addFiles([new File([b], `photo-${stamp()}.jpg`, { type: 'image/jpeg' })]);
      captured();
      onClose();
    }, 'image/jpeg', 0.92);
  };

  const clip = (): void => {
    if (!stream) return;
    // A message sent while the clip records waits for it; the clip stops itself after CLIP_SECONDS of data.
    startRecording(stream, {
      device: 'camera',
      fileName: () => `clip-${stamp()}.webm`,
      fallbackType: 'video/webm',
      seconds: CLIP_SECONDS,
      onEnd: () => {
        setRecording(false);
        onClose();
      },
    });
    setRecording(true);
  };

  return (
    <div className="capture-panel" role="group" aria-label="Camera" data-testid="webcam-capture">
      <video ref={video} className="cam-preview" autoPlay muted playsInline onLoadedData={() => setLive(true)} />
      <button type="button" className="primary" disabled={!live || recording} onClick={photo} data-testid="webcam-photo">
        Take photo
      </button>
      <button type="button" disabled={!live || recording} onClick={clip} data-testid="webcam-clip">
        {recording ? 'Recording…' : `Record ${CLIP_SECONDS} s clip`}
      </button>
      <button type="button" className="ghost" onClick={onClose}>
        Close
      </button>
    </div>
  );
}
