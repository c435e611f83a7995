import { useEffect, useRef } from 'react';
import { useApp } from '../store';
import { selectActive } from '../store/chat-slice';
import { MessageView } from './MessageView';

export function ChatView() {
  const conv = useApp(selectActive);
  const end = useRef<HTMLDivElement>(null);
  const last = conv?.messages[conv.messages.length - 1];
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [conv?.messages.length, last?.text]);
  if (!conv || conv.messages.length === 0) {
    return (
      <div className="chat-empty">
        <h2>Chat about any medium</h2>
        <p>Drop an image, video, audio clip, depth or thermal picture or IMU recording anywhere on this page, then ask about it. Everything runs on your device.</p>
      </div>
    );
  }
  return (
    <div className="chat-log" aria-live="polite">
      {conv.messages.map((m, i) => (
        <MessageView key={m.id} conversationId={conv.id} message={m} isLast={i === conv.messages.length - 1} />
      ))}
      <div ref={end} />
    </div>
  );
}
