/**
 * Saves conversations to IndexedDB. Saves of one conversation run one after another (each based on
 * the revision the previous one wrote); bursts (streamed tokens) are coalesced. Another tab's newer
 * save is never overwritten: both versions are kept, the other one as a copy, and the user is told.
 * A save that fails (storage full) keeps the conversation in memory and says so once; the next
 * successful save writes everything.
 */
import { useApp } from '../store';
import { newId } from '../store/ids';
import type { Conversation } from '../store/types';
import { isQuotaError, saveConversation } from '../persistence/conversations-db';
import { announce } from './sync';

const pending = new Map<string, ReturnType<typeof setTimeout>>();
const chains = new Map<string, Promise<void>>();
/** Conversations whose last save failed (told once, until a save succeeds). */
const unsaved = new Set<string>();

/** This tab has changes to `id` that are not saved yet (another tab's copy must not replace them). */
export function hasUnsavedChanges(id: string): boolean {
  return pending.has(id) || chains.has(id) || unsaved.has(id);
}

/** Saves after `delayMs` of quiet (a new call restarts the wait). */
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

/** Saves at most once per `intervalMs` while called (a streaming answer is saved as it grows). */
export function persistThrottled(conversationId: string, intervalMs = 500): void {
  if (pending.has(conversationId)) return;
  persistSoon(conversationId, intervalMs);
}

export function persistNow(conversationId: string): Promise<void> {
  const next = (chains.get(conversationId) ?? Promise.resolve()).then(() => saveLatest(conversationId));
  chains.set(conversationId, next);
  void next.finally(() => chains.get(conversationId) === next && chains.delete(conversationId));
  return next;
}

/**
 * Before deleting a conversation's record: drops its pending saves and waits for one in flight, so
 * no save lands after the delete (a save that finds no record writes it again, by design, for a
 * conversation another tab deleted while this one still uses it). Remove it from the store first.
 */
export async function forgetSaves(conversationId: string): Promise<void> {
  clearTimeout(pending.get(conversationId));
  pending.delete(conversationId);
  unsaved.delete(conversationId);
  await chains.get(conversationId);
}

/** Every save asked for so far has finished (used before the page goes away and by tests). */
export async function flushAll(): Promise<void> {
  for (const [id, t] of pending) {
    clearTimeout(t);
    pending.delete(id);
    void persistNow(id);
  }
  await Promise.all(chains.values());
}

async function saveLatest(cid: string, attempt = 0): Promise<void> {
  const c = useApp.getState().chat.conversations[cid];
  if (!c) return;
  try {
    const r = await saveConversation(c);
    if (r.ok) {
      useApp.getState().setConversationRev(cid, r.rev);
      if (unsaved.delete(cid)) useApp.getState().pushToast({ kind: 'info', message: `"${c.title}" is saved again.` });
      announce({ type: 'saved', id: cid, rev: r.rev });
      return;
    }
    if (attempt > 2) throw new Error('another tab keeps changing this conversation');
    await keepBoth(c, r.stored);
    await saveLatest(cid, attempt + 1);
  } catch (e) {
    if (unsaved.has(cid)) return;
    unsaved.add(cid);
    const err = e as { message?: string; code?: string };
    const what = isQuotaError(e)
      ? 'The browser has no room left to save it: it stays open here, but would be lost on reload. Delete old conversations or cached models to free space.'
      : `${err.message ?? String(e)}. It stays open here.`;
    useApp.getState().pushToast({ kind: 'error', message: `Could not save "${c.title}". ${what}`, code: err.code ?? 'SAVE_FAILED' });
  }
}

/**
 * Another tab saved this conversation since this tab read it. This tab's version stays under its
 * id (an answer may be streaming into it); the other tab's version is saved as a copy.
 */
async function keepBoth(mine: Conversation, theirs: Conversation): Promise<void> {
  const copy: Conversation = { ...theirs, id: newId('conv'), title: `${theirs.title} (other tab)`, rev: undefined };
  const r = await saveConversation(copy);
  if (r.ok) {
    useApp.getState().upsertConversation({ ...copy, rev: r.rev });
    announce({ type: 'saved', id: copy.id, rev: r.rev });
  }
  useApp.getState().setConversationRev(mine.id, theirs.rev ?? 0);
  useApp.getState().pushToast({
    kind: 'info',
    message: `"${mine.title}" was also changed in another tab. Both versions are kept: the other tab's is in "${copy.title}".`,
    code: 'EDIT_CONFLICT',
  });
}
