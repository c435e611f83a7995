import { useApp } from '../store';
import { selectActive } from '../store/chat-slice';
import { MessageView } from './MessageView';

export function ChatView() {
  const conv = useApp(selectActive);
  if (!conv || conv.messages.length === 0) {
    return (
      <div className="chat-empty">
        <h2>Chat about any medium</h2>
        <p>Drop an image, video, audio clip, depth or thermal picture or IMU recording anywhere on this page, then ask about it. Everything runs on your device.</p>
      </div>
    );
  }
  return (
    // column-reverse keeps the view pinned to the newest text as it streams, with no per-token
    // scrollIntoView (a forced layout per frame: the page's biggest main-thread cost when profiled).
    <div className="chat-log" aria-live="polite">
      <div className="chat-log-inner">
        {conv.messages.map((m, i) => (
          <MessageView key={m.id} conversationId={conv.id} message={m} isLast={i === conv.messages.length - 1} />
        ))}
      </div>
    </div>
  );
}
