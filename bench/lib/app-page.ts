/**
 * The built app driven as a user's browser sees it, shared by the `page` and `real-size` suites:
 * build it when missing, serve `dist/` with `vite preview` (COOP/COEP from vite.config.ts), and time
 * a visit from navigation to the model's ready state with the in-page probe (page-probe.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { type ProbeMark, readMarks } from '../browser/page-probe';
import type { BenchContext } from '../types';
import { freePort } from './browser';

/** tsx compiles with esbuild keepNames, which wraps functions in `__name(...)`; the page lacks it. */
export const NAME_SHIM = 'globalThis.__name ??= (f) => f;';


export function ensureBuilt(ctx: BenchContext): void {
  if (existsSync(join(ctx.root, 'dist/index.html')) && existsSync(join(ctx.root, 'dist/models/builtin/manifest.json'))) return;
  ctx.log('dist/ is missing: npm run build');
  // Child stdout goes to stderr: stdout carries only the results table.
  execFileSync('npm', ['run', 'build'], { cwd: ctx.root, stdio: ['ignore', 2, 2] });
}

export async function servePreview(root: string): Promise<{ server: PreviewServer; origin: string }> {
  const port = await freePort();
  const server = await preview({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn', preview: { host: '127.0.0.1', port, strictPort: true, open: false } });
  return { server, origin: `http://127.0.0.1:${port}` };
}

/** The first mark of `kind` at or after `from` whose value matches. */
export function findMark(marks: ProbeMark[], kind: ProbeMark['kind'], test: (v: string) => boolean, from = 0): ProbeMark | undefined {
  return marks.find((m) => m.kind === kind && m.t >= from && test(m.value));
}

export async function pageAlerts(page: Page): Promise<string> {
  return (await page.locator('[role="alert"]').allInnerTexts().catch(() => [])).join(' | ');
}

export interface Visit {
  loadMs: number;
  /** The language model's own load split (the worker's timings): reading its bytes vs the rest (sessions). */
  llmReadMs: number;
  llmOtherMs: number;
  /** Status labels seen while loading ("Downloading …" on a download, "Opening …" from the cache). */
  labels: string[];
  backendChip: string;
}

/** Navigates and times navigation start -> model ready (performance.now() in the page). */
export async function visit(page: Page, origin: string, query = '', timeoutMs = 240_000): Promise<Visit> {
  await page.goto(`${origin}/${query}`);
  const status = page.getByTestId('model-status');
  await page.locator('[data-testid="model-status"][data-state="ready"], [data-testid="model-status"][data-state="error"]').waitFor({ timeout: timeoutMs });
  if ((await status.getAttribute('data-state')) === 'error') throw new Error(`the model failed to load: ${await pageAlerts(page)}`);
  const marks = await page.evaluate(readMarks);
  const ready = findMark(marks, 'state', (v) => v === 'ready');
  if (!ready) throw new Error('model-status is ready but the probe saw no ready mark');
  return {
    loadMs: ready.t,
    llmReadMs: Number(await status.getAttribute('data-load-read-ms')),
    llmOtherMs: Number(await status.getAttribute('data-load-other-ms')),
    labels: marks.filter((m) => m.kind === 'label' && m.t <= ready.t).map((m) => m.value),
    backendChip: (await page.getByTestId('backend-reason').innerText()).trim(),
  };
}

