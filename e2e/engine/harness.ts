/**
 * Drives the LLM engine directly in the page with onnxruntime-web, for parity tests against
 * Node. Exposes `window.runEngine`.
 */
import { LlmEngine } from '../../src/core/engine/llm-engine';
import type { GenerateRequest, GenerateResult } from '../../src/core/engine/types';
import { parseManifest, type WeightFormat } from '../../src/core/manifest';
import type { Backend, OrtModule } from '../../src/core/ort';

export interface HarnessRun {
  bundleUrl: string;
  backend: Backend;
  /** `jsep` = onnxruntime-web's default build (JS WebGPU kernels); `native` = onnxruntime-web/webgpu (C++ WebGPU EP). */
  build: 'jsep' | 'native';
  variant?: WeightFormat;
  requests: GenerateRequest[];
}

async function loadOrt(build: HarnessRun['build']): Promise<OrtModule> {
  const ort = build === 'native' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web');
  ort.env.wasm.numThreads = crossOriginIsolated ? 2 : 1;
  return ort as unknown as OrtModule;
}

async function runEngine(run: HarnessRun): Promise<{ results: GenerateResult[]; prefillLogits: number[][]; variant: string; errors: string[] }> {
  const errors: string[] = [];
  const ort = await loadOrt(run.build);
  const base = run.bundleUrl.endsWith('/') ? run.bundleUrl : `${run.bundleUrl}/`;
  const readFile = async (p: string): Promise<Uint8Array> => {
    const r = await fetch(base + p);
    if (!r.ok) throw new Error(`${p}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  };
  const manifest = parseManifest(new TextDecoder().decode(await readFile('manifest.json')));
  const engine = await LlmEngine.load({
    ort,
    manifest,
    readFile,
    backend: run.backend,
    variant: run.variant,
    sessionOptions: { executionProviders: [run.backend === 'webgpu' ? 'webgpu' : 'wasm'] },
  });
  const results: GenerateResult[] = [];
  const prefillLogits: number[][] = [];
  for (const req of run.requests) {
    // Float32Array does not survive page.evaluate's JSON: vectors arrive as plain arrays.
    const media = req.media?.map((m) => ({ ...m, vector: Float32Array.from(m.vector as unknown as number[]) }));
    results.push(await engine.generate({ ...req, media }, { onPrefillLogits: (l) => prefillLogits.push(Array.from(l)) }));
  }
  await engine.dispose();
  return { results, prefillLogits, variant: engine.variant.format, errors };
}

declare global {
  interface Window {
    runEngine: typeof runEngine;
  }
}
window.runEngine = runEngine;
document.getElementById('status')!.textContent = 'ready';
