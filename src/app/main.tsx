import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '../styles/app.css';
import { registerServiceWorker } from '../sw/register';
import { App } from './App';
import { offerUpdate, UpdateBanner } from './components/UpdateBanner';
import { hydrate } from './controller/conversations-controller';
import { startModel } from './controller/model-controller';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <UpdateBanner />
    <App />
  </StrictMode>,
);

void hydrate();
void startModel();

// Production only: the dev server has no sw.js. Registered after the first render so installing
// the shell cache never delays the app; an update is offered in a banner, never applied by itself.
if (import.meta.env.PROD) {
  registerServiceWorker({ onUpdateReady: offerUpdate }).catch((e: unknown) => console.warn('service worker registration failed', e));
}
