/** Service-worker test page: shows its build's label and offers SW updates through the real register helper. */
import { registerServiceWorker } from '../../../src/sw/register';

declare const __APP_LABEL__: string;

document.getElementById('version')!.textContent = __APP_LABEL__;
void registerServiceWorker({
  onUpdateReady(apply) {
    document.getElementById('update')!.hidden = false;
    document.getElementById('apply')!.addEventListener('click', apply);
  },
}).then(() => (document.body.dataset.registered = '1'));
