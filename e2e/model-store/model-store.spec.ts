/**
 * The model store in real Chromium with real IndexedDB and fetch, against a local server with
 * fault switches (e2e/support/model-server.ts) serving synthetic bundles on another origin.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { startModelServer, type ModelServer } from '../support/model-server';
import { writeSyntheticBundle, type SyntheticBundle } from '../support/synthetic-bundle';
import type { ProgressSnapshot } from '../../src/model-store';
import { buildHarness, ISOLATION_HEADERS } from './build-harness';
import type { RunOptions, RunResult } from './harness';

const MiB = 1024 * 1024;
const BIG = 'onnx/decoder.onnx.data';

let root: string;
let server: ModelServer;
let app: ModelServer; // serves the built harness page (another origin than the models)
let A: SyntheticBundle; // a bundle cached first: must stay usable whatever happens to B
let B: SyntheticBundle; // lists each 1 MiB piece's sha256, as converted bundles do (checked with WebCrypto)
let C: SyntheticBundle; // whole-file sha256 only, as bundles of older versions (streamed in a worker)
const urlOf = (name: string) => `${server.origin}/${name}/`;
/** Requests for bundle files (not the manifest) of bundle `name`. */
const fileRequests = (name: string) => server.requests.filter((r) => r.path.startsWith(`/${name}/`) && !r.path.endsWith('/manifest.json'));

test.beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'model-store-e2e-'));
  A = writeSyntheticBundle(join(root, 'a'), 'bundle-a', 2 * MiB + 7);
  B = writeSyntheticBundle(join(root, 'b'), 'bundle-b', undefined, MiB);
  C = writeSyntheticBundle(join(root, 'c'), 'bundle-c');
  server = await startModelServer(root);
  const out = join(root, 'harness-dist');
  await buildHarness(out);
  app = await startModelServer(out, ISOLATION_HEADERS);
});

test.afterAll(async () => {
  await server.close();
  await app?.close();
  rmSync(root, { recursive: true, force: true });
});

test.beforeEach(() => {
  server.requests.length = 0;
  for (const k of Object.keys(server.switches)) delete (server.switches as Record<string, unknown>)[k];
});

async function openHarness(page: Page): Promise<void> {
  await page.goto(`${app.origin}/harness.html`);
  await expect(page.locator('body')).toHaveAttribute('data-ready', '1');
}

const prepareUrl = (page: Page, url: string, o: RunOptions = {}): Promise<RunResult> =>
  page.evaluate(([u, opts]) => window.harness.prepareUrl(u, opts), [url, o] as const);

function expectFilesMatch(r: RunResult, bundle: SyntheticBundle): void {
  expect(r.ok, r.message).toBe(true);
  for (const [path, f] of Object.entries(bundle.files)) {
    expect(r.files?.[path], path).toEqual({ size: f.size, sha256: f.sha256, blobSha256: f.sha256, blobSize: f.size });
  }
}

async function cacheA(page: Page): Promise<void> {
  expectFilesMatch(await prepareUrl(page, urlOf('a')), A);
  server.requests.length = 0;
}

async function expectAStillUsable(page: Page): Promise<void> {
  const r = await page.evaluate((id) => window.harness.open(id), `url:${urlOf('a')}`);
  expect(r.ok, r.message).toBe(true);
  expect(r.files?.[BIG]?.sha256).toBe(A.files[BIG]!.sha256);
}

test('first download reports progress, then the bundle comes from cache with no model request, also offline', async ({ page, context }) => {
  await openHarness(page);
  const first = await prepareUrl(page, urlOf('b'));
  expectFilesMatch(first, B);
  const total = Object.values(B.files).reduce((s, f) => s + f.size, 0);
  expect(first.manifest).toMatchObject({ name: 'bundle-b', totalBytes: total, missingBytes: total });
  expect(first.storage).toMatchObject({ neededBytes: total });
  expect(first.progressEvents).toBeGreaterThan(5);
  expect(first.maxRate).toBeGreaterThan(0);
  expect(first.lastProgress).toMatchObject({ loaded: total, total, etaSeconds: 0 });
  // Every file fetched exactly once, whole (no Range on a fresh download).
  const reqs = fileRequests('b').filter((r) => r.method === 'GET');
  expect(reqs.map((r) => r.path).sort()).toEqual(Object.keys(B.files).map((p) => `/b/${p}`).sort());
  expect(reqs.every((r) => r.range === null && r.status === 200)).toBe(true);

  server.requests.length = 0;
  const second = await prepareUrl(page, urlOf('b'));
  expectFilesMatch(second, B);
  expect(fileRequests('b')).toEqual([]);
  expect(server.requestsFor('/b/manifest.json')).toHaveLength(1); // revalidated, nothing else

  const list = await page.evaluate(() => window.harness.list());
  expect(list).toEqual([expect.objectContaining({ id: `url:${urlOf('b')}`, name: 'bundle-b', sizeBytes: total, storedBytes: total, complete: true, partial: false })]);

  // Offline after a reload: the cached manifest lets the bundle open.
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-ready', '1');
  await context.setOffline(true);
  server.requests.length = 0;
  const offline = await prepareUrl(page, urlOf('b'));
  await context.setOffline(false);
  expectFilesMatch(offline, B);
  expect(offline.notices.map((n) => n.code)).toEqual(['OFFLINE_USING_CACHE']);
  expect(server.requests).toEqual([]);

  // A server that accepts the connection but never answers: the cached copy opens after the timeout.
  server.switches.stall = ['/b/manifest.json'];
  const t0 = Date.now();
  const stalled = await prepareUrl(page, urlOf('b'));
  expect(Date.now() - t0).toBeLessThan(15_000);
  expectFilesMatch(stalled, B);
  expect(stalled.notices.map((n) => n.code)).toEqual(['OFFLINE_USING_CACHE']);
  expect(stalled.notices[0]!.message).toContain('did not answer within 5 s');
});

