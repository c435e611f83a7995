/**
 * The page's only handle on the LLM worker: owns its lifecycle (start, load, crash/device-lost
 * recovery, dispose) and cancellation. A crash rejects the generation in flight, then a fresh
 * worker reloads the same bundle; the conversation lives in the store and is untouched.
 */
import * as Comlink from 'comlink';
import type { GenerateRequest, GenerateResult } from '../../core/engine/types';
import { PandaError } from '../../core/errors';
import type { WeightFormat } from '../../core/manifest';
import type { LlmEvent, ProgressEvent } from '../../../workers/events';
import type { LlmWorkerApi } from '../../../workers/llm.worker';
import type { BackendChoice } from './backend';
import type { BundleHandle } from './bundle-handle';
import type { LoadTimings } from '../../../workers/llm.worker';
import { type BridgeCallbacks, runtimeConfig, WorkerBridge } from './worker-bridge';

export interface LlmLoadInfo {
  format: WeightFormat;
  /** The decoder's graph (its first layer group's). */
  file: string;
  timings: LoadTimings;
}

interface LlmLoad {
  bundle: BundleHandle;
  choice: BackendChoice;
  prefer?: WeightFormat;
}

export class LlmBridge extends WorkerBridge<LlmWorkerApi, LlmLoad, LlmLoadInfo> {
  /** Cross-thread stop flag (needs cross-origin isolation); the `stop` message is the fallback. */
  private readonly stopFlag = typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : undefined;

  constructor(
    callbacks: BridgeCallbacks<LlmLoadInfo> = {},
    createWorker: () => Worker = () => new Worker(new URL('../../../workers/llm.worker.ts', import.meta.url), { type: 'module', name: 'llm' }),
  ) {
    super(callbacks, createWorker);
  }

  /** Starts the worker for `choice` and loads the bundle's decoder; replaces any earlier load. */
  load(bundle: BundleHandle, choice: BackendChoice, onProgress: (e: ProgressEvent) => void, prefer?: WeightFormat): Promise<LlmLoadInfo> {
    return this.loadAndRemember({ bundle, choice, prefer }, onProgress);
  }

  protected async reload({ bundle, choice, prefer }: LlmLoad, onProgress: (e: ProgressEvent) => void = () => undefined): Promise<LlmLoadInfo> {
    this.host.recycle();
    const lost = (reason: string): void => this.host.fail(new PandaError('GPU_DEVICE_LOST', `The GPU device was lost (${reason}). The model is being reloaded; your conversation is kept.`));
    await this.host.call((api) => api.init(runtimeConfig(choice), Comlink.proxy(lost), this.stopFlag));
    return this.host.call((api) => api.load(bundle.manifest, Comlink.proxy((p: string) => bundle.readBlob(p)), Comlink.proxy(onProgress), prefer));
  }

  /** Streams events to `onEvent`; aborting `signal` stops cooperatively at the next step. */
  async generate(req: GenerateRequest, onEvent: (e: LlmEvent) => void, signal?: AbortSignal): Promise<GenerateResult> {
    if (!this.loaded) throw new PandaError('MODEL_NOT_LOADED', 'The language model is not loaded yet. Wait for the model status to say "ready".');
    return await this.job(
      (id) => this.host.call((api) => api.generate(id, req, Comlink.proxy(onEvent))),
      (id) => {
        if (this.stopFlag) Atomics.store(this.stopFlag, 0, id);
        void this.host.api.stop(id).catch(() => undefined);
      },
      signal,
    );
  }

  resetCache(): Promise<void> {
    return this.host.call((api) => api.resetCache());
  }
}
