/**
 * Runs small ONNX graphs (bytes built in Node by the spec) on one onnxruntime-web backend per page
 * load, so the JSEP build and the native WebGPU build never share a page. Exposes `window.bc`.
 *
 *   wasm   = onnxruntime-web (default import), executionProviders ['wasm']
 *   jsep   = onnxruntime-web (default import), ['webgpu']: WebGPU kernels written in JS
 *   native = onnxruntime-web/webgpu, ['webgpu']: the C++ WebGPU EP (Dawn)
 */
import type { Feeds, PlainTensor } from './graphs';

export type BackendBuild = 'wasm' | 'jsep' | 'native';

type Ort = typeof import('onnxruntime-web');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

let ort: Ort | undefined;
let build: BackendBuild | undefined;
const sessions = new Map<string, Session>();

function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function f16ToF32(h: number): number {
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

async function init(b: BackendBuild): Promise<void> {
  ort = (b === 'native' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web')) as unknown as Ort;
  ort.env.wasm.numThreads = 1;
  build = b;
}

function toTensor(t: PlainTensor) {
  const o = ort!;
  switch (t.type) {
    case 'float32':
      return new o.Tensor('float32', Float32Array.from(t.data), t.dims);
    case 'float16': // uint16 bits: accepted for float16 by every ORT build
      return new o.Tensor('float16', Uint16Array.from(t.data), t.dims);
    case 'int32':
      return new o.Tensor('int32', Int32Array.from(t.data), t.dims);
    case 'int64':
      return new o.Tensor('int64', BigInt64Array.from(t.data, (v) => BigInt(v)), t.dims);
  }
}

/** Outputs come back as float numbers (fp16 decoded here, whether ORT hands out bits or Float16Array). */
function toPlain(t: { type: string; dims: readonly number[]; data: unknown }): PlainTensor {
  const d = t.data as ArrayLike<number>;
  const data = t.type === 'float16' && d instanceof Uint16Array ? Array.from(d, f16ToF32) : Array.from(d, Number);
  return { type: 'float32', dims: [...t.dims], data };
}

/**
 * `placements`: verbose session logging, so the console shows which EP each node was placed on
 * (a WebGPU result only means something if the op really ran on the GPU, not a CPU fallback).
 */
async function open(id: string, modelB64: string, placements = false): Promise<void> {
  const ep = build === 'wasm' ? 'wasm' : 'webgpu';
  // Same optimisation level as the app's sessions (workers/ort-runtime.ts).
  sessions.set(id, await ort!.InferenceSession.create(fromBase64(modelB64), { executionProviders: [ep], graphOptimizationLevel: 'all', ...(placements ? { logSeverityLevel: 0 as const, logVerbosityLevel: 0 } : {}) }));
}

async function run(id: string, feeds: Feeds): Promise<Record<string, PlainTensor>> {
  const s = sessions.get(id);
  if (!s) throw new Error(`no session ${id}`);
  // Runs log at warning level: the verbose placement log is only wanted at session creation.
  const out = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, toTensor(t)])), { logSeverityLevel: 2 });
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, toPlain(t)]));
}

const bc = { init, open, run };

declare global {
  interface Window {
    bc: typeof bc;
  }
}
window.bc = bc;
document.getElementById('status')!.textContent = 'ready';
