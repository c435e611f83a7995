import { defineConfig } from '@playwright/test';

/**
 * e2e tests run in the system Chromium (Playwright cannot download browsers here).
 * Override with CHROMIUM_PATH for another Chrome. WebGPU runs on SwiftShader with --enable-unsafe-webgpu.
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
});
