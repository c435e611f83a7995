import { useApp } from '../store';

/** The bundle's notice (e.g. "random weights") and recovery messages after a crash. */
export function Banners() {
  const notice = useApp((s) => s.model.notice);
  const banner = useApp((s) => s.model.banner);
  const error = useApp((s) => (s.model.state === 'error' ? s.model.error : undefined));
  const setModel = useApp((s) => s.setModel);
  return (
    <>
      {notice && (
        <div className="banner banner-notice" data-testid="model-notice" role="note">
          {notice}
        </div>
      )}
      {error && (
        <div className="banner banner-error" role="alert">
          {error}
        </div>
      )}
      {banner && (
        <div className="banner banner-info" role="status" data-testid="recovery-banner">
          {banner}
          <button type="button" className="icon-btn" aria-label="Dismiss" onClick={() => setModel({ banner: undefined })}>
            ×
          </button>
        </div>
      )}
    </>
  );
}
