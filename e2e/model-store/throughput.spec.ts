/**
 * Throughput numbers (not a pass/fail test of speed): run with
 *   MODEL_STORE_BENCH=1 npx playwright test -c e2e/model-store/playwright.config.ts throughput
 * Prints download / cached-prepare / read / verify timings for a bundle with one large file, as the
 * converter writes it (each 16 MiB piece's sha256 listed: checked with WebCrypto) and as older
 * bundles are (whole-file sha256 only: streamed through hash-wasm in a worker).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, test } from '@playwright/test';
import { chromiumArgs } from '../../playwright.config';
import { startModelServer } from '../support/model-server';
import { writeSyntheticBundle } from '../support/synthetic-bundle';
import { HASH_CHUNK_BYTES } from '../../src/core/manifest';
import { buildHarness, ISOLATION_HEADERS } from './build-harness';

test('model store throughput', async ({ page }) => {
  test.skip(!process.env.MODEL_STORE_BENCH, 'a benchmark (download throughput vs raw fetch), not a test: set MODEL_STORE_BENCH=1 to run it');
  test.setTimeout(600_000);
  const MiB = 1024 * 1024;
  const bigMiB = Number(process.env.MODEL_STORE_BENCH_MIB ?? 256);
  const root = mkdtempSync(join(tmpdir(), 'model-store-bench-'));
  const B = writeSyntheticBundle(join(root, 'b'), 'bench', bigMiB * MiB, HASH_CHUNK_BYTES);
  writeSyntheticBundle(join(root, 's'), 'bench-stream', bigMiB * MiB);
  const server = await startModelServer(root);
  await buildHarness(join(root, 'dist'));
  const app = await startModelServer(join(root, 'dist'), ISOLATION_HEADERS);
  try {
    await page.goto(`${app.origin}/harness.html`);
    await expect(page.locator('body')).toHaveAttribute('data-ready', '1');
    const bench = async (dir: string) => {
      const r = await page.evaluate(([u, p, c]) => window.harness.bench(u, p, c), [`${server.origin}/${dir}/`, 'onnx/decoder.onnx.data', 16 * MiB] as const);
      await page.evaluate((id) => window.harness.remove(id), `url:${server.origin}/${dir}/`); // one bundle in the in-memory profile at a time
      return r;
    };
    const stream = await bench('s');
    const r = await bench('b');
    // The same in a profile on disk, as a user's browser has it (IndexedDB blobs written to files).
    const profile = join(root, 'profile');
    const disk = await chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumArgs, headless: true });
    let onDisk: typeof r;
    try {
      const p = await disk.newPage();
      await p.goto(`${app.origin}/harness.html`);
      await expect(p.locator('body')).toHaveAttribute('data-ready', '1');
      onDisk = await p.evaluate(([u, bp, c]) => window.harness.bench(u, bp, c), [`${server.origin}/b/`, 'onnx/decoder.onnx.data', 16 * MiB] as const);
    } finally {
      await disk.close();
    }
    const total = Object.values(B.files).reduce((s, f) => s + f.size, 0) / MiB;
    const rate = (mib: number, ms: number) => `${(mib / (ms / 1000)).toFixed(0)} MiB/s`;
    console.log(
      JSON.stringify({
        bundleMiB: +total.toFixed(1),
        rawRead: `${r.rawRead.toFixed(0)} ms (${rate(total, r.rawRead)}, plain fetch of the same files)`,
        downloadVsRaw: +(r.rawRead / r.download).toFixed(2),
        download: `${r.download.toFixed(0)} ms (${rate(total, r.download)}, incl. sha256 + IndexedDB writes)`,
        cachedPrepare: `${r.cachedPrepare.toFixed(0)} ms`,
        readFile: `${r.readFile.toFixed(0)} ms (${rate(bigMiB, r.readFile)})`,
        readBlob: `${r.readBlob.toFixed(0)} ms`,
        blobArrayBuffer: `${r.blobArrayBuffer.toFixed(0)} ms`,
        verify: `${r.verify.toFixed(0)} ms (${rate(total, r.verify)})`,
        streamRawRead: `${stream.rawRead.toFixed(0)} ms (${rate(total, stream.rawRead)})`,
        streamDownloadVsRaw: +(stream.rawRead / stream.download).toFixed(2),
        streamDownload: `${stream.download.toFixed(0)} ms (${rate(total, stream.download)}, whole-file sha256 in a worker)`,
        streamVerify: `${stream.verify.toFixed(0)} ms (${rate(total, stream.verify)})`,
        diskRawRead: `${onDisk.rawRead.toFixed(0)} ms (${rate(total, onDisk.rawRead)})`,
        diskDownloadVsRaw: +(onDisk.rawRead / onDisk.download).toFixed(2),
        diskDownload: `${onDisk.download.toFixed(0)} ms (${rate(total, onDisk.download)}, profile on disk)`,
        diskReadFile: `${onDisk.readFile.toFixed(0)} ms (${rate(bigMiB, onDisk.readFile)})`,
      }),
    );
    expect(r.ok).toBe(true);
    expect(stream.ok).toBe(true);
    expect(onDisk.ok).toBe(true);
    expect(r.size).toBe(bigMiB * MiB);
    expect(r.blobSize).toBe(bigMiB * MiB);
  } finally {
    await server.close();
    await app.close();
    rmSync(root, { recursive: true, force: true });
  }
});
