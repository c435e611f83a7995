import { createRoot } from 'react-dom/client';

// Placeholder: the app shell is being built in src/app (see README).
createRoot(document.getElementById('root')!).render(<main data-testid="model-status" data-state="none">PandaGPT</main>);
