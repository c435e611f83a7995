/**
 * The three ways the check runs the engine on one bundle, each in its own child process (check.ts
 * kills it on timeout; a crash in a native library loses only that path):
 *
 * - `jsep`: onnxruntime-web's JSEP build (what the page's LLM worker loads, configured by the
 *   worker's own `initOrt`/`sessionOptions`) on Dawn's `navigator.gpu`, bundle read as bytes;
 * - `node-webgpu`: onnxruntime-node's native WebGPU EP (`npm run chat -- --backend webgpu`);
 * - `cpu`: onnxruntime-node's CPU EP, the reference tokens.
 *
 * Greedy, stop rules off (every run decodes exactly the tokens asked for; the weights are random).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as ortWeb from 'onnxruntime-web';
import { nodeOrt, nodeSessionOptions, openBundle } from '../../cli/node-runtime';
import { LlmEngine } from '../../src/core/engine/llm-engine';
import type { GenerateRequest } from '../../src/core/engine/types';
import type { BundleManifest } from '../../src/core/manifest';
import { initOrt, sessionOptions } from '../../workers/ort-runtime';
import type { RuntimeConfig } from '../../workers/events';
import { chooseDecoderFormat } from '../../workers/variant-choice';
import { adapterReport, gpuCounters, installDawn, resetShaderLabels, shaderLabelsSince, type AdapterReport, type GpuCounters } from './dawn';

export const PATHS = ['jsep', 'node-webgpu', 'cpu'] as const;
export type PathName = (typeof PATHS)[number];

export interface PathOptions {
  bundleDir: string;
  prompt: string;
  newTokens: number;
  /** Absolute time (Date.now()) by which decoding must stop (at least 3 tokens are kept). */
  deadline: number;
  /** ort-wasm-simd-threaded.jsep.wasm (jsep only). */
  wasmPath: string;
  dawnFlags: string[];
  forceFallbackAdapter: boolean;
  /** CPU EP intra-op threads (default: onnxruntime's own choice). */
  cpuThreads?: number;
}

export interface PathResult {
  path: PathName;
  format: string;
  loadMs: number;
  warmupMs: number;
  promptTokens: number;
  prefillMs: number;
  timeToFirstTokenMs: number;
  generatedTokens: number;
  decodeMs: number;
  /** (generated − 1) / decode time: the engine's own figure. */
  decodeTokensPerSecond: number;
  overheadMsPerToken: number;
  tokens: number[];
  text: string;
  adapter?: AdapterReport;
  /** Limits of the device ORT created (JSEP asks for the adapter's maxima). */
  deviceLimits?: { maxBufferSize: number; maxStorageBufferBindingSize: number };
  deviceLost?: string;
  /** JSEP only: WebGPU calls in the measured run, for the prefill (to the first token) and per decoded token after it. */
  webgpuCalls?: { prefill: GpuCounters; perDecodeToken: Record<keyof GpuCounters, number>; shadersCompiledDuringDecode: Record<string, number> };
}

export type Emit = (event: Record<string, unknown>) => void;

const request = (prompt: string, maxNewTokens: number): GenerateRequest => ({ prompt, params: { maxNewTokens, greedy: true, temperature: 1, topP: 1, topK: 50 } });

/** The bundle's manifest with stop rules off: random weights may emit `##` or `</s>` at any time. */
function benchManifest(m: BundleManifest): BundleManifest {
  return { ...m, llm: { ...m.llm, stop: { ...m.llm.stop, stopTokenIds: [], eosId: -1 } } };
}

const diff = (a: GpuCounters, b: GpuCounters): GpuCounters => ({ submits: a.submits - b.submits, mapAsyncs: a.mapAsyncs - b.mapAsyncs, writeBuffers: a.writeBuffers - b.writeBuffers, shaderModules: a.shaderModules - b.shaderModules, pipelines: a.pipelines - b.pipelines });

