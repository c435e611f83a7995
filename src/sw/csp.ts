/**
 * The Content-Security-Policy of the built page (see README.md for the reasoning).
 * Meta-tag CSP cannot carry frame-ancestors/report-uri; a host that can set headers should send
 * the same policy as a header and add `frame-ancestors 'none'`.
 */
export interface CspOptions {
  /** Extra origins the page may fetch models from, in addition to the defaults. */
  connectSrc?: string[];
}

export function contentSecurityPolicy(o: CspOptions = {}): string {
  const d: Record<string, string[]> = {
    'default-src': ["'self'"],
    // 'wasm-unsafe-eval': onnxruntime-web compiles its .wasm; no 'unsafe-eval', no inline scripts.
    'script-src': ["'self'", "'wasm-unsafe-eval'"],
    // ORT's proxy/threads workers are module workers from our origin; blob: for bundlers that inline them.
    'worker-src': ["'self'", 'blob:'],
    // Models come from the user's chosen URL (?model=, "load from URL"): any HTTPS origin, plus local
    // servers for development. Plain http: to other hosts is refused (mixed content on HTTPS anyway).
    // blob:/data: never leave the device (libraries fetch() object URLs of user files).
    'connect-src': ["'self'", 'https:', 'http://localhost:*', 'http://127.0.0.1:*', 'blob:', 'data:', ...(o.connectSrc ?? [])],
    // User media is shown from blob:/data: URLs and camera/mic streams.
    'img-src': ["'self'", 'blob:', 'data:'],
    'media-src': ["'self'", 'blob:', 'mediastream:'],
    // React sets style attributes (progress bars); no external styles or fonts.
    'style-src': ["'self'", "'unsafe-inline'"],
    'font-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'none'"],
    'manifest-src': ["'self'"],
  };
  return Object.entries(d)
    .map(([k, v]) => `${k} ${v.join(' ')}`)
    .join('; ');
}
