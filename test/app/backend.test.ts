import { describe, expect, it } from 'vitest';
import { detectBackend, type BackendEnv } from '../../src/app/workers/backend';

const adapter = (features: string[]) => ({ features: new Set(features), info: { description: 'SwiftShader' } });
const env = (over: Partial<BackendEnv>): BackendEnv => ({ crossOriginIsolated: true, hardwareConcurrency: 4, ...over });

describe('detectBackend', () => {
  it('uses WebGPU when an adapter exists, fp16 only with shader-f16', async () => {
    const a = await detectBackend(env({ gpu: { requestAdapter: async () => adapter([]) } }));
    expect(a).toMatchObject({ backend: 'webgpu', fp16: false });
    expect(a.reason).toMatch(/SwiftShader.*fp32/);
    const b = await detectBackend(env({ gpu: { requestAdapter: async () => adapter(['shader-f16']) } }));
    expect(b.fp16).toBe(true);
  });

  it('falls back to wasm with the reason', async () => {
    expect(await detectBackend(env({}))).toMatchObject({ backend: 'wasm', reason: expect.stringMatching(/no WebGPU/) });
    const none = await detectBackend(env({ gpu: { requestAdapter: async () => null } }));
    expect(none.reason).toMatch(/no WebGPU adapter/);
    const thrown = await detectBackend(env({ gpu: { requestAdapter: async () => Promise.reject(new Error('boom')) } }));
    expect(thrown).toMatchObject({ backend: 'wasm', reason: expect.stringMatching(/boom/) });
  });

  it('uses wasm threads only when cross-origin isolated', async () => {
    expect((await detectBackend(env({ crossOriginIsolated: false }))).numThreads).toBe(1);
    expect((await detectBackend(env({ crossOriginIsolated: true, hardwareConcurrency: 8 }))).numThreads).toBe(4);
    expect((await detectBackend(env({ crossOriginIsolated: true, hardwareConcurrency: 4 }))).numThreads).toBe(4);
    expect((await detectBackend(env({ crossOriginIsolated: true, hardwareConcurrency: 2 }))).numThreads).toBe(2);
  });

  it('honours the Settings override', async () => {
    const gpu = { requestAdapter: async () => adapter([]) };
    expect(await detectBackend(env({ gpu }), 'wasm')).toMatchObject({ backend: 'wasm', reason: expect.stringMatching(/Settings/) });
    expect(await detectBackend(env({ gpu }), 'webgpu')).toMatchObject({ backend: 'webgpu', reason: expect.stringMatching(/Settings/) });
    const noGpu = await detectBackend(env({ gpu: { requestAdapter: async () => null } }), 'webgpu');
    expect(noGpu).toMatchObject({ backend: 'wasm', reason: expect.stringMatching(/chosen in Settings but no GPU/) });
  });
});

describe('the bundle decides too, before any download', () => {
  const GiB = 1024 ** 3;
  const gpu = (o: { fallback?: boolean; limit?: number } = {}) => ({
    requestAdapter: async () => ({ features: new Set<string>(), info: { description: o.fallback ? 'SwiftShader' : 'RTX', isFallbackAdapter: o.fallback ?? false }, limits: { maxBufferSize: o.limit ?? 4 * GiB, maxStorageBufferBindingSize: o.limit ?? 2 * GiB } }),
  });
  const nano = { wasmDecoderBytes: 10e6, gpuMaxTensorBytes: 1e6 };
  const b7 = { wasmDecoderBytes: 4.6e9, gpuMaxTensorBytes: 0.9 * GiB };

  it('prefers WebAssembly over a software fallback adapter for a model that fits it', async () => {
    const c = await detectBackend(env({ gpu: gpu({ fallback: true }) }), undefined, nano);
    expect(c).toMatchObject({ backend: 'wasm', reason: expect.stringMatching(/software fallback, slower than WebAssembly/) });
    expect(await detectBackend(env({ gpu: gpu() }), undefined, nano)).toMatchObject({ backend: 'webgpu' });
    // Settings can still ask for the fallback GPU.
    expect(await detectBackend(env({ gpu: gpu({ fallback: true }) }), 'webgpu', nano)).toMatchObject({ backend: 'webgpu', reason: expect.stringMatching(/software fallback adapter/) });
  });

  it('runs a 7B bundle on a fallback GPU only with a warning, and refuses it without any GPU, with sizes', async () => {
    const slow = await detectBackend(env({ gpu: gpu({ fallback: true }) }), undefined, b7);
    expect(slow.backend).toBe('webgpu');
    expect(slow.warning).toMatch(/software GPU: this model will take minutes/);
    expect(slow.encoders).toBeUndefined(); // the encoders' size is not known: they stay with the LLM
    await expect(detectBackend(env({}), undefined, b7)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringMatching(/no WebGPU.*4\.3 GiB decoder does not fit WebAssembly \(at most 3\.0 GiB/) });
    await expect(detectBackend(env({ gpu: gpu() }), 'wasm', b7)).rejects.toMatchObject({ message: expect.stringMatching(/WebAssembly was chosen in Settings.*Choose Auto or WebGPU/) });
  });

  it('checks the largest weight against the adapter’s buffer limits', async () => {
    const small = gpu({ limit: 256 * 1024 ** 2 });
    await expect(detectBackend(env({ gpu: small }), undefined, b7)).rejects.toMatchObject({ message: expect.stringMatching(/needs a 922 MiB GPU buffer and RTX allows 256 MiB/) });
    await expect(detectBackend(env({ gpu: small }), 'webgpu', nano)).resolves.toMatchObject({ backend: 'webgpu' });
    // a small model whose weights do not fit that GPU still runs, on wasm, saying why
    expect(await detectBackend(env({ gpu: small }), undefined, { wasmDecoderBytes: 1e8, gpuMaxTensorBytes: 300 * 1024 ** 2 })).toMatchObject({ backend: 'wasm', reason: expect.stringMatching(/300 MiB GPU buffer/) });
    // unknown (older bundles): no check
    expect(await detectBackend(env({ gpu: small }), undefined, { wasmDecoderBytes: 1e8 })).toMatchObject({ backend: 'webgpu' });
  });
});

describe('the media encoders may run elsewhere than the LLM', () => {
  const GiB = 1024 ** 3;
  const gpu = (fallback: boolean) => ({
    requestAdapter: async () => ({ features: new Set<string>(), info: { description: fallback ? 'SwiftShader' : 'RTX', isFallbackAdapter: fallback }, limits: { maxBufferSize: 4 * GiB, maxStorageBufferBindingSize: 2 * GiB } }),
  });
  const b7 = { wasmDecoderBytes: 4.6e9, gpuMaxTensorBytes: 0.9 * GiB, wasmEncoderBytes: 0.9 * GiB };

  it('beside a 7B LLM on a software adapter, ImageBind-Huge runs on WebAssembly, and the reason says so', async () => {
    const c = await detectBackend(env({ gpu: gpu(true) }), undefined, b7);
    expect(c).toMatchObject({ backend: 'webgpu', encoders: { backend: 'wasm', numThreads: 4 } });
    expect(c.reason).toMatch(/media encoders on WebAssembly/);
  });

  it('on a real GPU, or when the encoders do not fit WebAssembly, they stay with the LLM', async () => {
    expect((await detectBackend(env({ gpu: gpu(false) }), undefined, b7)).encoders).toBeUndefined();
    expect((await detectBackend(env({ gpu: gpu(true) }), undefined, { ...b7, wasmEncoderBytes: 3.5 * GiB })).encoders).toBeUndefined();
  });
});
