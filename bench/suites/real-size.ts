/**
 * The real-size rehearsal (issue 10), opt-in: `npm run bench -- --only real-size [--size 7b|13b]`.
 * From checkpoints in the official layouts at real shapes (seeded random weights) to an answer in
 * the built app, measured as a user would meet it:
 *
 *  1. `imagebind_huge.pth` as ImageBind's `imagebind_huge()` state_dict is (all six trunks + text,
 *     fp32, no config beside it), Vicuna v0 fp16 HF shards at 7B or 13B shape, a PandaGPT delta
 *     (llama_proj + LoRA r=32), all in bench/.work/ and reused while their stamps match;
 *  2. `npm run convert` on them (wall time, peak RSS; reused with its numbers while the inputs and
 *     the converter's output format are unchanged — delete the bundle to measure again);
 *  3. `npm run chat --greedy --json` on the bundle with an image and with an audio clip: the
 *     reference answers, and Node's decode tok/s;
 *  4. the built app with `?model=` served from a second local origin (CORS, Range), a profile on
 *     disk, Auto backend (on this machine: the LLM on SwiftShader's WebGPU, the encoders on wasm):
 *     a raw HTTP read of the same files in the same page first, then the first visit (download +
 *     check + IndexedDB + sessions), the image question, the audio question (new chat), a reload
 *     from the cache; the page's answers must equal Node's; peak RSS per Chromium process type.
 *
 * `--quick`: steps 1, 2 and 4 without the questions (no answers, on SwiftShader they take most of
 * the run's time): what loading costs in time and memory. `REAL_SIZE_QUESTIONS=image` (or `audio`)
 * asks only that question (13B on SwiftShader takes about half an hour per answer).
 *
 * Nothing here fails on a number; an answer that differs from Node's is reported, and fails the
 * suite (that is a correctness finding, not a speed one).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startModelServer } from '../../e2e/support/model-server';
import { chromiumArgs } from '../../playwright.config';
import { decoderFiles, downloadedFiles, partFiles, parseManifest, type BundleManifest } from '../../src/core/manifest';
import { installPageProbe, readMarks } from '../browser/page-probe';
import { ensureBuilt, findMark, NAME_SHIM, pageAlerts, servePreview, type Visit, visit } from '../lib/app-page';
import { runTsChild } from '../lib/child-rss';
import { sampleChromiumRss, type TypePeak } from '../lib/chromium-rss';
import { TOKENIZER_FIXTURE } from '../lib/llama-models';
import { ensureImageBindHuge } from '../lib/synthetic-imagebind-huge';
import { ensureSyntheticLlama, type LlamaShape } from '../lib/synthetic-llama';
import type { BenchContext, BenchRow, BenchSuite } from '../types';

const SUITE = 'real-size';
const SHAPES: Record<'7b' | '13b', LlamaShape> = {
  '7b': { name: 'vicuna-7b', hidden: 4096, intermediate: 11008, layers: 32, heads: 32, vocab: 32001, loraRank: 32 },
  '13b': { name: 'vicuna-13b', hidden: 5120, intermediate: 13824, layers: 40, heads: 40, vocab: 32001, loraRank: 32 },
};
const MEDIA = 'test/fixtures/pandagpt-tiny/media';
const QUESTIONS = [
  { modality: 'image', file: `${MEDIA}/images/dog_image.jpg`, prompt: 'What is in this image?' },
  { modality: 'audio', file: `${MEDIA}/audios/dog_audio.wav`, prompt: 'What do you hear?' },
] as const;
/** New tokens per answer: a software GPU takes seconds to minutes per 7B token. */
const NEW_TOKENS = 4;
const MINUTE = 60_000;
/** Changes when the converter writes a different bundle for the same checkpoints (then it converts again). */
const BUNDLE_LAYOUT = 'decoder layer groups, fp16 tensors widened by the loader';
const run = promisify(execFile);

interface ConvertStamp {
  inputs: string;
  wallMs: number;
  peakRssBytes: number | null;
}

const gb = (n: number): string => `${(n / 1e9).toFixed(2)} GB`;