test('a dropped connection is retried with a Range request from the last received byte', async ({ page }) => {
  await openHarness(page);
  server.switches.drop = { path: `/b/${BIG}`, bytes: 2 * MiB + 5000, times: 1 };
  const r = await prepareUrl(page, urlOf('b'));
  expectFilesMatch(r, B);
  const big = server.requestsFor(`/b/${BIG}`).filter((x) => x.method === 'GET');
  expect(big.map((x) => x.range)).toEqual([null, expect.stringMatching(/^bytes=\d+-$/)]);
  const from = Number(/bytes=(\d+)-/.exec(big[1]!.range!)![1]);
  expect(from).toBeGreaterThan(0); // continued from the exact byte reached, not restarted
  expect(from).toBeLessThanOrEqual(2 * MiB + 5000);
  expect(big[1]!.status).toBe(206);
  expect(r.notices.map((n) => n.code)).toContain('RETRYING');
});

for (const [name, check] of [['b', 'per-chunk sha256'], ['c', 'whole-file sha256']] as const) {
test(`after a failed download and a reload, only missing chunks are fetched (Range) and finished files are not (${check})`, async ({ page }) => {
  const bundle = name === 'b' ? B : C;
  await openHarness(page);
  server.switches.drop = { path: `/${name}/${BIG}`, bytes: 3 * MiB + 100, times: 1 };
  const failed = await prepareUrl(page, urlOf(name), { retries: 0 });
  expect(failed.ok).toBe(false);
  expect(failed.code).toBe('DOWNLOAD_FAILED');
  expect(failed.message).toContain(BIG);
  const partial = (await page.evaluate(() => window.harness.list()))[0]!;
  expect(partial).toMatchObject({ complete: false, partial: true });
  // Whole 1 MiB chunks of the big file are kept (how many reached the page before the cut varies).
  const finished = (failed.lastProgress as ProgressSnapshot).files.filter((f) => f.status === 'done').map((f) => f.path);
  expect(finished.length).toBeGreaterThanOrEqual(3);
  const bigStored = partial.storedBytes - finished.reduce((s, p) => s + bundle.files[p]!.size, 0);
  expect(bigStored % MiB).toBe(0);
  expect(bigStored).toBeGreaterThanOrEqual(MiB);
  expect(bigStored).toBeLessThanOrEqual(3 * MiB);

  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-ready', '1');
  server.requests.length = 0;
  const r = await prepareUrl(page, urlOf(name));
  expectFilesMatch(r, bundle);
  const reqs = fileRequests(name).filter((x) => x.method === 'GET');
  // The interrupted file continues from its last stored chunk boundary; finished files are not
  // requested again (a file still in flight when the failure stopped the download may be).
  expect(reqs.filter((x) => x.path === `/${name}/${BIG}`).map((x) => [x.range, x.status])).toEqual([[`bytes=${bigStored}-`, 206]]);
  expect(reqs.filter((x) => finished.includes(x.path.slice(`/${name}/`.length)))).toEqual([]);
  expect(r.notices.map((n) => n.code)).toContain('RESUMED');
  // Nothing stored is read again: the hash state was persisted, or each chunk was checked on its own.
  expect(r.notices.map((n) => n.code)).not.toContain('REHASHED');
});
}

