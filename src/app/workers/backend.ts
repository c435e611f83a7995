/**
 * Picks the execution backend, with the reason shown to the user, from what the device has and —
 * once the manifest is known, before anything is downloaded — what the bundle needs:
 *
 * - WebGPU when the browser gives a hardware adapter whose buffer limits hold the bundle's largest
 *   weight (fp16 variants only with `shader-f16`);
 * - WebAssembly when there is none, or when the only adapter is a software fallback (SwiftShader,
 *   WARP) and the model fits wasm's heap: wasm is faster there;
 * - and a plain refusal with sizes when neither can run the bundle (e.g. a 7B decoder without a
 *   usable GPU: 4 GB of weights do not fit wasm's 4 GiB address space).
 *
 * The media encoders have their own worker and may get another backend: when the LLM must run on a
 * software fallback adapter (too big for wasm), the encoders run on wasm if they fit (ViT-H takes
 * about a minute per image there, many minutes on SwiftShader).
 *
 * Threads only when the page is cross-origin isolated (SharedArrayBuffer needs COOP/COEP).
 */
import { PandaError } from '../../core/errors';
import { decoderFiles, partFiles, pickVariant, type BundleManifest } from '../../core/manifest';

export type BackendKind = 'webgpu' | 'wasm';

export interface BackendChoice {
  backend: BackendKind;
  fp16: boolean;
  numThreads: number;
  reason: string;
  /** Said to the user beside the choice (e.g. a software GPU will be slow). */
  warning?: string;
  /** The media encoders' worker, when it runs elsewhere than the LLM (absent: the same choice). */
  encoders?: BackendChoice;
}

interface AdapterLike {
  features: { has(f: string): boolean };
  info?: { description?: string; vendor?: string; architecture?: string; isFallbackAdapter?: boolean };
  /** Older Chromium: on the adapter itself. */
  isFallbackAdapter?: boolean;
  limits?: { maxBufferSize?: number; maxStorageBufferBindingSize?: number };
}

export interface BackendEnv {
  gpu?: { requestAdapter(): Promise<AdapterLike | null> };
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
}

/** What a bundle asks of the device (from its manifest). */
export interface BundleNeeds {
  /** Bytes of the decoder variant the wasm backend would load. */
  wasmDecoderBytes: number;
  /** Largest single weight among the parts WebGPU would load (unknown for older bundles). */
  gpuMaxTensorBytes?: number;
  /** Bytes of every media encoder the wasm backend would load (they may all be in use at once). */
  wasmEncoderBytes?: number;
}

/**
 * Weights the wasm backend can hold: wasm32 addresses 4 GiB, and the session also needs its
 * activations, KV cache and the encoder worker's own heap.
 */
export const WASM_MAX_WEIGHT_BYTES = 3 * 1024 ** 3;

const filesBytes = (m: BundleManifest, files: string[]): number => files.reduce((s, f) => s + (m.files[f]?.size ?? 0), 0);

export function bundleNeeds(m: BundleManifest): BundleNeeds {
  const gpuParts: { maxTensorBytes?: number }[] = [pickVariant(m.llm.decoders, 'webgpu')];
  for (const e of Object.values(m.imagebind?.encoders ?? {})) if (e && e.modality !== 'text') gpuParts.push(pickVariant(e.variants, 'webgpu'));
  const known = gpuParts.every((p) => p.maxTensorBytes !== undefined);
  const encoderFiles = new Set<string>();
  for (const e of Object.values(m.imagebind?.encoders ?? {})) {
    if (!e || e.modality === 'text') continue;
    const v = pickVariant(e.variants, 'wasm');
    partFiles(v).forEach((f) => encoderFiles.add(f)); // images and video share a graph
  }
  return {
    wasmEncoderBytes: [...encoderFiles].reduce((s, f) => s + (m.files[f]?.size ?? 0), 0),
    wasmDecoderBytes: filesBytes(m, decoderFiles(pickVariant(m.llm.decoders, 'wasm'))),
    gpuMaxTensorBytes: known ? Math.max(...gpuParts.map((p) => p.maxTensorBytes!)) : undefined,
  };
}

export function browserEnv(): BackendEnv {
  const nav = navigator as Navigator & { gpu?: BackendEnv['gpu'] };
  return { gpu: nav.gpu, crossOriginIsolated: globalThis.crossOriginIsolated === true, hardwareConcurrency: nav.hardwareConcurrency || 1 };
}

function wasmThreads(env: BackendEnv): { numThreads: number; why: string } {
  if (!env.crossOriginIsolated) return { numThreads: 1, why: '1 thread (page not cross-origin isolated)' };
  // Measured on 2 cores: 2 threads beat 1 (web-runtime.md); past 4 the returns are small.
  const n = Math.max(1, Math.min(4, env.hardwareConcurrency));
  return { numThreads: n, why: `${n} thread${n === 1 ? '' : 's'}` };
}

