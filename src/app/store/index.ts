/** The app store: one zustand store composed of slices (state + actions + selectors). */
import { create } from 'zustand';
import { createChatSlice, type ChatSlice } from './chat-slice';
import { createComposerSlice, type ComposerSlice } from './composer-slice';
import { createModelSlice, type ModelSlice } from './model-slice';
import { createSettingsSlice, type SettingsSlice } from './settings-slice';
import { createToastSlice, type ToastSlice } from './toast-slice';

export type AppState = ChatSlice & ComposerSlice & ModelSlice & SettingsSlice & ToastSlice;

export function createAppStore() {
  return create<AppState>()((...a) => ({
    ...createChatSlice(...a),
    ...createComposerSlice(...a),
    ...createModelSlice(...a),
    ...createSettingsSlice(...a),
    ...createToastSlice(...a),
  }));
}

export const useApp = createAppStore();
