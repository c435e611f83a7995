import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../src/sw/csp';
import { precacheList, precacheVersion } from '../../src/sw/precache';

describe('precache list', () => {
  it('keeps the app shell (incl. ORT wasm/mjs), drops models, maps and the worker itself', () => {
    const files = ['index.html', 'assets/index-abc.js', 'assets/index-abc.js.map', 'assets/style-1.css', 'assets/ort-wasm-simd-threaded.jsep-x.wasm', 'assets/ort-wasm-simd-threaded.jsep-y.mjs', 'sw.js', 'models/builtin/manifest.json', 'models/builtin/x.onnx'];
    expect(precacheList(files)).toEqual(['./', './assets/index-abc.js', './assets/ort-wasm-simd-threaded.jsep-x.wasm', './assets/ort-wasm-simd-threaded.jsep-y.mjs', './assets/style-1.css', './index.html']);
  });
  it('version changes with any content or name, not with order', () => {
    const a = [{ name: 'a.js', content: 'x' }, { name: 'b.css', content: new Uint8Array([1, 2]) }];
    const v = precacheVersion(a);
    expect(v).toMatch(/^[0-9a-f]{8}$/);
    expect(precacheVersion([...a].reverse())).toBe(v);
    expect(precacheVersion([{ name: 'a.js', content: 'y' }, a[1]!])).not.toBe(v);
    expect(precacheVersion([{ name: 'a2.js', content: 'x' }, a[1]!])).not.toBe(v);
  });
});

describe('content security policy', () => {
  it('allows wasm compilation and user-chosen HTTPS model origins, nothing inline or eval', () => {
    const p = contentSecurityPolicy({ connectSrc: ['http://models.lan:8000'] });
    const d = Object.fromEntries(p.split('; ').map((x) => [x.split(' ')[0], x.split(' ').slice(1)]));
    expect(d['script-src']).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(d['connect-src']).toEqual(["'self'", 'https:', 'http://localhost:*', 'http://127.0.0.1:*', 'blob:', 'data:', 'http://models.lan:8000']);
    expect(d['object-src']).toEqual(["'none'"]);
    expect(p).not.toContain("'unsafe-eval'");
  });
});
