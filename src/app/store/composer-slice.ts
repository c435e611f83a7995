/**
 * What the user is typing, and a message that waits for its media. The draft is kept in
 * localStorage on every change, so a reload, a crash or a closed tab never loses typed text; a
 * message waiting for its media is kept there too until it has really been sent.
 */
import type { StateCreator } from 'zustand';
import type { AppState } from './index';

/** A message the user sent while its media were still being read: sent once they are ready. */
export interface PendingSend {
  conversationId: string;
  text: string;
}

export interface ComposerSlice {
  composer: {
    draft: string;
    pending: PendingSend | null;
    /** Why the last message was not sent (its text is back in the draft). */
    error: string | null;
    /** Captures (microphone, webcam) recording or finishing: their file is not attached yet. */
    capturing: number;
  };
  setDraft: (text: string) => void;
  setPending: (p: PendingSend | null) => void;
  /** Puts an unsent message back into the composer (before whatever was typed since). */
  restoreDraft: (text: string, error: string | null) => void;
  clearComposerError: () => void;
  addCapturing: (delta: 1 | -1) => void;
}

const KEY = 'pandagpt.draft.v1';

interface Stored {
  draft: string;
  pending?: string;
}

export function joinDraft(before: string, after: string): string {
  if (!before) return after;
  if (!after) return before;
  return `${before}\n${after}`;
}

/** The draft at start-up; a message that was waiting for media when the page went away comes back as text. */
export function loadDraft(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): string {
  try {
    const raw = storage?.getItem(KEY);
    if (!raw) return '';
    const s = JSON.parse(raw) as Partial<Stored>;
    return joinDraft(typeof s.pending === 'string' ? s.pending : '', typeof s.draft === 'string' ? s.draft : '');
  } catch {
    return '';
  }
}

function save(c: ComposerSlice['composer']): void {
  try {
    const s: Stored = { draft: c.draft, ...(c.pending ? { pending: c.pending.text } : {}) };
    if (!s.draft && !s.pending) globalThis.localStorage?.removeItem(KEY);
    else globalThis.localStorage?.setItem(KEY, JSON.stringify(s));
  } catch {
    // Storage full or disabled: the draft stays in memory, which is all we can do.
  }
}

export const createComposerSlice: StateCreator<AppState, [], [], ComposerSlice> = (set, get) => {
  const update = (patch: Partial<ComposerSlice['composer']>, persist = true): void => {
    set((s) => ({ composer: { ...s.composer, ...patch } }));
    if (persist) save(get().composer);
  };
  return {
    composer: { draft: loadDraft(), pending: null, error: null, capturing: 0 },
    setDraft: (draft) => update({ draft }),
    setPending: (pending) => update({ pending, ...(pending ? { error: null } : {}) }),
    restoreDraft: (text, error) => update({ draft: joinDraft(text, get().composer.draft), error }),
    clearComposerError: () => update({ error: null }, false),
    addCapturing: (delta) => update({ capturing: Math.max(0, get().composer.capturing + delta) }, false),
  };
};
