/**
 * State and actions of the model panel (one small zustand store per panel, so the component holds
 * no session state). All work goes through the ModelStore; errors keep their PandaError code.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { PandaError, isPandaError } from '../../core/errors';
import { createFolderSource, createUrlSource, type BundleSource, type CachedBundle, type CachedBundleInfo, type ModelStore, type ProgressSnapshot } from '../../model-store';

export interface PanelError {
  code: string;
  message: string;
}

export interface PanelState {
  bundles: CachedBundleInfo[];
  /** What is running now; null when idle. */
  busy: { kind: 'download' | 'verify'; label: string } | null;
  progress: ProgressSnapshot | null;
  verifyProgress: { done: number; total: number } | null;
  notices: string[];
  error: PanelError | null;
  /** Result of the last verify per bundle id. */
  verified: Record<string, boolean>;
  refresh(): Promise<void>;
  loadFromUrl(url: string): Promise<void>;
  loadFromFolder(files: File[] | FileSystemDirectoryHandle): Promise<void>;
  verify(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  cancel(): void;
}

export interface PanelDeps {
  store: ModelStore;
  onPrepared?: (bundle: CachedBundle, source: BundleSource) => void;
}

const toPanelError = (e: unknown): PanelError =>
  isPandaError(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };

export function createPanelStore({ store, onPrepared }: PanelDeps): StoreApi<PanelState> {
  let ctrl: AbortController | null = null;
  return createStore<PanelState>()((set, get) => {
    async function run(label: string, kind: 'download' | 'verify', work: (signal: AbortSignal) => Promise<void>) {
      if (get().busy) return;
      ctrl = new AbortController();
      set({ busy: { kind, label }, error: null, notices: [], progress: null, verifyProgress: null });
      try {
        await work(ctrl.signal);
      } catch (e) {
        set({ error: toPanelError(e) });
      } finally {
        ctrl = null;
        set({ busy: null });
        await get().refresh();
      }
    }

    async function prepare(source: BundleSource, signal: AbortSignal) {
      const bundle = await store.prepare(source, {
        signal,
        onProgress: (e) => {
          if (e.type === 'progress') set({ progress: e.progress });
          else if (e.type === 'notice') set((s) => ({ notices: [...s.notices, e.message] }));
        },
      });
      onPrepared?.(bundle, source);
    }

    return {
      bundles: [],
      busy: null,
      progress: null,
      verifyProgress: null,
      notices: [],
      error: null,
      verified: {},
      async refresh() {
        try {
          set({ bundles: await store.list() });
        } catch (e) {
          set({ error: toPanelError(e) });
        }
      },
      loadFromUrl: (url) =>
        run(url, 'download', async (signal) => {
          let source: BundleSource;
          try {
            source = createUrlSource(url.trim());
          } catch {
            throw new PandaError('DOWNLOAD_FAILED', `"${url}" is not a valid URL. Enter the address of a bundle folder (the one with manifest.json).`, { url });
          }
          await prepare(source, signal);
        }),
      loadFromFolder: (files) => {
        const source = createFolderSource(files);
        return run(source.label, 'download', (signal) => prepare(source, signal));
      },
      verify: (id) =>
        run(id, 'verify', async (signal) => {
          const ok = await store.verify(id, { signal, onProgress: (done, total) => set({ verifyProgress: { done, total } }) });
          set((s) => ({ verified: { ...s.verified, [id]: ok } }));
        }),
      async remove(id) {
        if (get().busy) return;
        try {
          await store.remove(id);
        } catch (e) {
          set({ error: toPanelError(e) });
        }
        set((s) => {
          const { [id]: _dropped, ...verified } = s.verified;
          return { verified };
        });
        await get().refresh();
      },
      cancel() {
        ctrl?.abort();
      },
    };
  });
}
