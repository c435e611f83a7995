import { defineConfig } from '@playwright/test';

/**
 * e2e tests run in the system Chromium (Playwright cannot download browsers here).
 * Override with CHROMIUM_PATH for another Chrome. WebGPU runs on SwiftShader with --enable-unsafe-webgpu.
 *
 * Two servers: the built app (`vite preview` of dist/, port 5173) for user journeys, and the Vite
 * dev server (port 5174) for harness pages under e2e/ that drive one module directly (engine
 * parity, model store) without the UI.
 */
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumArgs = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Ports are overridable so concurrent runs on one machine do not share (and kill) servers.
const APP_PORT = Number(process.env.PW_APP_PORT ?? 5173);
const HARNESS_PORT = Number(process.env.PW_HARNESS_PORT ?? 5174);
export const APP_URL = `http://127.0.0.1:${APP_PORT}`;
export const HARNESS_URL = `http://127.0.0.1:${HARNESS_PORT}`;

export default defineConfig({
  testDir: './e2e',
  testMatch: '**/*.spec.ts',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    headless: true,
    launchOptions: { executablePath, args: chromiumArgs },
    trace: 'off',
  },
  webServer: [
    {
      command: `npx vite preview --host 127.0.0.1 --port ${APP_PORT} --strictPort`,
      url: `${APP_URL}/`,
      reuseExistingServer: false,
      timeout: 60_000,
    },
    {
      command: `PANDAGPT_E2E=1 npx vite --host 127.0.0.1 --port ${HARNESS_PORT} --strictPort`,
      url: `${HARNESS_URL}/e2e/engine/harness.html`,
      reuseExistingServer: false,
      timeout: 60_000,
    },
  ],
});
