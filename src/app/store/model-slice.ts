/** Model status: what the header's `model-status` shows. */
import type { StateCreator } from 'zustand';
import type { BackendChoice } from '../workers/backend';
import type { AppState } from './index';

export type ModelState = 'none' | 'loading' | 'ready' | 'error';

export interface ModelProgress {
  stage: string;
  /** 0..1, or null when unknown. */
  fraction: number | null;
  detail?: string;
}

export interface ModelSlice {
  model: {
    state: ModelState;
    name?: string;
    notice?: string;
    progress?: ModelProgress;
    backend?: BackendChoice;
    variant?: string;
    /** The encoder is ready (media can be attached). */
    encoderReady: boolean;
    hasEncoder: boolean;
    error?: string;
    /** A recovery message after a worker crash or device loss. */
    banner?: string;
    /** Where the language model's last load spent its time (benchmarks read it from the status element). */
    loadTimings?: { totalMs: number; readMs: number; otherMs: number; bytes: number };
    /** The bundle's own zero-shot labels (what its model knows), if it ships them. */
    labels?: string[];
    defaults?: { maxNewTokens: number; temperature: number; topP: number; topK: number };
  };
  setModel: (patch: Partial<ModelSlice['model']>) => void;
}

export const createModelSlice: StateCreator<AppState, [], [], ModelSlice> = (set) => ({
  model: { state: 'none', encoderReady: false, hasEncoder: false },
  setModel: (patch) => set((s) => ({ model: { ...s.model, ...patch } })),
});

export const selectCanChat = (s: AppState): boolean => s.model.state === 'ready' && s.chat.generating === null;
