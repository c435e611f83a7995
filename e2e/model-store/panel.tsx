/** Test page: the real ModelPanel on the real model store, outside the app. */
import { createRoot } from 'react-dom/client';
import { ModelPanel } from '../../src/app/model-panel/ModelPanel';
import { createModelStore } from '../../src/model-store';

const store = createModelStore({ chunkSize: 1024 * 1024 });
createRoot(document.getElementById('root')!).render(
  <ModelPanel
    store={store}
    onPrepared={(b) => {
      document.body.dataset.prepared = b.id;
    }}
  />,
);
document.body.dataset.ready = '1';
