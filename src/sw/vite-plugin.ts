/**
 * Vite plugin (build only): emits src/sw/sw.ts as `sw.js` in the output root with the precache list
 * of this build injected, and adds the Content-Security-Policy meta tag to the HTML.
 * Used from vite.config.ts: `plugins: [react(), pandaServiceWorker()]`.
 */
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { contentSecurityPolicy, type CspOptions } from './csp';
import { precacheList, precacheVersion } from './precache';

const SW_SOURCE = fileURLToPath(new URL('./sw.ts', import.meta.url));
const PLACEHOLDER = '__PRECACHE_MANIFEST__';

export interface ServiceWorkerPluginOptions {
  /** Output name (default `sw.js`). */
  fileName?: string;
  /** Add the CSP meta tag (default true). */
  csp?: boolean | CspOptions;
}

export function pandaServiceWorker(o: ServiceWorkerPluginOptions = {}): Plugin {
  const fileName = o.fileName ?? 'sw.js';
  return {
    name: 'pandagpt-service-worker',
    apply: 'build',
    // After Vite's own HTML plugin, so index.html is in the bundle when the precache list is made.
    enforce: 'post',
    buildStart() {
      this.emitFile({ type: 'chunk', id: SW_SOURCE, fileName });
    },
    transformIndexHtml() {
      if (o.csp === false) return [];
      const policy = contentSecurityPolicy(typeof o.csp === 'object' ? o.csp : {});
      return [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: policy }, injectTo: 'head-prepend' }];
    },
    generateBundle(_opts, bundle) {
      const sw = bundle[fileName];
      if (!sw || sw.type !== 'chunk') throw new Error(`service worker chunk ${fileName} missing from the bundle`);
      const files = Object.values(bundle).filter((f) => f.fileName !== fileName);
      const urls = precacheList(files.map((f) => f.fileName), fileName);
      const version = precacheVersion(files.map((f) => ({ name: f.fileName, content: f.type === 'chunk' ? f.code : f.source })));
      if (!sw.code.includes(PLACEHOLDER)) throw new Error(`${fileName}: precache placeholder not found`);
      sw.code = sw.code.split(PLACEHOLDER).join(JSON.stringify({ version, urls }));
    },
  };
}
