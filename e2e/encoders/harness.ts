/** Runs e2e/encoders/worker.ts in a real Web Worker; exposes `window.embedInWorker`. */
import type { Modality } from '../../src/core/manifest';

async function embedInWorker(job: { bundleUrl: string; backend: 'wasm' | 'webgpu'; items: { modality: Modality; url: string }[] }): Promise<number[][]> {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  try {
    return await new Promise((resolve, reject) => {
      worker.onmessage = (ev) => (ev.data.ok ? resolve(ev.data.vectors) : reject(new Error(ev.data.error)));
      worker.onerror = (ev) => reject(new Error(ev.message));
      worker.postMessage(job);
    });
  } finally {
    worker.terminate();
  }
}

declare global {
  interface Window {
    embedInWorker: typeof embedInWorker;
  }
}
window.embedInWorker = embedInWorker;
document.getElementById('status')!.textContent = 'ready';
