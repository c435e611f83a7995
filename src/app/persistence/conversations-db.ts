/**
 * Conversations and their media in IndexedDB (idb-keyval, our own databases, apart from the
 * model cache). A conversation is one record (vectors are Float32Arrays: structured-clone safe);
 * each attachment's original file is a Blob keyed by attachment id.
 */
import { createStore, del, delMany, entries, get, set, type UseStore } from 'idb-keyval';
import { PandaError } from '../../core/errors';
import type { Conversation } from '../store/types';

let stores: { chats: UseStore; media: UseStore } | undefined;
function db(): { chats: UseStore; media: UseStore } {
  stores ??= { chats: createStore('pandagpt-chats', 'conversations'), media: createStore('pandagpt-chat-media', 'blobs') };
  return stores;
}

function quota(e: unknown): never {
  if (e instanceof DOMException && e.name === 'QuotaExceededError') {
    throw new PandaError('QUOTA_EXCEEDED', 'The browser has no room left to save this conversation. Delete old conversations or cached models, then try again.');
  }
  throw e;
}

export async function saveConversation(c: Conversation): Promise<void> {
  await set(c.id, c, db().chats).catch(quota);
}

export async function loadConversations(): Promise<Conversation[]> {
  const all = await entries<string, Conversation>(db().chats);
  return all.map(([, c]) => c).sort((a, b) => b.updatedAt - a.updatedAt);
}

export async function deleteConversationData(c: Conversation): Promise<void> {
  await del(c.id, db().chats);
  await delMany(c.attachments.map((a) => a.id), db().media);
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
