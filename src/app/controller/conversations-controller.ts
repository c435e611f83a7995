/** Conversation list IO: load at start, delete, export/import as a file. */
import { PandaError } from '../../core/errors';
import { deleteConversationData, loadConversations, loadMedia, saveConversation, saveMedia } from '../persistence/conversations-db';
import { exportConversations, parseExport } from '../persistence/export-file';
import { useApp } from '../store';

function toast(e: unknown, what: string): void {
  const err = e as { message?: string; code?: string };
  useApp.getState().pushToast({ kind: 'error', message: `${what}: ${err.message ?? String(e)}`, code: err.code });
}

export async function hydrate(): Promise<void> {
  try {
    const list = await loadConversations();
    // An answer cut short by a reload is shown as stopped, not as still streaming.
    useApp.getState().hydrateChats(list.map((c) => ({ ...c, messages: c.messages.map((m) => (m.status === 'streaming' ? { ...m, status: 'stopped' as const } : m)) })));
  } catch (e) {
    useApp.getState().hydrateChats([]);
    toast(e, 'Saved conversations could not be read');
  }
}

export async function deleteConversation(id: string): Promise<void> {
  const c = useApp.getState().chat.conversations[id];
  if (!c) return;
  useApp.getState().deleteConversation(id);
  await deleteConversationData(c).catch((e) => toast(e, 'The conversation could not be deleted from storage'));
}

export async function exportAll(): Promise<void> {
  try {
    const { conversations, order } = useApp.getState().chat;
    const text = await exportConversations(order.map((id) => conversations[id]!), loadMedia);
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `pandagpt-conversations-${new Date().toISOString().slice(0, 10)}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (e) {
    toast(e, 'Export failed');
  }
}

export async function importFile(file: File): Promise<void> {
  try {
    if (file.size > 1024 ** 3) throw new PandaError('MEDIA_TOO_LARGE', 'This file is too large to be a conversation export.');
    const items = parseExport(await file.text());
    for (const { conversation, media } of items) {
      for (const m of media) await saveMedia(m.id, m.blob);
      await saveConversation(conversation);
    }
    useApp.getState().importConversations(items.map((i) => i.conversation));
    useApp.getState().pushToast({ kind: 'info', message: `Imported ${items.length} conversation${items.length === 1 ? '' : 's'}.` });
  } catch (e) {
    toast(e, 'Import failed');
  }
}