test('a server without Range support restarts the file from 0 with a notice, never corrupting it', async ({ page }) => {
  await openHarness(page);
  server.switches.noRange = true;
  server.switches.drop = { path: `/b/${BIG}`, bytes: 2 * MiB + 5000, times: 1 };
  const r = await prepareUrl(page, urlOf('b'));
  expectFilesMatch(r, B);
  const big = server.requestsFor(`/b/${BIG}`);
  expect(big).toHaveLength(2);
  expect(big[1]!.range).toMatch(/^bytes=\d+-$/); // asked to resume...
  expect(big[1]!.status).toBe(200); // ...got the whole file
  const n = r.notices.find((x) => x.code === 'RANGE_UNSUPPORTED');
  expect(n?.message).toContain('does not support resuming');
});

for (const [name, check] of [['b', 'per-chunk sha256'], ['c', 'whole-file sha256']] as const) {
test(`a wrong byte is rejected (INTEGRITY_MISMATCH), not stored, and refetched whole next time (${check})`, async ({ page }) => {
  const bundle = name === 'b' ? B : C;
  await openHarness(page);
  await cacheA(page);
  server.switches.corrupt = { path: `/${name}/${BIG}`, offset: 4 * MiB + 3 };
  const bad = await prepareUrl(page, urlOf(name));
  // Per chunk, the error names the wrong chunk (the 5th MiB) as soon as it arrives; else the file.
  const expected = name === 'b' ? bundle.files[BIG]!.chunks!.sha256[4] : bundle.files[BIG]!.sha256;
  expect(bad).toMatchObject({ ok: false, code: 'INTEGRITY_MISMATCH', details: { path: BIG, expected } });
  expect(bad.message).toContain(name === 'b' ? `is corrupt: the sha256 of bytes ${4 * MiB}–${5 * MiB} (chunk 4)` : 'is corrupt: the sha256 of the file');
  expect(bad.files).toBeUndefined();
  const open = await page.evaluate((id) => window.harness.open(id), `url:${urlOf(name)}`);
  expect(open.ok).toBe(false);
  await expectAStillUsable(page);

  delete server.switches.corrupt;
  server.requests.length = 0;
  const good = await prepareUrl(page, urlOf(name));
  expectFilesMatch(good, bundle);
  // The bad file is fetched again from byte 0; files that had finished were kept (files still in
  // flight when the failure stopped the download may be fetched again).
  const finished = (bad.lastProgress as ProgressSnapshot).files.filter((f) => f.status === 'done').map((f) => `/${name}/${f.path}`);
  expect(finished.length).toBeGreaterThan(0);
  const again = fileRequests(name);
  expect(again.filter((x) => x.path === `/${name}/${BIG}`).map((x) => x.range)).toEqual([null]);
  expect(again.filter((x) => finished.includes(x.path))).toEqual([]);
});
}

test('non-JSON manifest, missing manifest and missing file give clear errors; the cached bundle stays usable', async ({ page }) => {
  await openHarness(page);
  await cacheA(page);

  server.switches.replace = { '/b/manifest.json': '<html>not a manifest</html>' };
  const notJson = await prepareUrl(page, urlOf('b'));
  expect(notJson).toMatchObject({ ok: false, code: 'MANIFEST_INVALID' });
  expect(notJson.message).toContain('not JSON');

  server.switches.replace = {};
  server.switches.missing = ['/b/manifest.json'];
  const noManifest = await prepareUrl(page, urlOf('b'));
  expect(noManifest).toMatchObject({ ok: false, code: 'BUNDLE_FILE_MISSING', details: { status: 404 } });
  expect(noManifest.message).toContain('manifest.json');

  server.switches.missing = ['/b/tokenizer.json'];
  const noFile = await prepareUrl(page, urlOf('b'));
  expect(noFile).toMatchObject({ ok: false, code: 'BUNDLE_FILE_MISSING' });
  expect(noFile.message).toContain('tokenizer.json');

  // Even a broken update of A itself leaves the cached A usable (and prepare fails loudly).
  server.switches.missing = [];
  server.switches.replace = { '/a/manifest.json': '{"schema":"something-else"}' };
  const badA = await prepareUrl(page, urlOf('a'));
  expect(badA).toMatchObject({ ok: false, code: 'MANIFEST_INVALID' });
  await expectAStillUsable(page);
  expect(fileRequests('a')).toEqual([]);
});

test('too little storage → QUOTA_EXCEEDED with needed vs free, before any model request', async ({ page }) => {
  await openHarness(page);
  await cacheA(page);
  await page.evaluate(() => {
    navigator.storage.estimate = async () => ({ quota: 1024 * 1024, usage: 0 });
  });
  const r = await prepareUrl(page, urlOf('b'));
  expect(r).toMatchObject({ ok: false, code: 'QUOTA_EXCEEDED', details: { freeBytes: 1024 * 1024 } });
  expect(r.message).toMatch(/needs 5\.\d MiB more but only 1\.0 MiB is free/);
  expect(r.message).toContain('Delete a cached model');
  expect(fileRequests('b')).toEqual([]);
  await expectAStillUsable(page);
});

