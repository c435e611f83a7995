/**
 * Conversations and their media in IndexedDB (idb-keyval, our own databases, apart from the
 * model cache). A conversation is one record (vectors are Float32Arrays: structured-clone safe);
 * each attachment's original file is a Blob keyed by attachment id.
 *
 * Saves are compare-and-set on `rev` inside one readwrite transaction, so two tabs never silently
 * overwrite each other's messages: a save based on an older revision reports the stored one.
 */
import { createStore, del, delMany, entries, get, promisifyRequest, set, type UseStore } from 'idb-keyval';
import { PandaError } from '../../core/errors';
import type { Conversation } from '../store/types';

let stores: { chats: UseStore; media: UseStore } | undefined;
function db(): { chats: UseStore; media: UseStore } {
  stores ??= { chats: createStore('pandagpt-chats', 'conversations'), media: createStore('pandagpt-chat-media', 'blobs') };
  return stores;
}

export function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === 'QuotaExceededError' || (e instanceof PandaError && e.code === 'QUOTA_EXCEEDED');
}

function quota(e: unknown): never {
  if (isQuotaError(e) && !(e instanceof PandaError)) {
    throw new PandaError('QUOTA_EXCEEDED', 'The browser has no room left to save this conversation. Delete old conversations or cached models, then try again.');
  }
  throw e;
}

export type SaveResult = { ok: true; rev: number } | { ok: false; stored: Conversation };

/** Writes `c` as revision `(c.rev ?? 0) + 1` unless the stored record has moved on since `c.rev`. */
export async function saveConversation(c: Conversation): Promise<SaveResult> {
  const base = c.rev ?? 0;
  return db()
    .chats('readwrite', async (store) => {
      const stored = await promisifyRequest<Conversation | undefined>(store.get(c.id));
      // A record deleted in another tab is simply written again: this tab is still using it.
      if (stored && (stored.rev ?? 0) !== base) return { ok: false as const, stored };
      store.put({ ...c, rev: base + 1 }, c.id);
      store.transaction.commit?.(); // durable even if the page goes away right now
      await promisifyRequest(store.transaction);
      return { ok: true as const, rev: base + 1 };
    })
    .catch(quota);
}

export async function loadConversation(id: string): Promise<Conversation | undefined> {
  return get<Conversation>(id, db().chats);
}

export async function loadConversations(): Promise<Conversation[]> {
  const all = await entries<string, Conversation>(db().chats);
  return all.map(([, c]) => c).sort((a, b) => b.updatedAt - a.updatedAt);
}

/** Deletes a conversation and those of its media no other conversation uses. */
export async function deleteConversationData(c: Conversation, stillUsed: ReadonlySet<string> = new Set()): Promise<void> {
  await deleteCommitted(c.id, db().chats);
  await delMany(c.attachments.map((a) => a.id).filter((id) => !stillUsed.has(id)), db().media);
}

export async function deleteConversationRecord(id: string): Promise<void> {
  await deleteCommitted(id, db().chats);
}

/**
 * A delete committed at once (`IDBTransaction.commit()`): a page that reloads or closes right after
 * the user deleted a conversation would otherwise abort the transaction before it auto-commits, and
 * the conversation came back (seen in CI).
 */
function deleteCommitted(key: string, store: UseStore): Promise<void> {
  return store('readwrite', (s) => {
    s.delete(key);
    s.transaction.commit?.();
    return promisifyRequest(s.transaction);
  });
}

export async function saveMedia(attachmentId: string, blob: Blob): Promise<void> {
  await set(attachmentId, blob, db().media).catch(quota);
}

export async function loadMedia(attachmentId: string): Promise<Blob | undefined> {
  return get<Blob>(attachmentId, db().media);
}

export async function deleteMedia(attachmentId: string): Promise<void> {
  await del(attachmentId, db().media);
}
