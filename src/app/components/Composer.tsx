import { useRef, useState } from 'react';
import { send, stop } from '../controller/chat-controller';
import { addFiles } from '../controller/media-controller';
import { useApp } from '../store';
import { selectActive } from '../store/chat-slice';
import { AttachmentChip } from './AttachmentChip';
import { MicRecorder } from './MicRecorder';
import { WebcamCapture } from './WebcamCapture';

export function Composer() {
  const [text, setText] = useState('');
  const [capture, setCapture] = useState<'mic' | 'cam' | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const conv = useApp(selectActive);
  const generating = useApp((s) => s.chat.generating !== null);
  const ready = useApp((s) => s.model.state === 'ready');
  const encoderReady = useApp((s) => s.model.encoderReady);
  const chips = conv?.attachments.filter((a) => !a.removed) ?? [];

  const submit = (): void => {
    if (!ready || generating) return;
    const t = text.trim();
    if (!t && chips.length === 0) return;
    setText('');
    void send(t);
  };

  return (
    <div className="composer">
      {chips.length > 0 && conv && (
        <div className="chips" aria-label="Attachments">
          {chips.map((a) => (
            <AttachmentChip key={a.id} conversationId={conv.id} a={a} disabled={generating} />
          ))}
        </div>
      )}
      {capture === 'mic' && <MicRecorder onClose={() => setCapture(null)} />}
      {capture === 'cam' && <WebcamCapture onClose={() => setCapture(null)} />}
      <form
        className="composer-row"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <input
          ref={fileInput}
          type="file"
          multiple
          className="sr-only"
          data-testid="composer-attach"
          aria-label="Attach files"
          accept="image/*,audio/*,video/*,.csv,.txt,.wav,.mp3,.ogg,.webm,.m4a,.mp4,.png,.jpg,.jpeg"
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            e.target.value = '';
            void addFiles(files);
          }}
        />
        <div className="composer-tools">
          <button type="button" className="icon-btn" aria-label="Attach files" title="Attach files" disabled={!encoderReady} onClick={() => fileInput.current?.click()}>
            +
          </button>
          <button type="button" className="icon-btn" aria-label="Record audio" title="Record audio" disabled={!encoderReady} aria-pressed={capture === 'mic'} onClick={() => setCapture(capture === 'mic' ? null : 'mic')}>
            Mic
          </button>
          <button type="button" className="icon-btn" aria-label="Use camera" title="Photo or short clip" disabled={!encoderReady} aria-pressed={capture === 'cam'} onClick={() => setCapture(capture === 'cam' ? null : 'cam')}>
            Cam
          </button>
        </div>
        <label className="sr-only" htmlFor="composer-input">
          Message
        </label>
        <textarea
          id="composer-input"
          data-testid="composer-input"
          rows={1}
          placeholder={ready ? 'Ask about your media… (Enter sends, Shift+Enter for a new line)' : 'The model is loading…'}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              submit();
            }
          }}
        />
        {generating ? (
          <button type="button" className="stop" data-testid="stop-generation" onClick={stop}>
            Stop
          </button>
        ) : (
          <button type="submit" className="primary" data-testid="composer-send" disabled={!ready}>
            Send
          </button>
        )}
      </form>
    </div>
  );
}
