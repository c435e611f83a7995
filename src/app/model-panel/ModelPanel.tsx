/**
 * Self-contained model panel: cached models (size, last use, verify, delete), load from URL or
 * folder, and download progress. Styling via `model-*` CSS classes only; the app themes them.
 *
 *   <ModelPanel onPrepared={(bundle, source) => startModel(source)} />
 *
 * `onPrepared` runs after a bundle is downloaded and verified (the app then opens it from cache).
 */
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import { createModelStore, type BundleSource, type CachedBundle, type ModelStore } from '../../model-store';
import { CachedList } from './CachedList';
import { ProgressView } from './ProgressView';
import { createPanelStore } from './panel-store';

export interface ModelPanelProps {
  /** Defaults to the app's IndexedDB store (`createModelStore()`). */
  store?: ModelStore;
  onPrepared?: (bundle: CachedBundle, source: BundleSource) => void;
}

export function ModelPanel({ store, onPrepared }: ModelPanelProps = {}) {
  // The latest callback, read at call time: an inline arrow from the parent must not reset the panel.
  const onPreparedRef = useRef(onPrepared);
  onPreparedRef.current = onPrepared;
  const panel = useMemo(() => createPanelStore({ store: store ?? createModelStore(), onPrepared: (b, src) => onPreparedRef.current?.(b, src) }), [store]);
  const s = useStore(panel);
  const [url, setUrl] = useState('');
  const urlId = useId();
  const folderId = useId();

  useEffect(() => {
    void panel.getState().refresh();
  }, [panel]);

  const submitUrl = (e: FormEvent) => {
    e.preventDefault();
    if (url.trim()) void s.loadFromUrl(url);
  };
  const busy = s.busy !== null;

  return (
    <section className="model-panel" aria-labelledby={`${urlId}-title`}>
      <h2 id={`${urlId}-title`} className="model-panel-title">
        Models
      </h2>

      <CachedList
        bundles={s.bundles}
        verified={s.verified}
        disabled={busy}
        onVerify={(id) => void s.verify(id)}
        onRemove={(id) => void s.remove(id)}
        onUse={(b) => void s.loadFromUrl(b.label)}
      />

      <form className="model-load-url" onSubmit={submitUrl}>
        <label htmlFor={urlId}>Model URL</label>
        <input id={urlId} type="url" inputMode="url" placeholder="https://example.org/bundle/" value={url} onChange={(e) => setUrl(e.target.value)} disabled={busy} />
        <button type="submit" disabled={busy || !url.trim()}>
          Load from URL
        </button>
      </form>

      <div className="model-load-folder">
        <label htmlFor={folderId}>Load from folder</label>
        <input
          id={folderId}
          type="file"
          // webkitdirectory is not in React's types; it makes the picker choose a folder.
          {...{ webkitdirectory: '', directory: '' }}
          multiple
          disabled={busy}
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            e.target.value = '';
            if (files.length) void s.loadFromFolder(files);
          }}
        />
      </div>

      {s.busy && (
        <div className="model-busy" data-testid="model-busy">
          {s.busy.kind === 'download' && s.progress && <ProgressView progress={s.progress} label={s.busy.label} />}
          {s.busy.kind === 'verify' && s.verifyProgress && (
            <progress max={s.verifyProgress.total || 1} value={s.verifyProgress.done} aria-label="Verification progress" />
          )}
          <button type="button" onClick={() => s.cancel()}>
            Cancel
          </button>
        </div>
      )}

      {s.notices.length > 0 && (
        <ul className="model-notices" aria-label="Notices">
          {s.notices.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
      {s.error && (
        <p className="model-error" role="alert" data-code={s.error.code}>
          {s.error.message}
        </p>
      )}
    </section>
  );
}
