import react from '@vitejs/plugin-react';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { defineConfig, type Plugin } from 'vite';
import { pandaServiceWorker } from './src/sw/vite-plugin';

/**
 * Vite's static server (sirv) labels every `*.gz` file `Content-Encoding: gzip`, so the browser
 * silently inflates bundle files such as the CLIP BPE `.txt.gz` and their size and sha256 no longer
 * match the manifest. Bundle files are opaque bytes: serve them as stored.
 */
function rawGzipFiles(): Plugin {
  const strip = (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    if (req.url?.split('?')[0]?.endsWith('.gz')) {
      const writeHead = res.writeHead.bind(res) as (...a: unknown[]) => ServerResponse;
      res.writeHead = ((code: number, ...rest: unknown[]) => {
        const headers = rest.find((x) => typeof x === 'object' && x !== null) as Record<string, unknown> | undefined;
        if (headers) delete headers['Content-Encoding'];
        res.removeHeader('Content-Encoding');
        return writeHead(code, ...rest);
      }) as typeof res.writeHead;
    }
    next();
  };
  return {
    name: 'raw-gzip-files',
    configureServer: (server) => void server.middlewares.use(strip),
    configurePreviewServer: (server) => void server.middlewares.use(strip),
  };
}

/**
 * Cross-origin isolation (COOP/COEP) lets onnxruntime-web's wasm EP use threads
 * (SharedArrayBuffer); without it ORT runs single-threaded. Same headers in dev and preview.
 */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  base: './',
  // pandaServiceWorker (src/sw): build only; emits /sw.js (app-shell precache) and the CSP meta tag.
  plugins: [react(), rawGzipFiles(), pandaServiceWorker()],
  worker: { format: 'es' },
  optimizeDeps: {
    // ORT ships its own wasm loaders; pre-bundling breaks them and re-optimising reloads the page.
    exclude: ['onnxruntime-web', 'onnxruntime-web/webgpu'],
    // Scan the harness pages up front so the dev server never discovers a dependency mid-test.
    entries: ['index.html', 'e2e/**/*.html'],
  },
  // e2e harness servers run with PANDAGPT_E2E=1: no HMR or file watching, so an edit elsewhere in
  // the tree can never reload a page in the middle of a test.
  server: process.env.PANDAGPT_E2E ? { headers: isolation, host: '127.0.0.1', hmr: false, watch: null } : { headers: isolation, host: '127.0.0.1' },
  preview: { headers: isolation, host: '127.0.0.1' },
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 4096 },
});
