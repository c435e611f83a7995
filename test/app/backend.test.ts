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
