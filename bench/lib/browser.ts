/**
 * One Vite dev server (no HMR, no file watching: the e2e harness semantics of PANDAGPT_E2E=1) and
 * one headless Chromium per bench run. Bench bundles are served raw from bench/.work/ under
 * /bench-work/ (fixtures under /bench-fixtures/, public/models under /bench-models/), by a tiny middleware (no Vite transforms, no gzip relabelling). The page is
 * cross-origin isolated (COOP/COEP from vite.config.ts) so the wasm EP can use 2 threads.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { join, normalize, resolve, sep } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type Plugin, type ViteDevServer } from 'vite';
import { chromiumArgs } from '../../playwright.config';

export interface BenchBrowser {
  /** e.g. http://127.0.0.1:41234 */
  origin: string;
  /** URL prefix of bench/.work/ (ends with '/'). */
  workUrl: string;
  /** URL prefixes of test/fixtures/ and public/models/, served raw the same way. */
  fixturesUrl: string;
  modelsUrl: string;
  chromiumVersion: string;
  /** A fresh page at bench/browser/<page> with status 'ready' (fresh page = fresh wasm heap and thread count). */
  open(page?: string): Promise<Page>;
  /** A fresh browser context (own storage: IndexedDB, cache, service workers) on the run's Chromium; the caller closes it. */
  newContext(): Promise<BrowserContext>;
  close(): Promise<void>;
}

const WORK_PREFIX = '/bench-work/';
const FIXTURES_PREFIX = '/bench-fixtures/';
const MODELS_PREFIX = '/bench-models/';

/** Serves folders raw under URL prefixes ({ '/prefix/': '/abs/dir' }). */
function serveDirs(mounts: Record<string, string>): Plugin {
  return {
    name: 'bench-raw-files',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = req.url?.split('?')[0] ?? '';
        const prefix = Object.keys(mounts).find((p) => url.startsWith(p));
        if (!prefix) return next();
        const root = resolve(mounts[prefix]!);
        const file = normalize(join(root, decodeURIComponent(url.slice(prefix.length))));
        if (!file.startsWith(root + sep)) {
          res.statusCode = 403;
          return res.end();
        }
        let size: number;
        try {
          const st = statSync(file);
          if (!st.isFile()) throw new Error('not a file');
          size = st.size;
        } catch {
          res.statusCode = 404;
          return res.end();
        }
        res.setHeader('Content-Length', size);
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Cache-Control', 'no-store');
        createReadStream(file).pipe(res);
      });
    },
  };
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createNetServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

export async function startBenchBrowser(root: string, workDir: string): Promise<BenchBrowser> {
  // vite.config.ts reads this to pick the harness server settings (headers, no HMR, no watch).
  process.env.PANDAGPT_E2E = '1';
  const port = await freePort();
  const server: ViteDevServer = await createServer({
    root,
    configFile: join(root, 'vite.config.ts'),
    logLevel: 'warn',
    clearScreen: false,
    plugins: [serveDirs({ [WORK_PREFIX]: workDir, [FIXTURES_PREFIX]: join(root, 'test/fixtures'), [MODELS_PREFIX]: join(root, 'public/models') })],
    optimizeDeps: { entries: ['bench/browser/*.html'] },
    server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
  });
  await server.listen();
  const origin = `http://127.0.0.1:${port}`;
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumArgs, headless: true });
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    origin,
    workUrl: `${origin}${WORK_PREFIX}`,
    fixturesUrl: `${origin}${FIXTURES_PREFIX}`,
    modelsUrl: `${origin}${MODELS_PREFIX}`,
    chromiumVersion: browser.version(),
    async open(page = 'harness.html') {
      const p = await browser.newPage();
      p.on('pageerror', (e) => process.stderr.write(`[page] ${e.message}\n`));
      await p.goto(`${origin}/bench/browser/${page}`);
      await p.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', undefined, { timeout: 120_000 });
      return p;
    },
    newContext: () => browser.newContext(),
    async close() {
      await browser.close().catch(() => {});
      await server.close();
    },
  };
}
