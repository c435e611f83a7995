/**
 * `navigator.gpu` for Node from the `webgpu` npm package (Dawn's dawn.node, the WebGPU
 * implementation inside Chrome), so onnxruntime-web's JSEP build runs under Node exactly as it
 * does in the page's worker. Loaded with a computed specifier: the package's types pull in
 * @webgpu/types, which would clash with the DOM lib's WebGPU types in the project's type-check.
 */

interface WebgpuModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

type WriteBuffer = (buffer: GPUBuffer, offset: number, data: BufferSource | SharedArrayBuffer, dataOffset?: number, size?: number) => void;

/**
 * dawn.node rejects a SharedArrayBuffer in `queue.writeBuffer` ("no overload matched"), but ORT's
 * threaded wasm heap is one: every upload from the heap (inputs, small initializers) would fail.
 * Browsers take it (the spec's AllowSharedBufferSource); copy it into a plain buffer instead.
 */
function acceptSharedBuffers(queueProto: { writeBuffer: WriteBuffer }): void {
  const original = queueProto.writeBuffer;
  queueProto.writeBuffer = function (this: GPUQueue, buffer, offset, data, dataOffset, size) {
    if (data instanceof SharedArrayBuffer) {
      const start = dataOffset ?? 0;
      const len = size ?? data.byteLength - start;
      return original.call(this, buffer, offset, new Uint8Array(data, start, len).slice(), 0, len);
    }
    if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) {
      // For typed arrays, offset and size count elements, not bytes.
      const bpe = (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
      const start = dataOffset ?? 0;
      const count = size ?? data.byteLength / bpe - start;
      const bytes = new Uint8Array(data.buffer, data.byteOffset + start * bpe, count * bpe).slice();
      return original.call(this, buffer, offset, bytes, 0, bytes.byteLength);
    }
    return original.call(this, buffer, offset, data, dataOffset, size);
  };
}

/** Calls ORT made into WebGPU: what a decode step costs besides the kernels themselves. */
export interface GpuCounters {
  submits: number;
  mapAsyncs: number;
  writeBuffers: number;
  /** Shader modules and compute pipelines created (a compile each, unless the driver caches it). */
  shaderModules: number;
  pipelines: number;
}

const counters: GpuCounters = { submits: 0, mapAsyncs: 0, writeBuffers: 0, shaderModules: 0, pipelines: 0 };

export const gpuCounters = (): GpuCounters => ({ ...counters });

/** Labels of the shader modules created since `resetShaderLabels` (ORT labels them by kernel). */
let shaderLabels = new Map<string, number>();
export const resetShaderLabels = (): void => void (shaderLabels = new Map());
export const shaderLabelsSince = (): Record<string, number> => Object.fromEntries([...shaderLabels].sort((x, y) => y[1] - x[1]));

type AnyFn = (...args: unknown[]) => unknown;

function count(proto: Record<string, unknown> | undefined, method: string, key: keyof GpuCounters): void {
  const original = proto?.[method] as AnyFn | undefined;
  if (!proto || typeof original !== 'function') return;
  proto[method] = function (this: unknown, ...args: unknown[]) {
    counters[key]++;
    if (key === 'shaderModules') {
      const label = (args[0] as { label?: string } | undefined)?.label || '(no label)';
      shaderLabels.set(label, (shaderLabels.get(label) ?? 0) + 1);
    }
    return original.apply(this, args);
  };
}

/** Installs Dawn as `navigator.gpu` (plus the GPU* globals ORT checks with instanceof). */
export async function installDawn(flags: string[]): Promise<GPU> {
  const specifier = 'webgpu';
  const mod = (await import(specifier)) as WebgpuModule;
  Object.assign(globalThis, mod.globals);
  const queue = mod.globals.GPUQueue as { prototype: { writeBuffer: WriteBuffer } } | undefined;
  if (queue) acceptSharedBuffers(queue.prototype);
  const proto = (name: string): Record<string, unknown> | undefined => (mod.globals[name] as { prototype?: Record<string, unknown> } | undefined)?.prototype;
  count(proto('GPUQueue'), 'submit', 'submits');
  count(proto('GPUQueue'), 'writeBuffer', 'writeBuffers');
  count(proto('GPUBuffer'), 'mapAsync', 'mapAsyncs');
  count(proto('GPUDevice'), 'createShaderModule', 'shaderModules');
  count(proto('GPUDevice'), 'createComputePipeline', 'pipelines');
  count(proto('GPUDevice'), 'createComputePipelineAsync', 'pipelines');
  const gpu = mod.create(flags);
  // Node 21+ defines a read-only `navigator` getter; Node 20 has none.
  const nav = (globalThis as { navigator?: object }).navigator ?? {};
  Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
  return gpu;
}

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  features: string[];
}

export function adapterReport(a: GPUAdapter): AdapterReport {
  const info = a.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const legacy = (a as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter ?? legacy ?? false,
    maxBufferSize: a.limits.maxBufferSize,
    maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize,
    features: [...a.features].map(String).sort(),
  };
}
