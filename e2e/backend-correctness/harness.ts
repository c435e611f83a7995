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
 * `gpuKv`: present_key/present_value stay in GPU buffers (what the app's engine does on WebGPU).
 */
async function open(id: string, modelB64: string, placements = false, gpuKv = false): Promise<void> {
  const ep = build === 'wasm' ? 'wasm' : 'webgpu';
  // Same optimisation level as the app's sessions (workers/ort-runtime.ts).
  sessions.set(
    id,
    await ort!.InferenceSession.create(fromBase64(modelB64), {
      executionProviders: [ep],
      graphOptimizationLevel: 'all',
      ...(placements ? { logSeverityLevel: 0 as const, logVerbosityLevel: 0 } : {}),
      ...(gpuKv ? { preferredOutputLocation: { present_key: 'gpu-buffer' as const, present_value: 'gpu-buffer' as const } } : {}),
    }),
  );
}

function session(id: string): Session {
  const s = sessions.get(id);
  if (!s) throw new Error(`no session ${id}`);
  return s;
}

// Runs log at warning level: the verbose placement log is only wanted at session creation.
const RUN_OPTIONS = { logSeverityLevel: 2 as const };

async function run(id: string, feeds: Feeds): Promise<Record<string, PlainTensor>> {
  const out = await session(id).run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, toTensor(t)])), RUN_OPTIONS);
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, toPlain(t)]));
}

type OrtTensor = InstanceType<Ort['Tensor']>;

async function download(t: OrtTensor): Promise<PlainTensor> {
  if (t.location === 'cpu') return toPlain(t);
  return toPlain({ type: t.type, dims: t.dims, data: await t.getData() });
}

/**
 * Prompt then decode steps, as the engine runs them: each run's present_key/value become the
 * next run's past_key/value without leaving the device (when the session keeps them on the GPU);
 * replaced tensors are disposed. Returns every run's `output` and the final KV cache.
 */
async function chain(id: string, runs: Feeds[]): Promise<{ outputs: PlainTensor[]; presentKey: PlainTensor; presentValue: PlainTensor }> {
  const s = session(id);
  const outputs: PlainTensor[] = [];
  let past: { key: OrtTensor; value: OrtTensor } | undefined;
  for (const feeds of runs) {
    const f: Record<string, OrtTensor> = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, toTensor(t)]));
    if (past) {
      f.past_key = past.key;
      f.past_value = past.value;
    }
    const out = await s.run(f, RUN_OPTIONS);
    outputs.push(await download(out.output!));
    past?.key.dispose();
    past?.value.dispose();
    past = { key: out.present_key!, value: out.present_value! };
  }
  const result = { outputs, presentKey: await download(past!.key), presentValue: await download(past!.value) };
  past!.key.dispose();
  past!.value.dispose();
  return result;
}

const bc = { init, open, run, chain };

declare global {
  interface Window {
    bc: typeof bc;
  }
}
window.bc = bc;
document.getElementById('status')!.textContent = 'ready';
