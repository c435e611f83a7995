/** A bundle served over HTTP(S): the built-in one (`/models/builtin/`) or any user-chosen URL. */
import { PandaError } from '../core/errors';
import type { BundleSource, FileStream } from './types';

/** Resolve `baseUrl` against the page and make it end with `/` so file paths append cleanly. */
export function normalizeBaseUrl(baseUrl: string, pageUrl = globalThis.location?.href): string {
  const u = new URL(baseUrl, pageUrl);
  u.hash = '';
  u.search = '';
  if (u.pathname.endsWith('/manifest.json')) u.pathname = u.pathname.slice(0, -'manifest.json'.length);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u.href;
}

/** Parse `Content-Range: bytes START-END/TOTAL` → START, or null. */
export function contentRangeStart(header: string | null): number | null {
  const m = header ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header.trim()) : null;
  return m ? Number(m[1]) : null;
}

function networkError(url: string, e: unknown): PandaError {
  if ((e as { name?: string })?.name === 'AbortError') return new PandaError('ABORTED', 'Stopped.');
  return new PandaError('DOWNLOAD_FAILED', `Could not reach ${url} (${(e as Error)?.message ?? e}). Check the connection; the download resumes where it stopped.`, {
    url,
    network: true,
    retryable: true,
  });
}

function httpError(url: string, status: number, what: string): PandaError {
  if (status === 404 || status === 410) {
    return new PandaError('BUNDLE_FILE_MISSING', `The server has no ${what} (${status} at ${url}). Check the model URL: it must point at a bundle folder made by \`npm run convert\`.`, {
      url,
      status,
    });
  }
  const retryable = status >= 500 || status === 408 || status === 429;
  return new PandaError('DOWNLOAD_FAILED', `The server answered ${status} for ${what} (${url}).${retryable ? ' It will be retried.' : ''}`, { url, status, retryable });
}

export function createUrlSource(baseUrl: string): BundleSource {
  const base = normalizeBaseUrl(baseUrl);
  const source: BundleSource = {
    kind: 'url',
    label: base,
    knownId: `url:${base}`,
    idFor: () => `url:${base}`,
    async readManifest(signal) {
      const url = new URL('manifest.json', base).href;
      let res: Response;
      try {
        // no-cache: revalidate with the server so an updated bundle is noticed (304 when unchanged).
        res = await fetch(url, { cache: 'no-cache', signal });
      } catch (e) {
        throw networkError(url, e);
      }
      if (!res.ok) throw httpError(url, res.status, 'manifest.json');
      return res.text();
    },
    async openFile(path, start, signal): Promise<FileStream> {
      const url = new URL(path.split('/').map(encodeURIComponent).join('/'), base).href;
      let res: Response;
      try {
        // no-store: the bytes go to IndexedDB; keeping a second copy in the HTTP cache only wastes quota.
        res = await fetch(url, { cache: 'no-store', signal, headers: start > 0 ? { Range: `bytes=${start}-` } : {} });
      } catch (e) {
        throw networkError(url, e);
      }
      if (res.status === 416) {
        await res.body?.cancel();
        return source.openFile(path, 0, signal);
      }
      if (!res.ok) throw httpError(url, res.status, path);
      if (!res.body) throw new PandaError('DOWNLOAD_FAILED', `The server sent no body for ${path}.`, { url });
      if (start > 0 && res.status === 206) {
        // A 206 to `bytes=N-` starts at N; check when the server exposes Content-Range to CORS.
        const header = res.headers.get('Content-Range');
        if (header !== null && contentRangeStart(header) !== start) {
          await res.body.cancel();
          throw new PandaError('DOWNLOAD_FAILED', `The server answered a Range request for ${path} with the wrong bytes (${res.headers.get('Content-Range')}).`, { url });
        }
        return { start, body: res.body };
      }
      // 200: the whole file (the server ignored Range, or none was asked for).
      return { start: 0, body: res.body };
    },
  };
  return source;
}
