import { afterEach, describe, expect, it } from 'vitest';
import { joinDraft, loadDraft } from '../../src/app/store/composer-slice';
import { createAppStore } from '../../src/app/store';

/** localStorage as the browser has it (Node has none): a real Map behind the Storage methods. */
function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

describe('composer draft', () => {
  afterEach(() => {
    delete (globalThis as { localStorage?: Storage }).localStorage;
  });

  it('survives a reload, and a message that waited for media comes back as text', () => {
    (globalThis as { localStorage?: Storage }).localStorage = memoryStorage();
    const a = createAppStore();
    a.getState().setDraft('typed but not sent');
    expect(createAppStore().getState().composer.draft).toBe('typed but not sent'); // "reload"
    a.getState().setDraft('');
    a.getState().setPending({ conversationId: 'c', text: 'what is this?' });
    a.getState().setDraft('and more');
    // The page went away while the message waited for its media: nothing typed is lost.
    expect(createAppStore().getState().composer.draft).toBe('what is this?\nand more');
    a.getState().setPending(null);
    a.getState().setDraft('');
    expect(localStorage.getItem('pandagpt.draft.v1')).toBeNull();
  });

  it('puts an unsent message back before what was typed since, with the reason', () => {
    const s = createAppStore();
    s.getState().setDraft('typed meanwhile');
    s.getState().restoreDraft('the question', 'Not sent: "x.wav" could not be read');
    expect(s.getState().composer).toMatchObject({ draft: 'the question\ntyped meanwhile', error: 'Not sent: "x.wav" could not be read' });
    expect(joinDraft('', 'b')).toBe('b');
    expect(joinDraft('a', '')).toBe('a');
    expect(loadDraft({ getItem: () => '{bad' })).toBe('');
    expect(loadDraft({ getItem: () => '{"draft":3,"pending":"p"}' })).toBe('p');
  });
});
