/** Conversations, their messages and media. Pure state transitions; IO lives in ../controller. */
import type { StateCreator } from 'zustand';
import { newId } from './ids';
import type { AppState } from './index';
import type { Attachment, Conversation, Message } from './types';

export interface ChatSlice {
  chat: {
    conversations: Record<string, Conversation>;
    /** Most recently updated first. */
    order: string[];
    activeId: string | null;
    generating: { conversationId: string; messageId: string } | null;
    /** Persisted conversations were read (until then the sidebar shows nothing). */
    hydrated: boolean;
  };
  hydrateChats: (list: Conversation[]) => void;
  newConversation: () => string;
  selectConversation: (id: string | null) => void;
  deleteConversation: (id: string) => void;
  importConversations: (list: Conversation[]) => void;
  patchConversation: (id: string, fn: (c: Conversation) => Conversation) => void;
  patchMessage: (conversationId: string, messageId: string, patch: Partial<Message>) => void;
  patchAttachment: (conversationId: string, attachmentId: string, patch: Partial<Attachment>) => void;
  setGenerating: (g: ChatSlice['chat']['generating']) => void;
  /** Records the stored revision a conversation is now based on (no change to its content or order). */
  setConversationRev: (id: string, rev: number) => void;
  /** Puts in a conversation saved by another tab (or a copy made on a conflict), keeping the selection. */
  upsertConversation: (c: Conversation) => void;
}

function sortOrder(convs: Record<string, Conversation>): string[] {
  return Object.values(convs)
    .sort((a, b) => b.updatedAt - a.updatedAt)
    .map((c) => c.id);
}

export function emptyConversation(now = Date.now()): Conversation {
  return { id: newId('conv'), title: 'New chat', createdAt: now, updatedAt: now, messages: [], attachments: [] };
}

export const createChatSlice: StateCreator<AppState, [], [], ChatSlice> = (set) => ({
  chat: { conversations: {}, order: [], activeId: null, generating: null, hydrated: false },
  hydrateChats: (list) =>
    set((s) => {
      const conversations = { ...s.chat.conversations };
      for (const c of list) conversations[c.id] ??= c;
      const order = sortOrder(conversations);
      return { chat: { ...s.chat, conversations, order, activeId: s.chat.activeId ?? order[0] ?? null, hydrated: true } };
    }),
  newConversation: () => {
    const c = emptyConversation();
    set((s) => {
      const conversations = { ...s.chat.conversations, [c.id]: c };
      return { chat: { ...s.chat, conversations, order: sortOrder(conversations), activeId: c.id } };
    });
    return c.id;
  },
  selectConversation: (id) => set((s) => ({ chat: { ...s.chat, activeId: id } })),
  deleteConversation: (id) =>
    set((s) => {
      const conversations = { ...s.chat.conversations };
      delete conversations[id];
      const order = sortOrder(conversations);
      return { chat: { ...s.chat, conversations, order, activeId: s.chat.activeId === id ? (order[0] ?? null) : s.chat.activeId } };
    }),
  importConversations: (list) =>
    set((s) => {
      const conversations = { ...s.chat.conversations };
      for (const c of list) conversations[c.id] = c;
      const order = sortOrder(conversations);
      return { chat: { ...s.chat, conversations, order, activeId: list[0]?.id ?? s.chat.activeId } };
    }),
  patchConversation: (id, fn) =>
    set((s) => {
      const c = s.chat.conversations[id];
      if (!c) return s;
      const conversations = { ...s.chat.conversations, [id]: { ...fn(c), updatedAt: Date.now() } };
      return { chat: { ...s.chat, conversations, order: sortOrder(conversations) } };
    }),
  patchMessage: (cid, mid, patch) =>
    set((s) => {
      const c = s.chat.conversations[cid];
      if (!c) return s;
      const messages = c.messages.map((m) => (m.id === mid ? { ...m, ...patch } : m));
      return { chat: { ...s.chat, conversations: { ...s.chat.conversations, [cid]: { ...c, messages } } } };
    }),
  patchAttachment: (cid, aid, patch) =>
    set((s) => {
      const c = s.chat.conversations[cid];
      if (!c) return s;
      const attachments = c.attachments.map((a) => (a.id === aid ? { ...a, ...patch } : a));
      return { chat: { ...s.chat, conversations: { ...s.chat.conversations, [cid]: { ...c, attachments } } } };
    }),
  setGenerating: (g) => set((s) => ({ chat: { ...s.chat, generating: g } })),
  setConversationRev: (id, rev) =>
    set((s) => {
      const c = s.chat.conversations[id];
      if (!c) return s;
      return { chat: { ...s.chat, conversations: { ...s.chat.conversations, [id]: { ...c, rev } } } };
    }),
  upsertConversation: (c) =>
    set((s) => {
      const conversations = { ...s.chat.conversations, [c.id]: c };
      return { chat: { ...s.chat, conversations, order: sortOrder(conversations) } };
    }),
});

export const selectActive = (s: AppState): Conversation | undefined => (s.chat.activeId ? s.chat.conversations[s.chat.activeId] : undefined);
