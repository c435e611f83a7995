/**
 * Registers `/sw.js` in production builds and offers updates without forcing them: when a new
 * version has installed and waits, `onUpdateReady(apply)` is called; `apply()` activates it and
 * reloads the page once the new worker controls it.
 */
export interface SwRegistrationOptions {
  /** Defaults to `./sw.js` next to the page (the build puts it in the output root). */
  url?: string;
  onUpdateReady?: (apply: () => void) => void;
  /** Called once the shell is cached and the app can start offline. */
  onOfflineReady?: () => void;
}

export async function registerServiceWorker(o: SwRegistrationOptions = {}): Promise<ServiceWorkerRegistration | null> {
  if (!('serviceWorker' in navigator)) return null;
  const reg = await navigator.serviceWorker.register(o.url ?? './sw.js');
  const hadController = navigator.serviceWorker.controller !== null;

  const offer = (w: ServiceWorker) =>
    o.onUpdateReady?.(() => {
      navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
      w.postMessage({ type: 'SKIP_WAITING' });
    });

  if (reg.waiting && hadController) offer(reg.waiting);
  reg.addEventListener('updatefound', () => {
    const w = reg.installing;
    w?.addEventListener('statechange', () => {
      if (w.state !== 'installed') return;
      // With a controller this is an update waiting for the user; without one, the first install.
      if (navigator.serviceWorker.controller) offer(w);
      else o.onOfflineReady?.();
    });
  });
  return reg;
}
