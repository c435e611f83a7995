/**
 * A static file server for e2e tests (node:http on 127.0.0.1, random port) with fault switches:
 * drop the connection part-way through a file, ignore Range, flip a byte, 404 a file, serve a
 * non-JSON manifest. It records every request (method, path, Range header, status) so tests can
 * assert what was fetched. CORS is open because the page runs on another origin, as with `?model=URL`.
 */
import { promises as fs } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

export interface RequestLog {
  method: string;
  path: string;
  range: string | null;
  status: number;
}

export interface Switches {
  /** Send only `bytes` of `path` then reset the connection; `times` requests are affected. */
  drop?: { path: string; bytes: number; times: number };
  /** Ignore Range headers (always 200 with the whole file). */
  noRange?: boolean;
  /** Serve `path` with the byte at `offset` flipped. */
  corrupt?: { path: string; offset: number };
  /** Answer 404 for these paths. */
  missing?: string[];
  /** Serve this text instead of the file for these paths. */
  replace?: Record<string, string>;
  /** Never answer requests for these paths (a stalled server / lie-fi). */
  stall?: string[];
  /** Limit the response rate (bytes per second) for every file. */
  bytesPerSecond?: number;
}

export interface ModelServer {
  origin: string;
  requests: RequestLog[];
  switches: Switches;
  /** Requests for `path` (path as in the URL, e.g. `/bundle/manifest.json`). */
  requestsFor(path: string): RequestLog[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `headers`: sent with every response (e.g. COOP/COEP when serving a page). */
export async function startModelServer(root: string, headers: Record<string, string> = {}, port = 0): Promise<ModelServer> {
  const requests: RequestLog[] = [];
  const switches: Switches = {};

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'Range');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Range, Content-Length, Accept-Ranges');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return 204;
    }
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (switches.stall?.includes(path)) {
      await new Promise((r) => req.socket.once('close', r));
      return 0;
    }
    const file = normalize(join(root, path.endsWith('/') ? path + 'index.html' : path));
    if (!file.startsWith(normalize(root) + sep) || switches.missing?.includes(path)) {
      res.writeHead(404).end('not found');
      return 404;
    }
    const replaced = switches.replace?.[path];
    let data: Buffer;
    try {
      data = replaced !== undefined ? Buffer.from(replaced) : await fs.readFile(file);
    } catch {
      res.writeHead(404).end('not found');
      return 404;
    }
    if (switches.corrupt?.path === path) {
      data = Buffer.from(data);
      data[switches.corrupt.offset]! ^= 0xff;
    }
    let start = 0;
    let status = 200;
    const range = req.headers.range;
    if (range && !switches.noRange) {
      const m = /^bytes=(\d+)-$/.exec(range);
      if (!m || Number(m[1]) >= data.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${data.length}` }).end();
        return 416;
      }
      start = Number(m[1]);
      status = 206;
      res.setHeader('Content-Range', `bytes ${start}-${data.length - 1}/${data.length}`);
    }
    if (!switches.noRange) res.setHeader('Accept-Ranges', 'bytes');
    const body = data.subarray(start);
    res.writeHead(status, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': body.length, 'Cache-Control': 'no-cache' });
    if (req.method === 'HEAD') {
      res.end();
      return status;
    }
    const drop = switches.drop;
    const limit = drop && drop.path === path && drop.times > 0 ? Math.max(0, drop.bytes - start) : Infinity;
    if (limit !== Infinity) drop!.times--;
    const step = 64 * 1024;
    for (let off = 0; off < body.length; off += step) {
      if (off >= limit) {
        // Close the connection mid-body after flushing what was written: end() sends the queued
        // bytes then FIN (destroy() would drop queued bytes, and a RST makes the client's kernel
        // drop unread ones, so the cut point would depend on machine load).
        // Chromium drops bytes it has not handed to the page yet when the body ends short, so
        // give the page a moment to read first; tests must still not rely on an exact cut point.
        await sleep(300);
        await new Promise<void>((r) => (res.socket ? res.socket.end(r) : r()));
        return status;
      }
      const piece = body.subarray(off, Math.min(body.length, off + step, limit === Infinity ? Infinity : limit));
      if (!res.write(piece)) await new Promise((r) => res.once('drain', r));
      if (switches.bytesPerSecond) await sleep((piece.length / switches.bytesPerSecond) * 1000);
      if (res.destroyed) return status;
    }
    res.end();
    return status;
  }

  const server = createServer((req, res) => {
    const entry: RequestLog = { method: req.method ?? 'GET', path: new URL(req.url ?? '/', 'http://x').pathname, range: req.headers.range ?? null, status: 0 };
    requests.push(entry);
    handle(req, res).then(
      (s) => (entry.status = s),
      () => res.destroy(),
    );
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const bound = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${bound}`,
    requests,
    switches,
    requestsFor: (p) => requests.filter((r) => r.path === p),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