/** Warm-up (same prompt, 2 tokens: compiles prefill and decode kernels), then one measured run. */
async function measure(engine: LlmEngine, o: PathOptions, emit: Emit, counted = false): Promise<Omit<PathResult, 'path' | 'format' | 'loadMs'>> {
  const w0 = performance.now();
  await engine.generate(request(o.prompt, 2));
  engine.resetCache();
  const warmupMs = performance.now() - w0;
  emit({ event: 'warm', ms: warmupMs });
  const ctl = new AbortController();
  let n = 0;
  const c0 = gpuCounters();
  let c1 = c0;
  const r = await engine.generate(request(o.prompt, o.newTokens), {
    signal: ctl.signal,
    onToken: () => {
      // The first streamed token (a byte piece may stream later; close enough for counts).
      if (++n === 1) {
        c1 = gpuCounters();
        resetShaderLabels();
      }
      if (n >= 3 && Date.now() > o.deadline) ctl.abort();
    },
  });
  const t = r.timings;
  let webgpuCalls: PathResult['webgpuCalls'];
  if (counted) {
    const d = diff(gpuCounters(), c1);
    const steps = Math.max(1, t.generatedTokens - 1);
    const per = Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v / steps])) as Record<keyof GpuCounters, number>;
    webgpuCalls = { prefill: diff(c1, c0), perDecodeToken: per, shadersCompiledDuringDecode: shaderLabelsSince() };
  }
  return {
    ...(webgpuCalls ? { webgpuCalls } : {}),
    warmupMs,
    promptTokens: t.promptTokens,
    prefillMs: t.prefillMs,
    timeToFirstTokenMs: t.timeToFirstTokenMs,
    generatedTokens: t.generatedTokens,
    decodeMs: t.decodeMs,
    decodeTokensPerSecond: t.tokensPerSecond,
    overheadMsPerToken: t.overheadMsPerToken,
    tokens: r.tokens,
    text: r.text,
  };
}

async function runJsep(o: PathOptions, emit: Emit): Promise<PathResult> {
  const gpu = await installDawn(o.dawnFlags);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance', forceFallbackAdapter: o.forceFallbackAdapter });
  if (!adapter) throw new Error(`Dawn found no WebGPU adapter${o.forceFallbackAdapter ? ' (fallback adapter forced)' : ''}: no Vulkan driver for this GPU? (see "vulkan" in the report)`);
  const report = adapterReport(adapter);
  emit({ event: 'adapter', adapter: report });
  let deviceLost: string | undefined;
  const config: RuntimeConfig = { backend: 'webgpu', numThreads: 1, wasmUrl: pathToFileURL(o.wasmPath).href, fp16: adapter.features.has('shader-f16') };
  // The page's worker configuration. One wasm thread: ORT's wasm threads are workers started from
  // this very script, which under Node would be check.mjs itself; GPU decode barely uses them.
  const ort = initOrt(config, (reason) => {
    deviceLost = reason;
    emit({ event: 'device-lost', reason });
  });
  ortWeb.env.wasm.wasmBinary = readFileSync(o.wasmPath);
  ortWeb.env.webgpu.adapter = adapter as never;
  const b = openBundle(o.bundleDir);
  const format = chooseDecoderFormat(b.manifest.llm.decoders, 'webgpu', config.fp16);
  const t0 = performance.now();
  const engine = await LlmEngine.load({ ort, manifest: benchManifest(b.manifest), readFile: b.readFile, backend: 'webgpu', variant: format, sessionOptions: sessionOptions(config) });
  const loadMs = performance.now() - t0;
  emit({ event: 'loaded', ms: loadMs, format });
  const device = (await (ortWeb.env.webgpu as { device?: Promise<GPUDevice> | GPUDevice }).device) as GPUDevice | undefined;
  try {
    const m = await measure(engine, o, emit, true);
    return {
      path: 'jsep',
      format,
      loadMs,
      ...m,
      adapter: report,
      ...(device ? { deviceLimits: { maxBufferSize: device.limits.maxBufferSize, maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize } } : {}),
      ...(deviceLost ? { deviceLost } : {}),
    };
  } finally {
    await engine.dispose();
  }
}

async function runNode(path: 'node-webgpu' | 'cpu', o: PathOptions, emit: Emit): Promise<PathResult> {
  const backend = path === 'cpu' ? 'cpu' : 'webgpu';
  const b = openBundle(o.bundleDir);
  const t0 = performance.now();
  const engine = await LlmEngine.load({ ort: nodeOrt, manifest: benchManifest(b.manifest), readFile: b.readFile, loadPart: b.loadPart, backend, sessionOptions: nodeSessionOptions(backend, path === 'cpu' ? o.cpuThreads : undefined) as never });
  const loadMs = performance.now() - t0;
  emit({ event: 'loaded', ms: loadMs, format: engine.variant.format });
  try {
    return { path, format: engine.variant.format, loadMs, ...(await measure(engine, o, emit)) };
  } finally {
    await engine.dispose();
  }
}

export function runPath(path: PathName, o: PathOptions, emit: Emit): Promise<PathResult> {
  return path === 'jsep' ? runJsep(o, emit) : runNode(path, o, emit);
}
