/** Builds the harness pages (harness.html, panel.html) into `outDir` with Vite, for the specs here. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { build } from 'vite';

const HERE = dirname(fileURLToPath(import.meta.url));

/** A production build: unlike the dev server it never reloads a page when a source file is edited mid-test. */
export async function buildHarness(outDir: string): Promise<void> {
  await build({
    configFile: false,
    root: HERE,
    base: './',
    logLevel: 'error',
    plugins: [react()],
    build: { outDir, emptyOutDir: true, target: 'es2022', rollupOptions: { input: [join(HERE, 'harness.html'), join(HERE, 'panel.html')] } },
  });
}

export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
