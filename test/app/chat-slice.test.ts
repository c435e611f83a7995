import { describe, expect, it } from 'vitest';
import { createAppStore } from '../../src/app/store';
import { DEFAULT_SETTINGS, loadSettings } from '../../src/app/store/settings-slice';

describe('app store', () => {
  it('creates, patches, orders and deletes conversations', () => {
    const s = createAppStore();
    const a = s.getState().newConversation();
    const b = s.getState().newConversation();
    expect(s.getState().chat.activeId).toBe(b);
    s.getState().patchConversation(a, (c) => ({ ...c, title: 'A', updatedAt: 0 }));
    expect(s.getState().chat.order[0]).toBe(a); // most recently updated first
    s.getState().patchConversation(a, (c) => ({ ...c, messages: [{ id: 'm', role: 'user', text: 'x' }] }));
    s.getState().patchMessage(a, 'm', { text: 'y' });
    expect(s.getState().chat.conversations[a]!.messages[0]!.text).toBe('y');
    s.getState().selectConversation(a);
    s.getState().deleteConversation(a);
    expect(s.getState().chat.conversations[a]).toBeUndefined();
    expect(s.getState().chat.activeId).toBe(b);
  });

  it('hydration keeps conversations created meanwhile', () => {
    const s = createAppStore();
    const live = s.getState().newConversation();
    s.getState().hydrateChats([{ id: 'old', title: 'old', createdAt: 0, updatedAt: 0, messages: [], attachments: [] }]);
    expect(Object.keys(s.getState().chat.conversations).sort()).toEqual([live, 'old'].sort());
    expect(s.getState().chat.hydrated).toBe(true);
  });

  it('settings fall back to PandaGPT defaults on missing or corrupt storage', () => {
    expect(loadSettings({ getItem: () => null })).toEqual(DEFAULT_SETTINGS);
    expect(loadSettings({ getItem: () => '{bad' })).toEqual(DEFAULT_SETTINGS);
    expect(loadSettings({ getItem: () => '{"temperature":0.5}' }).temperature).toBe(0.5);
    expect(DEFAULT_SETTINGS).toMatchObject({ temperature: 1, topP: 0.01, topK: 50, maxNewTokens: 256 });
  });
});
