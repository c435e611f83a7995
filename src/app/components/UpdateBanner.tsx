import { useSyncExternalStore } from 'react';

/**
 * "A new version is ready" banner. The service worker (src/sw/register.ts) hands over `apply`;
 * the page is only reloaded when the user asks, never in the middle of a conversation.
 * Its own tiny store so main.tsx can offer an update without touching the app store.
 */
let pending: (() => void) | null = null;
const listeners = new Set<() => void>();

/** Called by the registration when a new version waits; shows the banner. */
export function offerUpdate(apply: () => void): void {
  pending = apply;
  for (const l of listeners) l();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function UpdateBanner() {
  const apply = useSyncExternalStore(subscribe, () => pending);
  if (!apply) return null;
  return (
    // Fixed, so it overlays the full-height layout instead of pushing it down (styles live here: self-contained).
    <div className="banner banner-info update-banner" role="status" data-testid="update-banner" style={{ position: 'fixed', bottom: 16, left: '50%', transform: 'translateX(-50%)', zIndex: 50, alignItems: 'center', borderRadius: 8, boxShadow: '0 2px 8px rgba(0,0,0,.25)' }}>
      <span>A new version of the app is ready.</span>
      <button type="button" onClick={() => apply()}>
        Reload to update
      </button>
    </div>
  );
}