/** The bundle, converted when missing or when its inputs changed; with the conversion's numbers. */
async function ensureConverted(ctx: BenchContext, shape: LlamaShape, imagebindPth: string, vicunaDir: string, deltaPath: string): Promise<{ dir: string; stamp: ConvertStamp }> {
  const dir = join(ctx.workDir, `real-size-${ctx.size}`, 'bundle');
  const stampFile = join(dirname(dir), '.convert-stamp.json');
  const inputs = JSON.stringify([BUNDLE_LAYOUT, shape, statSync(imagebindPth).mtimeMs, statSync(deltaPath).mtimeMs, readFileSync(join(vicunaDir, 'config.json'), 'utf8')]);
  if (existsSync(join(dir, 'manifest.json')) && existsSync(stampFile)) {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as ConvertStamp;
    if (stamp.inputs === inputs) {
      ctx.log(`bundle up to date (converted in ${(stamp.wallMs / 1000).toFixed(0)} s; delete ${dir} to measure the conversion again)`);
      return { dir, stamp };
    }
  }
  ctx.log(`converting ${shape.name} + ImageBind-Huge (npm run convert) into ${dir}`);
  const args = ['--vicuna', vicunaDir, '--delta', deltaPath, '--imagebind', imagebindPth, '--out', dir, '--name', `PandaGPT-${ctx.size} rehearsal`, '--notice', 'random weights (real-size rehearsal)'];
  const r = await runTsChild(ctx.root, 'cli/convert.ts', args, { onLine: (l) => /done in|error|Error|layer \d+0\/|encoder/.test(l) && ctx.log(l.trim()) });
  if (r.code !== 0) throw new Error(`npm run convert failed (exit ${r.code}):\n${r.stderr.slice(-3000)}`);
  const stamp: ConvertStamp = { inputs, wallMs: r.wallMs, peakRssBytes: r.peakRssBytes };
  writeFileSync(stampFile, JSON.stringify(stamp));
  return { dir, stamp };
}

/** Bytes of each part of a bundle, and what the page downloads. */
function partBytes(m: BundleManifest): { part: string; bytes: number; downloaded: boolean }[] {
  const size = (files: string[]): number => files.reduce((s, f) => s + (m.files[f]?.size ?? 0), 0);
  const rows: { part: string; bytes: number; downloaded: boolean }[] = [];
  const seen = new Set<string>();
  const add = (part: string, files: string[]): void => {
    const fresh = files.filter((f) => !seen.has(f));
    fresh.forEach((f) => seen.add(f));
    if (fresh.length) rows.push({ part, bytes: size(fresh), downloaded: fresh.some((f) => !m.files[f]?.optional) });
  };
  for (const d of m.llm.decoders) add(`decoder ${d.format}`, decoderFiles(d));
  add('token embeddings', [m.llm.embedTokens.file, ...(m.llm.embedTokens.rowScales ? [m.llm.embedTokens.rowScales.file] : [])]);
  add('llama_proj', [m.llm.llamaProj.weight.file, m.llm.llamaProj.bias.file]);
  for (const e of Object.values(m.imagebind?.encoders ?? {})) for (const v of e?.variants ?? []) add(`ImageBind ${e!.modality} (${v.format ?? '?'})`, partFiles(v));
  const rest = Object.keys(m.files).filter((f) => !seen.has(f));
  add('other (tokenizer, labels, ...)', rest);
  return rows;
}

interface NodeAnswer {
  text: string;
  tokens: number[];
  tokensPerSecond: number;
  ttftMs: number;
  wallMs: number;
}

async function nodeAnswer(ctx: BenchContext, bundle: string, q: (typeof QUESTIONS)[number]): Promise<NodeAnswer> {
  const t0 = performance.now();
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'cli/chat.ts', '--bundle', bundle, `--${q.modality}`, q.file, '--prompt', q.prompt, '--greedy', '--max-new-tokens', String(NEW_TOKENS), '--json'], {
    cwd: ctx.root,
    maxBuffer: 1 << 26,
  });
  const r = JSON.parse(stdout.slice(stdout.lastIndexOf('\n{') + 1)) as { text: string; tokens: number[]; timings: { tokensPerSecond: number; timeToFirstTokenMs: number } };
  return { text: r.text, tokens: r.tokens, tokensPerSecond: r.timings.tokensPerSecond, ttftMs: r.timings.timeToFirstTokenMs, wallMs: performance.now() - t0 };
}

