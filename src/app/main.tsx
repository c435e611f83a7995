import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '../styles/app.css';
import { App } from './App';
import { hydrate } from './controller/conversations-controller';
import { startModel } from './controller/model-controller';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

void hydrate();
void startModel();
