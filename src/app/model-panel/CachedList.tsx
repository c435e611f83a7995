/** The cached bundles: size, last use, and verify / delete / use buttons. */
import type { CachedBundleInfo } from '../../model-store';
import { formatBytes, formatWhen } from './format';

interface Props {
  bundles: CachedBundleInfo[];
  verified: Record<string, boolean>;
  disabled: boolean;
  onVerify(id: string): void;
  onRemove(id: string): void;
  onUse(b: CachedBundleInfo): void;
}

export function CachedList({ bundles, verified, disabled, onVerify, onRemove, onUse }: Props) {
  if (bundles.length === 0) return <p className="model-list-empty">No models are stored in this browser yet.</p>;
  return (
    <ul className="model-list" aria-label="Cached models">
      {bundles.map((b) => (
        <li key={b.id} className="model-list-item" data-testid="cached-model" data-complete={b.complete}>
          <div className="model-list-name">{b.name}</div>
          <div className="model-list-meta">
            <span>{b.complete ? formatBytes(b.sizeBytes) : `partial: ${formatBytes(b.storedBytes)} stored`}</span> · <span>{b.label}</span> ·{' '}
            <span>used {formatWhen(b.lastUsed)}</span>
            {b.id in verified && (
              <span className={verified[b.id] ? 'model-verify-ok' : 'model-verify-bad'} role="status">
                {' '}
                · {verified[b.id] ? 'verified' : 'damaged: load it again to repair'}
              </span>
            )}
          </div>
          <div className="model-list-actions">
            {b.kind === 'url' && (
              <button type="button" disabled={disabled} onClick={() => onUse(b)}>
                {b.complete && !b.partial ? 'Use' : 'Resume'}
                <span className="visually-hidden"> {b.name}</span>
              </button>
            )}
            <button type="button" disabled={disabled || !b.complete} onClick={() => onVerify(b.id)}>
              Verify<span className="visually-hidden"> {b.name}</span>
            </button>
            <button type="button" disabled={disabled} onClick={() => onRemove(b.id)}>
              Delete<span className="visually-hidden"> {b.name}</span>
            </button>
          </div>
        </li>
      ))}
    </ul>
  );
}
