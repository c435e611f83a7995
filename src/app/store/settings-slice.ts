/** Generation settings, backend override and theme; persisted in localStorage (small, synchronous). */
import type { StateCreator } from 'zustand';
import { PANDAGPT_GENERATION } from '../../core/manifest';
import type { AppState } from './index';

export interface Settings {
  temperature: number;
  topP: number;
  topK: number;
  maxNewTokens: number;
  /** null = a fresh random seed per answer. */
  seed: number | null;
  greedy: boolean;
  backend: 'auto' | 'webgpu' | 'wasm';
  theme: 'system' | 'light' | 'dark';
}

export const DEFAULT_SETTINGS: Settings = {
  temperature: PANDAGPT_GENERATION.temperature,
  topP: PANDAGPT_GENERATION.topP,
  topK: PANDAGPT_GENERATION.topK,
  maxNewTokens: PANDAGPT_GENERATION.maxNewTokens,
  seed: null,
  greedy: false,
  backend: 'auto',
  theme: 'system',
};

const KEY = 'pandagpt.settings.v1';

export function loadSettings(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): Settings {
  const raw = storage?.getItem(KEY);
  if (!raw) return { ...DEFAULT_SETTINGS };
  try {
    const parsed = JSON.parse(raw) as Partial<Settings>;
    return { ...DEFAULT_SETTINGS, ...parsed };
  } catch {
    return { ...DEFAULT_SETTINGS }; // a corrupt entry is not worth an error: settings are re-chosen in one click
  }
}

export interface SettingsSlice {
  settings: Settings;
  /** True once the user changed a generation setting (then manifest defaults no longer apply). */
  settingsTouched: boolean;
  updateSettings: (patch: Partial<Settings>) => void;
  resetSettings: (defaults?: Partial<Settings>) => void;
}

export const createSettingsSlice: StateCreator<AppState, [], [], SettingsSlice> = (set, get) => ({
  settings: loadSettings(),
  settingsTouched: globalThis.localStorage?.getItem(KEY) != null,
  updateSettings: (patch) => {
    set((s) => ({ settings: { ...s.settings, ...patch }, settingsTouched: true }));
    globalThis.localStorage?.setItem(KEY, JSON.stringify(get().settings));
  },
  resetSettings: (defaults) => {
    set((s) => ({ settings: { ...DEFAULT_SETTINGS, ...defaults, backend: s.settings.backend, theme: s.settings.theme }, settingsTouched: false }));
    globalThis.localStorage?.removeItem(KEY);
  },
});
