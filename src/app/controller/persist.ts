/** Saves conversations to IndexedDB, coalescing bursts (streamed tokens) into one write. */
import { useApp } from '../store';
import { saveConversation } from '../persistence/conversations-db';

const pending = new Map<string, ReturnType<typeof setTimeout>>();

export function persistSoon(conversationId: string, delayMs = 300): void {
  clearTimeout(pending.get(conversationId));
  pending.set(
    conversationId,
    setTimeout(() => {
      pending.delete(conversationId);
      void persistNow(conversationId);
    }, delayMs),
  );
}

export async function persistNow(conversationId: string): Promise<void> {
  const c = useApp.getState().chat.conversations[conversationId];
  if (!c) return;
  try {
    await saveConversation(c);
  } catch (e) {
    const err = e as { message?: string; code?: string };
    useApp.getState().pushToast({ kind: 'error', message: `Could not save the conversation: ${err.message ?? String(e)}`, code: err.code });
  }
}
