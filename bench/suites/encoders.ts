/**
 * ImageBind (issue 3): per modality, preprocessing and encoding time in Node (onnxruntime-node CPU
 * EP) and in the browser (onnxruntime-web wasm EP; WebGPU on SwiftShader reported for correctness
 * only), for the tiny built-in bundle, and encoding time for a synthetic encoder of
 * ImageBind-Huge's vision shape at the converter's default format, all in one run so the
 * browser/Node ratios compare like with like.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImageBindEngine } from '../../src/core/encoders/imagebind-engine';
import { cosine } from '../../src/core/vector';
import type { PreprocessedInput } from '../../src/core/encoders/types';
import { type BundleManifest, type ImageBindSection, type Modality, parseManifest, pickVariant } from '../../src/core/manifest';
import { nodeOrt, nodeSessionOptions } from '../../cli/node-runtime';
import { preprocessFile } from '../../cli/media-node';
import type { EncodeCase, EncodeResult, EncodeRun } from '../browser/encoders';
import { runTsChild } from '../lib/child-rss';
import { ensureVisionHuge, VISION_HUGE } from '../lib/synthetic-imagebind';
import type { BenchContext, BenchRow, BenchSuite } from '../types';

const THREADS = 2;
const MEDIA: { modality: Modality; file: string }[] = [
  { modality: 'image', file: 'pandagpt-tiny/media/images/dog_image.jpg' },
  { modality: 'video', file: 'pandagpt-tiny/media/videos/a.mp4' },
  { modality: 'audio', file: 'pandagpt-tiny/media/audios/dog_audio.wav' },
  { modality: 'thermal', file: 'pandagpt-tiny/media/thermals/190662.jpg' },
  { modality: 'depth', file: 'pandagpt-tiny/media/depth/scene.png' },
  { modality: 'imu', file: 'pandagpt-tiny/media/imu/walk.csv' },
];
const TEXTS = ['a dog barking in the park'];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;


interface Target {
  label: string;
  dir: string;
  url: string;
  section: ImageBindSection;
  cases: EncodeCase[];
  reps: number;
  webgpu: boolean;
}

/** Node: same protocol as the page (median preprocessing of `reps`, warm-up encode, median of `reps` encodes). */
async function nodeSide(t: Target, fixtures: string): Promise<EncodeResult[]> {
  const readFile = async (p: string): Promise<Uint8Array> => new Uint8Array(readFileSync(join(t.dir, p)));
  const manifest = { imagebind: t.section } as unknown as BundleManifest;
  const engine = await ImageBindEngine.load({ ort: nodeOrt, manifest, readFile, backend: 'cpu', sessionOptions: nodeSessionOptions('cpu', THREADS) as never });
  const out: EncodeResult[] = [];
  try {
    for (const c of t.cases) {
      if (c.modality === 'text') {
        let s = performance.now();
        const first = (await engine.embedText(c.texts!))[0]!;
        const firstEncodeMs = performance.now() - s;
        const times: number[] = [];
        for (let i = 0; i < t.reps; i++) {
          s = performance.now();
          await engine.embedText(c.texts!.map((x) => `${x} ${i}`));
          times.push(performance.now() - s);
        }
        out.push({ modality: 'text', preprocessMs: null, firstEncodeMs, encodeMs: median(times), dims: [1, 77], vector: Array.from(first) });
        continue;
      }
      const path = join(fixtures, c.fileName!);
      const pre: number[] = [];
      let input!: PreprocessedInput;
      for (let i = 0; i < Math.max(1, t.reps); i++) {
        const s = performance.now();
        input = await preprocessFile(path, c.modality);
        pre.push(performance.now() - s);
      }
      let s = performance.now();
      let vec = await engine.embed(input);
      const firstEncodeMs = performance.now() - s;
      const times: number[] = [];
      for (let i = 0; i < t.reps; i++) {
        s = performance.now();
        vec = await engine.embed(input);
        times.push(performance.now() - s);
      }
      out.push({ modality: c.modality, preprocessMs: median(pre), firstEncodeMs, encodeMs: median(times), dims: input.dims, vector: Array.from(vec) });
    }
  } finally {
    await engine.dispose();
  }
  return out;
}

async function browserSide(ctx: BenchContext, t: Target, backend: 'wasm' | 'webgpu'): Promise<EncodeResult[]> {
  const b = await ctx.browser();
  const page = await b.open('encoders.html');
  try {
    const run: EncodeRun = { bundleUrl: t.url, section: t.section, backend, threads: THREADS, cases: t.cases, reps: t.reps };
    const r = await page.evaluate((x) => window.benchEncode(x), run);
    if (backend === 'wasm' && r.threads !== THREADS) throw new Error(`wasm ran ${r.threads} threads, asked ${THREADS}`);
    return r.results;
  } finally {
    await page.close();
  }
}

function formatOf(t: Target, modality: string, backend: 'cpu' | 'wasm' | 'webgpu'): string {
  const part = t.section.encoders[modality as Modality | 'text'];
  return part ? pickVariant(part.variants, backend).format : '?';
}

