/**
 * Keeps tabs of the app in step: each save or delete is announced on a BroadcastChannel, and the
 * other tabs read that conversation again from IndexedDB. Without BroadcastChannel (or in a race)
 * the revision check in the save keeps both versions instead (./persist.ts).
 */
import { loadConversation } from '../persistence/conversations-db';
import { useApp } from '../store';
import { hasUnsavedChanges } from './persist';

export type SyncMessage = { type: 'saved'; id: string; rev: number } | { type: 'deleted'; id: string };

const CHANNEL = 'pandagpt-chats';
let channel: BroadcastChannel | null | undefined;

function open(): BroadcastChannel | null {
  if (channel === undefined) channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null;
  return channel;
}

export function announce(m: SyncMessage): void {
  open()?.postMessage(m);
}

async function receive(m: SyncMessage): Promise<void> {
  const st = useApp.getState();
  // This tab is writing it: its own save notices the newer revision and keeps both versions.
  if (st.chat.generating?.conversationId === m.id || hasUnsavedChanges(m.id)) return;
  const mine = st.chat.conversations[m.id];
  if (m.type === 'deleted') {
    if (mine) st.deleteConversation(m.id);
    return;
  }
  if (mine && (mine.rev ?? 0) >= m.rev) return;
  const stored = await loadConversation(m.id);
  const now = useApp.getState();
  if (!stored || now.chat.generating?.conversationId === m.id || hasUnsavedChanges(m.id)) return;
  if ((now.chat.conversations[m.id]?.rev ?? 0) >= (stored.rev ?? 0)) return;
  now.upsertConversation(stored);
}

export function startSync(): void {
  const ch = open();
  if (ch) ch.onmessage = (e: MessageEvent<SyncMessage>) => void receive(e.data);
}
