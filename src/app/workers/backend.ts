/**
 * Picks the execution backend at start, with the reason shown to the user: WebGPU when the
 * browser gives an adapter (fp16 variants only with `shader-f16`), else wasm, with threads
 * only when the page is cross-origin isolated (SharedArrayBuffer needs COOP/COEP).
 */
export type BackendKind = 'webgpu' | 'wasm';

export interface BackendChoice {
  backend: BackendKind;
  fp16: boolean;
  numThreads: number;
  reason: string;
}

export interface BackendEnv {
  gpu?: { requestAdapter(): Promise<{ features: { has(f: string): boolean }; info?: { description?: string; vendor?: string; architecture?: string } } | null> };
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
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

export async function detectBackend(env: BackendEnv, override?: BackendKind): Promise<BackendChoice> {
  const threads = wasmThreads(env);
  const wasm = (why: string): BackendChoice => ({ backend: 'wasm', fp16: false, numThreads: threads.numThreads, reason: `WebAssembly, ${threads.why}: ${why}` });
  if (override === 'wasm') return wasm('chosen in Settings');
  if (!env.gpu) return wasm('this browser has no WebGPU');
  let adapter: Awaited<ReturnType<NonNullable<BackendEnv['gpu']>['requestAdapter']>> = null;
  try {
    adapter = await env.gpu.requestAdapter();
  } catch (e) {
    return wasm(`WebGPU adapter request failed (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!adapter) return wasm(override === 'webgpu' ? 'WebGPU was chosen in Settings but no GPU adapter is available' : 'no WebGPU adapter is available');
  const fp16 = adapter.features.has('shader-f16');
  const name = adapter.info?.description || adapter.info?.vendor || 'GPU';
  const how = override === 'webgpu' ? 'chosen in Settings' : 'a WebGPU adapter is available';
  return {
    backend: 'webgpu',
    fp16,
    numThreads: threads.numThreads,
    reason: `WebGPU on ${name}: ${how}; ${fp16 ? 'fp16 enabled (shader-f16)' : 'fp32 compute (no shader-f16)'}`,
  };
}
