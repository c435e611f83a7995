/**
 * Bench page for ImageBind: per modality, the project's preprocessing (on this page's main
 * thread; the app runs the same code in its encoder worker, video frames are read on the page as
 * the app does) and the encoder on onnxruntime-web. Exposes `window.benchEncode`.
 */
import { ImageBindEngine } from '../../src/core/encoders/imagebind-engine';
import type { PreprocessedInput } from '../../src/core/encoders/types';
import type { BundleManifest, ImageBindSection, Modality } from '../../src/core/manifest';
import type { OrtModule } from '../../src/core/ort';
import { readVideoFrames } from '../../src/app/media/video-input';
import { planVideo, platformImageDecoder, preprocessBytes, preprocessVideoFrames } from '../../src/preprocess';

export interface EncodeCase {
  modality: Modality | 'text';
  /** Media file URL (absent for text). */
  url?: string;
  fileName?: string;
  texts?: string[];
}

export interface EncodeRun {
  bundleUrl: string;
  /** The bundle's imagebind section (read by the caller from manifest.json or the bench section file). */
  section: ImageBindSection;
  backend: 'wasm' | 'webgpu';
  threads: number;
  format?: string;
  cases: EncodeCase[];
  /** Timed repetitions after one warm-up (which includes session creation). */
  reps: number;
}

export interface EncodeResult {
  modality: string;
  preprocessMs: number | null;
  firstEncodeMs: number;
  encodeMs: number;
  dims: number[];
  vector: number[];
  error?: string;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function preprocess(c: EncodeCase): Promise<PreprocessedInput> {
  const r = await fetch(c.url!);
  if (!r.ok) throw new Error(`${c.url}: HTTP ${r.status}`);
  const bytes = new Uint8Array(await r.arrayBuffer());
  if (c.modality === 'text') throw new Error('text has no media preprocessing');
  if (c.modality !== 'video') return preprocessBytes(c.modality, bytes, { fallback: platformImageDecoder });
  // Video frames come from the browser's decoder, as the app reads them.
  const { input } = await readVideoFrames(new Blob([bytes as BlobPart], { type: 'video/mp4' }), c.fileName ?? 'video.mp4');
  if (input.kind !== 'frames') throw new Error('video: expected frames');
  return preprocessVideoFrames(planVideo(input.frameCount, input.fps), input.frames, input.width, input.height);
}

async function benchEncode(run: EncodeRun): Promise<{ threads: number; results: EncodeResult[] }> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = run.threads;
  const base = run.bundleUrl.endsWith('/') ? run.bundleUrl : `${run.bundleUrl}/`;
  const readFile = async (p: string): Promise<Uint8Array> => {
    const r = await fetch(base + p);
    if (!r.ok) throw new Error(`${p}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  };
  // The engine reads only the imagebind section of a manifest.
  const manifest = { imagebind: run.section } as unknown as BundleManifest;
  const engine = await ImageBindEngine.load({ ort: ort as unknown as OrtModule, manifest, readFile, backend: run.backend, format: run.format, sessionOptions: { executionProviders: [run.backend] } });
  const results: EncodeResult[] = [];
  try {
    for (const c of run.cases) {
      try {
        if (c.modality === 'text') {
          const texts = c.texts ?? ['a dog'];
          let t = performance.now();
          const first = (await engine.embedText(texts))[0]!;
          const firstEncodeMs = performance.now() - t;
          const times: number[] = [];
          for (let i = 0; i < run.reps; i++) {
            // embedText caches per string: a fresh string per repetition.
            const fresh = texts.map((s) => `${s} ${i}`);
            t = performance.now();
            await engine.embedText(fresh);
            times.push(performance.now() - t);
          }
          results.push({ modality: 'text', preprocessMs: null, firstEncodeMs, encodeMs: median(times), dims: [texts.length, 77], vector: Array.from(first) });
          continue;
        }
        const pre: number[] = [];
        let input!: PreprocessedInput;
        for (let i = 0; i < Math.max(1, run.reps); i++) {
          const t = performance.now();
          input = await preprocess(c);
          pre.push(performance.now() - t);
        }
        let t = performance.now();
        let vec = await engine.embed(input);
        const firstEncodeMs = performance.now() - t;
        const times: number[] = [];
        for (let i = 0; i < run.reps; i++) {
          t = performance.now();
          vec = await engine.embed(input);
          times.push(performance.now() - t);
        }
        results.push({ modality: c.modality, preprocessMs: median(pre), firstEncodeMs, encodeMs: median(times), dims: input.dims, vector: Array.from(vec) });
      } catch (e) {
        results.push({ modality: c.modality, preprocessMs: null, firstEncodeMs: NaN, encodeMs: NaN, dims: [], vector: [], error: e instanceof Error ? e.message : String(e) });
      }
    }
  } finally {
    await engine.dispose();
  }
  return { threads: ort.env.wasm.numThreads ?? 0, results };
}

declare global {
  interface Window {
    benchEncode: typeof benchEncode;
  }
}
window.benchEncode = benchEncode;
document.getElementById('status')!.textContent = 'ready';