interface PageAnswer {
  encodeMs: number;
  text: string;
  stats: string;
  answerMs: number;
}

/** Attaches `file`, waits until it is sendable, asks, waits for the whole (short) answer; the raw text via Copy. */
async function askInPage(page: Page, root: string, q: (typeof QUESTIONS)[number]): Promise<PageAnswer> {
  await page.getByTestId('new-chat').click();
  const t0 = await page.evaluate(() => performance.now());
  await page.getByTestId('composer-attach').setInputFiles(join(root, q.file));
  await page.locator('[data-testid="attachment-chip"][data-status="ready"], [data-testid="attachment-chip"][data-status="error"]').waitFor({ timeout: 60 * MINUTE });
  if ((await page.getByTestId('attachment-chip').first().getAttribute('data-status')) !== 'ready') throw new Error(`the ${q.modality} did not encode: ${await pageAlerts(page)}`);
  const marks = await page.evaluate(readMarks);
  const ready = findMark(marks, 'chips', (v) => v === 'ready', t0);
  const shown = findMark(marks, 'chips', (v) => v !== '', t0);
  await page.getByTestId('composer-input').fill(q.prompt);
  const before = await page.locator('[data-testid="message"][data-role="assistant"]').count();
  const t1 = Date.now();
  await page.getByTestId('composer-send').click();
  await page.waitForFunction(
    (n) => /^(done|stopped|error)$/.test(document.querySelectorAll('[data-testid="message"][data-role="assistant"]')[n]?.getAttribute('data-status') ?? ''),
    before,
    { timeout: 120 * MINUTE, polling: 1000 },
  );
  const answer = page.locator('[data-testid="message"][data-role="assistant"]').nth(before);
  if ((await answer.getAttribute('data-status')) !== 'done') throw new Error(`the ${q.modality} answer ended "${await answer.getAttribute('data-status')}": ${await pageAlerts(page)}`);
  const answerMs = Date.now() - t1;
  await answer.getByTestId('message-copy').click();
  return {
    encodeMs: ready && shown ? ready.t - shown.t : NaN,
    text: await page.evaluate(() => navigator.clipboard.readText()),
    stats: (await answer.getByTestId('message-stats').innerText().catch(() => '')).trim(),
    answerMs,
  };
}

/** Reads every downloaded file of the bundle with plain fetch from the app's origin (bodies discarded). */
async function rawRead(page: Page, base: string, files: string[]): Promise<number> {
  return page.evaluate(
    async ([b, fs]) => {
      const t0 = performance.now();
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < fs.length) {
          const reader = (await fetch(b + fs[next++]!, { cache: 'no-store' })).body!.getReader();
          while (!(await reader.read()).done);
        }
      };
      await Promise.all([lane(), lane(), lane()]); // the model store fetches 3 files at a time too
      return performance.now() - t0;
    },
    [base, files] as const,
  );
}

function peakRows(kase: string, phase: string, peaks: Record<string, TypePeak>): BenchRow[] {
  return Object.entries(peaks)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, p]) => ({ suite: SUITE, case: kase, metric: `peak RSS ${phase}: ${type}`, value: p.peakBytes / 2 ** 20, unit: 'MiB', notes: `largest single process ${(p.maxProcessBytes / 2 ** 20).toFixed(0)} MiB` }));
}

