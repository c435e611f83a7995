import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '../styles/app.css';
import { registerServiceWorker } from '../sw/register';
import { App } from './App';
import { offerUpdate, UpdateBanner } from './components/UpdateBanner';
import { hydrate } from './controller/conversations-controller';
import { startModel } from './controller/model-controller';
import { flushAll } from './controller/persist';
import { startSync } from './controller/sync';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <UpdateBanner />
    <App />
  </StrictMode>,
);

startSync();
void hydrate();
void startModel();
// Best effort when the tab goes away: save what is still waiting (a streaming answer is also
// saved as it grows, so at most the last half second of it can be lost).
addEventListener('pagehide', () => void flushAll());

// Production only: the dev server has no sw.js. Registered after the first render so installing
// the shell cache never delays the app; an update is offered in a banner, never applied by itself.
if (import.meta.env.PROD) {
  registerServiceWorker({ onUpdateReady: offerUpdate }).catch((e: unknown) => console.warn('service worker registration failed', e));
}