const gib = (n: number): string => `${(n / 1024 ** 3).toFixed(n < 1024 ** 3 ? 2 : 1)} GiB`;
const mib = (n: number): string => (n >= 1024 ** 3 ? gib(n) : `${Math.round(n / 1024 ** 2)} MiB`);

/** The device cannot run the bundle: thrown before any model file is downloaded. */
const unsuitable = (message: string): PandaError => new PandaError('BACKEND_UNAVAILABLE', message);

export async function detectBackend(env: BackendEnv, override?: BackendKind, needs?: BundleNeeds): Promise<BackendChoice> {
  const threads = wasmThreads(env);
  const wasmFits = !needs || needs.wasmDecoderBytes <= WASM_MAX_WEIGHT_BYTES;
  const tooBigForWasm = needs ? `its ${gib(needs.wasmDecoderBytes)} decoder does not fit WebAssembly (at most ${gib(WASM_MAX_WEIGHT_BYTES)} of weights)` : '';
  const wasm = (why: string, warning?: string): BackendChoice => {
    if (!wasmFits) throw unsuitable(`This model cannot run on this device: ${why}, and ${tooBigForWasm}. Use a browser with WebGPU on a GPU (Chrome or Edge 113+), or load a smaller model.`);
    return { backend: 'wasm', fp16: false, numThreads: threads.numThreads, reason: `WebAssembly, ${threads.why}: ${why}`, ...(warning ? { warning } : {}) };
  };
  if (override === 'wasm') {
    if (!wasmFits) throw unsuitable(`WebAssembly was chosen in Settings, but ${tooBigForWasm}. Choose Auto or WebGPU in Settings.`);
    return wasm('chosen in Settings');
  }
  if (!env.gpu) return wasm('this browser has no WebGPU');
  let adapter: AdapterLike | null = null;
  try {
    adapter = await env.gpu.requestAdapter();
  } catch (e) {
    return wasm(`WebGPU adapter request failed (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!adapter) return wasm(override === 'webgpu' ? 'WebGPU was chosen in Settings but no GPU adapter is available' : 'no WebGPU adapter is available');
  const fp16 = adapter.features.has('shader-f16');
  const name = adapter.info?.description || adapter.info?.vendor || 'GPU';
  const fallback = adapter.info?.isFallbackAdapter === true || adapter.isFallbackAdapter === true;
  const limit = Math.min(adapter.limits?.maxBufferSize ?? Infinity, adapter.limits?.maxStorageBufferBindingSize ?? Infinity);
  const gpuFits = needs?.gpuMaxTensorBytes === undefined || needs.gpuMaxTensorBytes <= limit;
  const gpuTooSmall = needs?.gpuMaxTensorBytes !== undefined ? `one of its weights needs a ${mib(needs.gpuMaxTensorBytes)} GPU buffer and ${name} allows ${mib(limit)}` : '';
  if (!gpuFits) {
    if (override === 'webgpu') throw unsuitable(`WebGPU was chosen in Settings, but ${gpuTooSmall}. ${wasmFits ? 'Choose Auto or WebAssembly in Settings.' : `And ${tooBigForWasm}.`}`);
    return wasm(gpuTooSmall);
  }
  const webgpu = (how: string, warning?: string): BackendChoice => ({
    backend: 'webgpu',
    fp16,
    numThreads: threads.numThreads,
    reason: `WebGPU on ${name}${fallback ? ' (a software fallback adapter)' : ''}: ${how}; ${fp16 ? 'fp16 enabled (shader-f16)' : 'fp32 compute (no shader-f16)'}`,
    ...(warning ? { warning } : {}),
  });
  if (override === 'webgpu') return webgpu('chosen in Settings');
  if (fallback) {
    if (wasmFits) return wasm(`the only WebGPU adapter (${name}) is a software fallback, slower than WebAssembly`);
    const llm = webgpu('the only WebGPU adapter, a software fallback', `${name} is a software GPU: this model will take minutes per answer. A device with a real GPU runs it far faster.`);
    const encodersFit = needs?.wasmEncoderBytes !== undefined && needs.wasmEncoderBytes <= WASM_MAX_WEIGHT_BYTES;
    if (!encodersFit) return llm;
    const encoders: BackendChoice = { backend: 'wasm', fp16: false, numThreads: threads.numThreads, reason: `WebAssembly, ${threads.why}: faster than ${name}, a software fallback adapter` };
    return { ...llm, reason: `${llm.reason}; media encoders on WebAssembly (faster than a software adapter)`, encoders };
  }
  return webgpu('a WebGPU adapter is available');
}
