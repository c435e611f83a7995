/**
 * Bench harness page: drives the LLM engine (and the ImageBind encoders) in the page with
 * onnxruntime-web, timed in the page. One page per configuration: ORT fixes the wasm thread count
 * when its module first initialises, so a fresh page is the only way to change it.
 */
import { LlmEngine } from '../../src/core/engine/llm-engine';
import type { GenerateTimings } from '../../src/core/engine/types';
import { parseManifest, type WeightFormat } from '../../src/core/manifest';
import type { OrtModule } from '../../src/core/ort';
import { timedGenerate } from './timed-generate';

export interface DecodeRun {
  bundleUrl: string;
  backend: 'wasm' | 'webgpu';
  threads: number;
  variant: WeightFormat;
  maxNewTokens: number;
  /** Stop decoding after this long (at least 3 tokens). */
  budgetMs: number;
}

export interface DecodeOut {
  loadMs: number;
  variant: string;
  threads: number;
  crossOriginIsolated: boolean;
  timings: GenerateTimings;
  tokens: number[];
}

async function loadOrt(threads: number): Promise<{ ort: OrtModule; threads: () => number }> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = threads;
  return { ort: ort as unknown as OrtModule, threads: () => ort.env.wasm.numThreads ?? 0 };
}

async function benchDecode(run: DecodeRun): Promise<DecodeOut> {
  const { ort, threads } = await loadOrt(run.threads);
  const base = run.bundleUrl.endsWith('/') ? run.bundleUrl : `${run.bundleUrl}/`;
  const readFile = async (p: string): Promise<Uint8Array> => {
    const r = await fetch(base + p);
    if (!r.ok) throw new Error(`${p}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  };
  const t0 = performance.now();
  const manifest = parseManifest(new TextDecoder().decode(await readFile('manifest.json')));
  const engine = await LlmEngine.load({
    ort,
    manifest,
    readFile,
    backend: run.backend,
    variant: run.variant,
    sessionOptions: { executionProviders: [run.backend] },
  });
  const loadMs = performance.now() - t0;
  try {
    const r = await timedGenerate(engine, run.maxNewTokens, run.budgetMs);
    return { loadMs, variant: engine.variant.format, threads: threads(), crossOriginIsolated, timings: r.timings, tokens: r.tokens };
  } finally {
    await engine.dispose();
  }
}

declare global {
  interface Window {
    benchDecode: typeof benchDecode;
  }
}
window.benchDecode = benchDecode;
document.getElementById('status')!.textContent = 'ready';