async function rehearse(ctx: BenchContext): Promise<BenchRow[]> {
  const shape = SHAPES[ctx.size];
  const kase = `PandaGPT-${ctx.size} + ImageBind-Huge (synthetic)`;
  const rows: BenchRow[] = [];
  const row = (metric: string, value: number, unit: string, notes = ''): void => void rows.push({ suite: SUITE, case: kase, metric, value, unit, notes });

  // 1. Checkpoints as users have them.
  const ib = await ensureImageBindHuge(join(ctx.workDir, 'imagebind-huge'), ctx.log);
  // Users keep ImageBind's CLIP vocabulary beside the checkpoint (README); it is the real file.
  copyFileSync(join(ctx.root, 'test/fixtures/pandagpt-tiny/imagebind/bpe_simple_vocab_16e6.txt.gz'), join(dirname(ib.path), 'bpe_simple_vocab_16e6.txt.gz'));
  const llama = await ensureSyntheticLlama(ctx.workDir, shape, join(ctx.root, TOKENIZER_FIXTURE), ctx.log);
  row('checkpoint input', (ib.bytes + llama.inputBytes) / 1e9, 'GB', `imagebind_huge.pth ${gb(ib.bytes)} + Vicuna shards and delta ${gb(llama.inputBytes)}`);

  // 2. Conversion.
  const { dir, stamp } = await ensureConverted(ctx, shape, ib.path, llama.vicunaDir, llama.deltaPath);
  row('convert wall time', stamp.wallMs / 1000, 's', 'npm run convert, every core');
  if (stamp.peakRssBytes !== null) row('convert peak RSS', stamp.peakRssBytes / 1e9, 'GB', 'target for 13B: <= 2 GB');
  const manifest = parseManifest(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const parts = partBytes(manifest);
  for (const p of parts) row(`bytes: ${p.part}`, p.bytes / 1e9, 'GB', p.downloaded ? '' : 'not downloaded by the page (optional)');
  const downloaded = downloadedFiles(manifest);
  const downloadBytes = downloaded.reduce((s, [, f]) => s + f.size, 0);
  row('page download', downloadBytes / 1e9, 'GB', `of ${gb(Object.values(manifest.files).reduce((s, f) => s + f.size, 0))} in the bundle; target for 7B: <= 5.0 GB`);

  // 3. Node's reference answers.
  const node: Record<string, NodeAnswer> = {};
  const only = process.env.REAL_SIZE_QUESTIONS?.split(',');
  const questions = ctx.quick ? [] : QUESTIONS.filter((q) => !only || only.includes(q.modality));
  for (const q of questions) {
    ctx.log(`npm run chat --greedy with the ${q.modality} ...`);
    node[q.modality] = await nodeAnswer(ctx, dir, q);
    ctx.log(`node ${q.modality}: ${JSON.stringify(node[q.modality]!.text)} (${node[q.modality]!.tokensPerSecond.toFixed(2)} tok/s decode, ${(node[q.modality]!.wallMs / 1000).toFixed(0)} s in all)`);
    row(`node decode (${q.modality} question)`, node[q.modality]!.tokensPerSecond, 'tok/s', `onnxruntime-node CPU, ${NEW_TOKENS} greedy tokens; time to first token ${(node[q.modality]!.ttftMs / 1000).toFixed(1)} s`);
  }

  // 4. The page.
  ensureBuilt(ctx);
  const { server, origin } = await servePreview(ctx.root);
  const models = await startModelServer(dirname(dir));
  const base = `${models.origin}/${basename(dir)}/`;
  const profile = join(ctx.workDir, `real-size-${ctx.size}`, 'chromium-profile');
  rmSync(profile, { recursive: true, force: true });
  mkdirSync(profile, { recursive: true });
  let context: BrowserContext | undefined;
  const rss = sampleChromiumRss(profile);
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: chromiumArgs,
      headless: true,
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    await context.addInitScript({ content: NAME_SHIM });
    await context.addInitScript((s) => localStorage.setItem('pandagpt.settings.v1', JSON.stringify(s)), { backend: 'auto', greedy: true, maxNewTokens: NEW_TOKENS });
    await context.addInitScript(installPageProbe);
    const newPage = async (): Promise<Page> => {
      const p = await context!.newPage();
      p.on('pageerror', (e) => ctx.log(`[page] ${e.message}`));
      return p;
    };

    const probe = await newPage();
    await probe.goto(`${origin}/favicon.svg`);
    const rawMs = await rawRead(probe, base, downloaded.map(([p]) => p));
    await probe.close();
    const rawMBs = downloadBytes / 1e6 / (rawMs / 1000);
    ctx.log(`raw HTTP read of the same files: ${(rawMs / 1000).toFixed(1)} s (${rawMBs.toFixed(0)} MB/s)`);
    row('raw HTTP read', rawMBs, 'MB/s', `plain fetch of the ${downloaded.length} files the page downloads, same server, same run`);

    rss.reset();
    const query = `?model=${encodeURIComponent(base)}`;
    const page = await newPage();
    const first: Visit = await visit(page, origin, query, 180 * MINUTE);
    const marks = await page.evaluate(readMarks);
    const dlStart = findMark(marks, 'label', (v) => v.startsWith('Downloading'));
    const dlEnd = findMark(marks, 'label', (v) => v.startsWith('Language model'), dlStart?.t ?? 0);
    const dlMs = dlStart && dlEnd ? dlEnd.t - dlStart.t : NaN;
    ctx.log(`first visit: ready in ${(first.loadMs / 1000).toFixed(0)} s (download + check + store ${(dlMs / 1000).toFixed(0)} s; ${first.backendChip})`);
    row('first visit: ready', first.loadMs / 1000, 's', first.backendChip);
    row('first visit: download + check + store', downloadBytes / 1e6 / (dlMs / 1000), 'MB/s', `${(dlMs / 1000).toFixed(0)} s; vs raw ${rawMBs.toFixed(0)} MB/s = ${(rawMs / dlMs).toFixed(2)}x`);
    row('first visit: LLM read + sessions', first.llmReadMs / 1000 + first.llmOtherMs / 1000, 's', `read ${(first.llmReadMs / 1000).toFixed(1)} s, sessions ${(first.llmOtherMs / 1000).toFixed(1)} s`);
    rows.push(...peakRows(kase, 'first visit', rss.peaks()));

    const mismatches: string[] = [];
    for (const q of questions) {
      rss.reset();
      ctx.log(`page: ${q.modality} question ...`);
      const a = await askInPage(page, ctx.root, q);
      const same = a.text === node[q.modality]!.text;
      if (!same) mismatches.push(`${q.modality}: page ${JSON.stringify(a.text)} vs node ${JSON.stringify(node[q.modality]!.text)}`);
      ctx.log(`page ${q.modality}: ${JSON.stringify(a.text)} (${same ? 'equals' : 'DIFFERS FROM'} Node's); encoded in ${(a.encodeMs / 1000).toFixed(0)} s; answer ${(a.answerMs / 1000).toFixed(0)} s; ${a.stats}`);
      row(`${q.modality}: attach -> sendable`, a.encodeMs / 1000, 's', 'preprocess + encoder session on first use + ImageBind-Huge');
      row(`${q.modality}: answer of ${NEW_TOKENS} tokens`, a.answerMs / 1000, 's', `${a.stats}; greedy text ${same ? 'equals' : 'DIFFERS FROM'} npm run chat's`);
      rows.push(...peakRows(kase, `${q.modality} question`, rss.peaks()));
    }
    await page.close();

    rss.reset();
    const again = await newPage();
    const cached = await visit(again, origin, query, 60 * MINUTE);
    await again.close();
    ctx.log(`reload from cache: ready in ${(cached.loadMs / 1000).toFixed(1)} s = read ${(cached.llmReadMs / 1000).toFixed(1)} + sessions ${(cached.llmOtherMs / 1000).toFixed(1)} + the rest`);
    row('cached reload: ready', cached.loadMs / 1000, 's', 'encoder sessions are created on first use, not here');
    row('cached reload: LLM IndexedDB read', cached.llmReadMs / 1000, 's');
    row('cached reload: LLM sessions', cached.llmOtherMs / 1000, 's');
    row('cached reload / (read + sessions)', cached.loadMs / (cached.llmReadMs + cached.llmOtherMs), 'x', 'target <= 1.3');
    rows.push(...peakRows(kase, 'cached reload', rss.peaks()));
    if (mismatches.length) throw new Error(`the page's greedy answers differ from npm run chat's: ${mismatches.join(' || ')}`);
  } finally {
    rss.stop();
    await context?.close().catch(() => {});
    await models.close();
    await server.close();
  }
  return rows;
}

const suite: BenchSuite = {
  name: SUITE,
  optIn: 'needs about 40 GB of disk for 7B (60 GB for 13B) and 30-90 minutes',
  run: rehearse,
};
export default suite;
