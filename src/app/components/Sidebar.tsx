import { useRef } from 'react';
import { deleteConversation, exportAll, importFile } from '../controller/conversations-controller';
import { useApp } from '../store';

export function Sidebar({ open, onClose }: { open: boolean; onClose: () => void }) {
  const order = useApp((s) => s.chat.order);
  const convs = useApp((s) => s.chat.conversations);
  const activeId = useApp((s) => s.chat.activeId);
  const generating = useApp((s) => s.chat.generating !== null);
  const select = useApp((s) => s.selectConversation);
  const create = useApp((s) => s.newConversation);
  const importInput = useRef<HTMLInputElement>(null);
  return (
    <nav className={`sidebar ${open ? 'open' : ''}`} aria-label="Conversations">
      <button type="button" className="primary wide" disabled={generating} onClick={() => (create(), onClose())} data-testid="new-chat">
        + New chat
      </button>
      <ul className="conv-list">
        {order.map((id) => {
          const c = convs[id]!;
          return (
            <li key={id} className={id === activeId ? 'active' : ''}>
              <button type="button" className="conv-title" disabled={generating} aria-current={id === activeId} onClick={() => (select(id), onClose())} data-testid="conversation-item">
                {c.title}
              </button>
              <button type="button" className="icon-btn" aria-label={`Delete ${c.title}`} disabled={generating} onClick={() => void deleteConversation(id)} data-testid="conversation-delete">
                ×
              </button>
            </li>
          );
        })}
      </ul>
      <div className="sidebar-foot">
        <button type="button" className="ghost" onClick={() => void exportAll()} data-testid="export-conversations">
          Export
        </button>
        <button type="button" className="ghost" onClick={() => importInput.current?.click()}>
          Import
        </button>
        <input
          ref={importInput}
          type="file"
          accept="application/json,.json"
          className="sr-only"
          aria-label="Import conversations"
          data-testid="import-conversations"
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) void importFile(f);
          }}
        />
      </div>
    </nav>
  );
}