test('cancel with an AbortSignal stops the download; the next prepare resumes it', async ({ page }) => {
  await openHarness(page);
  server.switches.bytesPerSecond = 4 * MiB;
  const r = await prepareUrl(page, urlOf('b'), { abortAfterBytes: 2.5 * MiB, concurrency: 1 });
  expect(r).toMatchObject({ ok: false, code: 'ABORTED' });
  delete server.switches.bytesPerSecond;
  const before = server.requests.length;
  const again = await prepareUrl(page, urlOf('b'));
  expectFilesMatch(again, B);
  const redone = server.requests.slice(before).filter((x) => !x.path.endsWith('manifest.json'));
  expect(redone.length).toBeLessThan(Object.keys(B.files).length); // finished files were kept
});

test('verify re-hashes stored chunks, catches corruption, and remove deletes everything', async ({ page }) => {
  await openHarness(page);
  await cacheA(page);
  expectFilesMatch(await prepareUrl(page, urlOf('b')), B);
  const idB = `url:${urlOf('b')}`;
  expect(await page.evaluate((id) => window.harness.verify(id), idB)).toBe(true);
  await page.evaluate((sha) => window.harness.tamper(sha), B.files[BIG]!.sha256);
  expect(await page.evaluate((id) => window.harness.verify(id), idB)).toBe(false);
  // The broken file is dropped: the next prepare fetches just that file again.
  server.requests.length = 0;
  expectFilesMatch(await prepareUrl(page, urlOf('b')), B);
  expect(fileRequests('b').map((x) => x.path)).toEqual([`/b/${BIG}`]);

  const keysWithBoth = await page.evaluate(() => window.harness.countKeys());
  await page.evaluate((id) => window.harness.remove(id), idB);
  const list = await page.evaluate(() => window.harness.list());
  expect(list.map((b) => b.id)).toEqual([`url:${urlOf('a')}`]);
  const keysWithA = await page.evaluate(() => window.harness.countKeys());
  expect(keysWithA).toBeLessThan(keysWithBoth);
  await expectAStillUsable(page);
  await page.evaluate((id) => window.harness.remove(id), `url:${urlOf('a')}`);
  expect(await page.evaluate(() => window.harness.countKeys())).toBe(0);
});

test('verify re-hashes a bundle without piece hashes (whole-file sha256) and catches corruption', async ({ page }) => {
  await openHarness(page);
  expectFilesMatch(await prepareUrl(page, urlOf('c')), C);
  const idC = `url:${urlOf('c')}`;
  expect(await page.evaluate((id) => window.harness.verify(id), idC)).toBe(true);
  await page.evaluate((sha) => window.harness.tamper(sha), C.files[BIG]!.sha256);
  expect(await page.evaluate((id) => window.harness.verify(id), idC)).toBe(false);
  await page.evaluate((id) => window.harness.remove(id), idC);
});

test('a folder source works with the network disabled', async ({ page, context }) => {
  await openHarness(page);
  await context.setOffline(true);
  server.requests.length = 0;
  await page.locator('#folder').setInputFiles(B.dir);
  const r = await page.evaluate(() => window.harness.prepareFolder());
  expectFilesMatch(r, B);
  expect(r.id).toBe('folder:bundle-b');
  expect(server.requests).toEqual([]);
  const again = await page.evaluate(() => window.harness.open('folder:bundle-b'));
  expect(again.ok).toBe(true);
  await context.setOffline(false);
});

test('a FileSystemDirectoryHandle folder source (directory picker / dropped folder) works offline', async ({ page, context }) => {
  await openHarness(page);
  await page.evaluate(([base, paths]) => window.harness.copyToOpfs(base, paths), [urlOf('b'), Object.keys(B.files)] as const);
  await context.setOffline(true);
  server.requests.length = 0;
  const r = await page.evaluate(() => window.harness.prepareOpfs());
  await context.setOffline(false);
  expectFilesMatch(r, B);
  expect(r.id).toBe('folder:bundle-b');
  expect(server.requests).toEqual([]);
});

test('two prepares of the same bundle at once download each file only once', async ({ page }) => {
  await openHarness(page);
  const [x, y] = await page.evaluate((u) => window.harness.prepareTwice(u), urlOf('b'));
  expectFilesMatch(x!, B);
  expectFilesMatch(y!, B);
  const paths = fileRequests('b').map((r) => r.path).sort();
  expect(paths).toEqual(Object.keys(B.files).map((p) => `/b/${p}`).sort());
});
