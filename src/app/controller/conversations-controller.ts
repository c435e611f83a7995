/** Conversation list IO: load at start, delete, export/import as a file. */
import { PandaError } from '../../core/errors';
import { deleteConversationData, deleteConversationRecord, deleteMedia, loadConversations, loadMedia, saveConversation, saveMedia } from '../persistence/conversations-db';
import { exportConversations, parseExport, withFreshIds } from '../persistence/export-file';
import { useApp } from '../store';
import { newId } from '../store/ids';
import { forgetSaves } from './persist';
import { announce } from './sync';

function toast(e: unknown, what: string): void {
  const err = e as { message?: string; code?: string };
  useApp.getState().pushToast({ kind: 'error', message: `${what}: ${err.message ?? String(e)}`, code: err.code });
}

export async function hydrate(): Promise<void> {
  try {
    const list = await loadConversations();
    // An answer cut short by a reload is shown as stopped, not as still streaming.
    // Media still being read when the page went away have no vector: say so on the chip.
    useApp.getState().hydrateChats(
      list.map((c) => ({
        ...c,
        messages: c.messages.map((m) => (m.status === 'streaming' ? { ...m, status: 'stopped' as const } : m)),
        attachments: c.attachments.map((a) => (a.status === 'encoding' && !a.vector ? { ...a, status: 'error' as const, error: 'Reading was interrupted; attach the file again.' } : a)),
      })),
    );
  } catch (e) {
    useApp.getState().hydrateChats([]);
    toast(e, 'Saved conversations could not be read');
  }
}

export async function deleteConversation(id: string): Promise<void> {
  const c = useApp.getState().chat.conversations[id];
  if (!c) return;
  useApp.getState().deleteConversation(id);
  // A copy kept after a conflict between tabs shares its media files: those stay.
  const stillUsed = new Set(Object.values(useApp.getState().chat.conversations).flatMap((x) => x.attachments.map((a) => a.id)));
  // The delete is issued at once (and commits at once): a reload right after the click must find it
  // done. IndexedDB runs readwrite transactions on one store in the order they were created, so a
  // save already issued lands before it, and a later one finds no conversation and writes nothing.
  const removed = deleteConversationData(c, stillUsed).catch((e) => toast(e, 'The conversation could not be deleted from storage'));
  await forgetSaves(id);
  await removed;
  announce({ type: 'deleted', id });
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
    const { conversations } = useApp.getState().chat;
    const used = new Set(Object.values(conversations).flatMap((c) => [c.id, ...c.attachments.map((a) => a.id)]));
    const items = parseExport(await file.text()).map((item) => withFreshIds(item, (id) => used.has(id), newId));
    const written: { media: string[]; conversations: string[] } = { media: [], conversations: [] };
    try {
      for (const { conversation, media } of items) {
        for (const m of media) {
          await saveMedia(m.id, m.blob);
          written.media.push(m.id);
        }
        const r = await saveConversation(conversation);
        if (!r.ok) throw new PandaError('INTERNAL', `conversation "${conversation.title}" was written by another tab meanwhile`);
        written.conversations.push(conversation.id);
        conversation.rev = r.rev;
      }
    } catch (e) {
      // All or nothing: take back what this import wrote.
      await Promise.all([...written.media.map((id) => deleteMedia(id)), ...written.conversations.map((id) => deleteConversationRecord(id))]).catch(() => undefined);
      throw e;
    }
    useApp.getState().importConversations(items.map((i) => i.conversation));
    for (const i of items) announce({ type: 'saved', id: i.conversation.id, rev: i.conversation.rev ?? 1 });
    useApp.getState().pushToast({ kind: 'info', message: `Imported ${items.length} conversation${items.length === 1 ? '' : 's'}.` });
  } catch (e) {
    toast(e, 'Import failed');
  }
}
