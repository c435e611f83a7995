/**
 * Which build outputs the service worker precaches (the app shell), and the version string that
 * names its cache. Pure: used by the Vite plugin at build time and by unit tests.
 * Model bundles are never precached: IndexedDB holds them (src/model-store).
 */

/** App-shell file types: page, scripts (incl. ORT's .mjs loaders), styles, ORT's .wasm, icons, fonts. */
const SHELL = /\.(html|js|mjs|css|wasm|svg|png|ico|webmanifest|woff2?)$/i;

export interface PrecacheManifest {
  version: string;
  /** URLs relative to the service worker's location. */
  urls: string[];
}

export function precacheList(fileNames: string[], swFileName = 'sw.js'): string[] {
  const out = fileNames.filter((f) => SHELL.test(f) && f !== swFileName && !f.startsWith('models/') && !f.includes('/models/')).sort();
  // The navigation fallback: './' must answer offline with index.html.
  return out.includes('index.html') ? ['./', ...out.map((f) => `./${f}`)] : out.map((f) => `./${f}`);
}

/** FNV-1a over the names and their content hashes: a new build with any changed file gets a new version. */
export function precacheVersion(entries: { name: string; content: string | Uint8Array }[]): string {
  let h = 0x811c9dc5;
  const mix = (b: number) => {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    for (const c of e.name) mix(c.charCodeAt(0) & 255);
    const bytes = typeof e.content === 'string' ? new TextEncoder().encode(e.content) : e.content;
    for (const b of bytes) mix(b);
  }
  return h.toString(16).padStart(8, '0');
}
