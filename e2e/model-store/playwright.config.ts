/**
 * Runs only the model-store specs, without the app/dev-server webServers of the main config (these
 * specs build and serve their own pages): `npx playwright test -c e2e/model-store/playwright.config.ts`.
 * The main config runs them too, as part of `npm run test:e2e`.
 */
import { defineConfig } from '@playwright/test';
import base from '../../playwright.config';

export default defineConfig({ ...base, testDir: '.', webServer: undefined });
