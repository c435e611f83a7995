import { useRef, useState } from 'react';
import { cancelPending, send, stop } from '../controller/chat-controller';
import { addFiles } from '../controller/media-controller';
import { useApp } from '../store';
import { selectActive } from '../store/chat-slice';
import { AttachmentChip } from './AttachmentChip';
import { MicRecorder } from './MicRecorder';
import { WebcamCapture } from './WebcamCapture';

export function Composer() {
  const text = useApp((s) => s.composer.draft);
  const setText = useApp((s) => s.setDraft);
  const pending = useApp((s) => s.composer.pending);
  const composerError = useApp((s) => s.composer.error);
  const clearError = useApp((s) => s.clearComposerError);
  const [capture, setCapture] = useState<'mic' | 'cam' | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const conv = useApp(selectActive);
  const generating = useApp((s) => s.chat.generating !== null);
  const ready = useApp((s) => s.model.state === 'ready');
  const encoderReady = useApp((s) => s.model.encoderReady);
  const chips = conv?.attachments.filter((a) => !a.removed) ?? [];

  const submit = (): void => {
    if (!ready || generating || pending) return;
    const t = text.trim();
    if (!t && chips.length === 0) return;
    setText('');
    clearError();
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
      {pending && (
        <p className="composer-note" role="status" data-testid="composer-pending">
          Waiting for your media to be read, then sending: <q>{pending.text || '(media only)'}</q>
        </p>
      )}
      {composerError && !pending && (
        <p className="composer-note error-text" role="alert" data-testid="composer-error">
          {composerError}
        </p>
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
          <button key="stop" type="button" className="stop" data-testid="stop-generation" onClick={stop}>
            Stop
          </button>
        ) : pending ? (
          // Its own key: React must not turn this very element into the submit button while its
          // click is still being dispatched (the browser would then submit the form: a re-send).
          <button key="cancel-pending" type="button" className="stop" data-testid="composer-cancel-pending" aria-busy="true" aria-label="Waiting for media; cancel sending" title="Cancel: the message goes back into the box" onClick={cancelPending}>
            Waiting… Cancel
          </button>
        ) : (
          <button key="send" type="submit" className="primary" data-testid="composer-send" disabled={!ready}>
            Send
          </button>
        )}
      </form>
    </div>
  );
}