function rowsFor(t: Target, node: EncodeResult[], wasm: EncodeResult[], gpu: EncodeResult[] | null): BenchRow[] {
  const rows: BenchRow[] = [];
  const row = (c: string, metric: string, value: number, unit: string, notes?: string): BenchRow => ({ suite: 'encoders', case: c, metric, value, unit, ...(notes ? { notes } : {}) });
  for (const n of node) {
    const w = wasm.find((x) => x.modality === n.modality);
    const g = gpu?.find((x) => x.modality === n.modality);
    const base = `${t.label} ${n.modality}`;
    const shape = `input (${n.dims.join(',')})`;
    const nf = formatOf(t, n.modality, 'cpu');
    if (n.preprocessMs !== null) rows.push(row(`${base} node`, 'preprocess', n.preprocessMs, 'ms', `median of ${t.reps}; cli/media-node preprocessFile${n.modality === 'video' ? ' (ffmpeg)' : ''}`));
    rows.push(row(`${base} node cpu ${nf}`, 'encode', n.encodeMs, 'ms', `median of ${t.reps} after a warm-up of ${n.firstEncodeMs.toFixed(0)} ms (incl. session); ${THREADS} threads; ${shape}`));
    if (w?.error) rows.push(row(`${base} browser wasm`, 'error', NaN, '', w.error));
    else if (w) {
      const wf = formatOf(t, n.modality, 'wasm');
      if (w.preprocessMs !== null) rows.push(row(`${base} browser`, 'preprocess', w.preprocessMs, 'ms', `median of ${t.reps}; page main thread${n.modality === 'video' ? ' (<video> seek + frames)' : ''}`));
      rows.push(row(`${base} browser wasm ${wf}`, 'encode', w.encodeMs, 'ms', `median of ${t.reps} after a warm-up of ${w.firstEncodeMs.toFixed(0)} ms; ${THREADS} threads; cos vs node ${cosine(w.vector, n.vector).toFixed(6)}`));
      if (w.preprocessMs !== null && n.preprocessMs !== null) rows.push(row(base, 'browser/node preprocess time', w.preprocessMs / n.preprocessMs, 'ratio', '> 1: browser slower; same run'));
      rows.push(row(base, 'browser wasm/node encode time', w.encodeMs / n.encodeMs, 'ratio', `> 1: browser slower; same run; ${wf} vs ${nf}`));
    }
    if (g?.error) rows.push(row(`${base} browser webgpu`, 'error', NaN, '', `${g.error} (SwiftShader, correctness only)`));
    else if (g) rows.push(row(`${base} browser webgpu ${formatOf(t, n.modality, 'webgpu')}`, 'encode', g.encodeMs, 'ms', `WebGPU on SwiftShader: correctness only, not a speed figure; cos vs node ${cosine(g.vector, n.vector).toFixed(6)}`));
  }
  return rows;
}

async function builtinTarget(ctx: BenchContext, modelsUrl: string): Promise<Target> {
  const dir = join(ctx.root, 'public/models/builtin');
  if (!existsSync(join(dir, 'manifest.json'))) {
    ctx.log('public/models/builtin missing: npm run build:model');
    const r = await runTsChild(ctx.root, 'cli/build-builtin.ts', []);
    if (r.code !== 0) throw new Error(`build:model failed:\n${r.stderr.slice(-2000)}`);
  }
  const manifest = parseManifest(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  if (!manifest.imagebind) throw new Error('public/models/builtin has no ImageBind section');
  const cases: EncodeCase[] = MEDIA.filter((m) => manifest.imagebind!.encoders[m.modality]).map((m) => ({ modality: m.modality, fileName: m.file }));
  if (manifest.imagebind.encoders.text) cases.push({ modality: 'text', texts: TEXTS });
  return { label: 'tiny', dir, url: `${modelsUrl}builtin/`, section: manifest.imagebind, cases, reps: 3, webgpu: true };
}

const suite: BenchSuite = {
  name: 'encoders',
  async run(ctx) {
    const fixtures = join(ctx.root, 'test/fixtures');
    const b = await ctx.browser();
    const withUrls = (t: Target): Target => ({ ...t, cases: t.cases.map((c) => (c.fileName ? { ...c, url: `${b.fixturesUrl}${c.fileName}` } : c)) });
    const targets: Target[] = [withUrls(await builtinTarget(ctx, b.modelsUrl))];
    if (!ctx.quick) {
      const enc = await ensureVisionHuge(ctx.workDir, ctx.log);
      targets.push(withUrls({ label: `${VISION_HUGE.name} (${(enc.params / 1e6).toFixed(0)}M, synthetic)`, dir: enc.dir, url: `${b.workUrl}${VISION_HUGE.name}/bundle/`, section: enc.section, cases: [{ modality: 'image', fileName: MEDIA[0]!.file }], reps: 1, webgpu: false }));
    }
    const rows: BenchRow[] = [];
    for (const t of targets) {
      ctx.log(`${t.label}: node`);
      const node = await nodeSide(t, fixtures);
      ctx.log(`${t.label}: browser wasm`);
      const failed = (e: unknown): EncodeResult[] => t.cases.map((c) => ({ modality: c.modality, preprocessMs: null, firstEncodeMs: NaN, encodeMs: NaN, dims: [], vector: [], error: (e instanceof Error ? e.message : String(e)).split('\n')[0] }));
      const wasm = await browserSide(ctx, t, 'wasm').catch(failed);
      let gpu: EncodeResult[] | null = null;
      if (t.webgpu) {
        ctx.log(`${t.label}: browser webgpu (SwiftShader, correctness only)`);
        gpu = await browserSide(ctx, t, 'webgpu').catch(failed);
      }
      rows.push(...rowsFor(t, node, wasm, gpu));
    }
    return rows;
  },
};

export default suite;
