import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PandaError } from '../../src/core/errors';
import type { BackendChoice } from '../../src/app/workers/backend';
import type { BundleHandle } from '../../src/app/workers/bundle-handle';
import { EncoderBridge } from '../../src/app/workers/encoder-bridge';
import { LlmBridge } from '../../src/app/workers/llm-bridge';
import { MAX_RESTARTS } from '../../src/app/workers/worker-bridge';
import { fakeWorker } from './fake-worker';

/**
 * The bridges' shared crash handling (WorkerBridge) over real MessageChannels: a worker that dies
 * mid-call rejects that call with a typed error, a fresh worker reloads the same bundle, and a
 * worker that keeps dying is given up on after MAX_RESTARTS.
 */
const bundle = { manifest: { name: 'm' }, readBlob: async () => new Blob([]) } as unknown as BundleHandle;
const choice = { backend: 'wasm', numThreads: 1, fp16: false } as unknown as BackendChoice;

function harness() {
  const workers: ReturnType<typeof fakeWorker>[] = [];
  const calls: string[] = [];
  const api = {
    init: async () => void calls.push('init'),
    load: async () => (calls.push('load'), { format: 'fp32', file: 'decoder-fp32.onnx', modalities: ['image'] }),
    generate: () => new Promise<never>(() => undefined),
    encode: () => new Promise<never>(() => undefined),
    stop: async () => void calls.push('stop'),
    resetCache: async () => undefined,
    dispose: async () => void calls.push('dispose'),
  };
  const events: string[] = [];
  const callbacks = {
    onCrash: (e: PandaError) => events.push(`crash:${e.code}`),
    onRecovered: () => events.push('recovered'),
    onRecoveryFailed: (e: PandaError) => events.push(`failed:${e.code}`),
  };
  const create = (): Worker => {
    const w = fakeWorker(api);
    workers.push(w);
    return w as unknown as Worker;
  };
  return { workers, calls, events, callbacks, create };
}

const tick = (ms = 10): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('WorkerBridge recovery', () => {
  beforeAll(() => {
    (globalThis as { document?: unknown }).document ??= { baseURI: 'http://127.0.0.1/' };
  });
  let dispose: (() => Promise<void>) | undefined;
  afterEach(async () => dispose?.());

  it('LlmBridge: a crash rejects the generation, a fresh worker reloads the bundle', async () => {
    const h = harness();
    const bridge = new LlmBridge(h.callbacks, h.create);
    dispose = () => bridge.dispose();
    expect(await bridge.load(bundle, choice, () => undefined)).toMatchObject({ format: 'fp32' });
    const gen = bridge.generate({ prompt: 'hi', params: { maxNewTokens: 1, temperature: 1, topP: 1, topK: 0 } }, () => undefined);
    await tick();
    h.workers[0]!.crash();
    await expect(gen).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect.poll(() => h.events).toEqual(['crash:INTERNAL', 'recovered']);
    expect(h.workers).toHaveLength(2);
    expect(h.calls).toEqual(['init', 'load', 'init', 'load']);
  });

  it('EncoderBridge: aborting sends stop; a worker that keeps crashing is given up on', async () => {
    const h = harness();
    const bridge = new EncoderBridge(h.callbacks, h.create);
    dispose = () => bridge.dispose();
    await bridge.load(bundle, choice, () => undefined);
    const ac = new AbortController();
    const job = bridge.encode({ kind: 'bytes', bytes: new Uint8Array(4), modality: 'image' } as never, ac.signal).catch((e: unknown) => e);
    await tick();
    ac.abort();
    await expect.poll(() => h.calls).toContain('stop');
    for (let i = 0; i <= MAX_RESTARTS; i++) {
      // each restart reloads fully before the next crash (a crash during a reload ends recovery)
      await expect.poll(() => h.events.filter((e) => e === 'recovered').length).toBe(i);
      h.workers[i]!.crash();
    }
    expect(await job).toBeInstanceOf(PandaError);
    await expect.poll(() => h.events.at(-1)).toBe('failed:INTERNAL');
    expect(h.events.filter((e) => e === 'recovered')).toHaveLength(MAX_RESTARTS);
  });

  it('calls before a load are refused with a clear error', async () => {
    const h = harness();
    const bridge = new LlmBridge(h.callbacks, h.create);
    await expect(bridge.generate({ prompt: 'x', params: { maxNewTokens: 1, temperature: 1, topP: 1, topK: 0 } }, () => undefined)).rejects.toMatchObject({ code: 'MODEL_NOT_LOADED' });
    await expect(new EncoderBridge(h.callbacks, h.create).encode({ kind: 'bytes' } as never)).rejects.toMatchObject({ code: 'MODEL_NOT_LOADED' });
  });

  it('a warm worker (started before the manifest is read) is the one the first load uses; a later load gets a fresh one', async () => {
    const h = harness();
    const bridge = new LlmBridge(h.callbacks, h.create);
    dispose = () => bridge.dispose();
    bridge.warm();
    bridge.warm();
    expect(h.workers).toHaveLength(1);
    await bridge.load(bundle, choice, () => undefined);
    expect(h.workers).toHaveLength(1);
    bridge.warm(); // a used worker stays as it is...
    await bridge.load(bundle, choice, () => undefined);
    expect(h.workers).toHaveLength(2); // ...and a new load replaces it (its ORT env is set once)
    expect(h.calls).toEqual(['init', 'load', 'init', 'load']);
  });

  it('a warm worker that dies before any call is replaced quietly by the first load', async () => {
    const h = harness();
    const bridge = new LlmBridge(h.callbacks, h.create);
    dispose = () => bridge.dispose();
    bridge.warm();
    h.workers[0]!.crash();
    await tick();
    expect(h.events).toEqual([]);
    expect(await bridge.load(bundle, choice, () => undefined)).toMatchObject({ format: 'fp32' });
    expect(h.workers).toHaveLength(2);
  });
});
