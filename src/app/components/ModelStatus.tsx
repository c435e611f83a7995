import { useApp } from '../store';

export function ModelStatus() {
  const model = useApp((s) => s.model);
  const pct = model.progress?.fraction != null ? Math.round(model.progress.fraction * 100) : null;
  const label =
    model.state === 'ready' ? `${model.name ?? 'Model'} ready` : model.state === 'loading' ? (model.progress?.stage ?? 'Loading…') : model.state === 'error' ? 'Model failed to load' : 'No model';
  return (
    <div className="model-status" data-testid="model-status" data-state={model.state} data-load-read-ms={model.loadTimings?.readMs.toFixed(1)} data-load-other-ms={model.loadTimings?.otherMs.toFixed(1)} role="status" aria-live="polite">
      <span className={`dot dot-${model.state}`} aria-hidden="true" />
      <span className="model-status-label">{label}</span>
      {model.state === 'loading' && (
        <span className="model-progress">
          <progress max={100} value={pct ?? undefined} aria-label="Model loading progress" />
          {pct != null && <span>{pct}%</span>}
          {model.progress?.detail && <span className="muted">{model.progress.detail}</span>}
        </span>
      )}
      {model.backend && (
        <span className="backend-chip" title={model.backend.reason} data-testid="backend-reason">
          {model.backend.backend === 'webgpu' ? 'WebGPU' : 'Wasm'}
          {model.variant ? ` · ${model.variant}` : ''}
        </span>
      )}
    </div>
  );
}
