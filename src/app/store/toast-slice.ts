/** Error and info toasts. */
import type { StateCreator } from 'zustand';
import { newId } from './ids';
import type { AppState } from './index';

export interface Toast {
  id: string;
  kind: 'error' | 'info';
  message: string;
  code?: string;
}

export interface ToastSlice {
  toasts: Toast[];
  pushToast: (t: Omit<Toast, 'id'>) => string;
  dismissToast: (id: string) => void;
}

export const createToastSlice: StateCreator<AppState, [], [], ToastSlice> = (set) => ({
  toasts: [],
  pushToast: (t) => {
    const id = newId('toast');
    set((s) => ({ toasts: [...s.toasts.slice(-4), { ...t, id }] }));
    return id;
  },
  dismissToast: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
});
