import { memo, useState } from 'react';
import { editAndResend, regenerate } from '../controller/chat-controller';
import { useApp } from '../store';
import type { Message } from '../store/types';
import { Markdown } from './Markdown';

function Stats({ m }: { m: Message }) {
  if (!m.stats) return null;
  const s = m.stats;
  return (
    <span className="stats" data-testid="message-stats">
      {s.generatedTokens} tokens · {s.tokensPerSecond.toFixed(1)} tok/s · first token {Math.round(s.timeToFirstTokenMs)} ms
    </span>
  );
}

/** Memoised: while an answer streams only that message re-renders (messages are immutable). */
export const MessageView = memo(function MessageView({ conversationId, message, isLast }: { conversationId: string; message: Message; isLast: boolean }) {
  const busy = useApp((s) => s.chat.generating !== null || s.composer.pending !== null || s.model.state !== 'ready');
  const [editing, setEditing] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const m = message;
  const copy = (): void => {
    void navigator.clipboard?.writeText(m.text).then(() => {
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    });
  };
  return (
    <article className={`message message-${m.role}`} data-testid="message" data-role={m.role} data-status={m.status} aria-label={m.role === 'user' ? 'You' : 'PandaGPT'}>
      <div className="message-body">
        {editing !== null ? (
          <form
            className="edit-form"
            onSubmit={(e) => {
              e.preventDefault();
              setEditing(null);
              void editAndResend(conversationId, m.id, editing);
            }}
          >
            <textarea aria-label="Edit message" value={editing} onChange={(e) => setEditing(e.target.value)} rows={3} autoFocus />
            <div className="row">
              <button type="submit" disabled={busy}>
                Send
              </button>
              <button type="button" className="ghost" onClick={() => setEditing(null)}>
                Cancel
              </button>
            </div>
          </form>
        ) : m.role === 'user' ? (
          <p className="user-text" data-testid="message-text">
            {m.text}
          </p>
        ) : (
          <>
            <Markdown text={m.text} />
            {m.status === 'streaming' && !m.text && <span className="typing" aria-label="Thinking" />}
          </>
        )}
        {m.media && m.media.length > 0 && m.role === 'user' && <span className="muted small">with {m.media.map((x) => x.modality).join(' + ')}</span>}
        {m.status === 'stopped' && <span className="muted small"> (stopped)</span>}
        {m.status === 'error' && <span className="error-text small"> {m.error}</span>}
      </div>
      {editing === null && m.status !== 'streaming' && (
        <div className="message-actions">
          <button type="button" className="ghost small" onClick={copy} aria-label="Copy message" data-testid="message-copy">
            {copied ? 'Copied' : 'Copy'}
          </button>
          {m.role === 'user' && (
            <button type="button" className="ghost small" disabled={busy} onClick={() => setEditing(m.text)} data-testid="message-edit">
              Edit
            </button>
          )}
          {m.role === 'assistant' && isLast && (
            <button type="button" className="ghost small" disabled={busy} onClick={() => void regenerate(conversationId, m.id)} data-testid="message-regenerate">
              Regenerate
            </button>
          )}
          {m.role === 'assistant' && <Stats m={m} />}
        </div>
      )}
    </article>
  );
});
