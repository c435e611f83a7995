/**
 * The page's only handle on the LLM worker: owns its lifecycle (start, load, crash/device-lost
 * recovery, dispose) and cancellation. A crash rejects the generation in flight, then a fresh
 * worker reloads the same bundle; the conversation lives in the store and is untouched.
 */
import * as Comlink from 'comlink';
import type { GenerateRequest, GenerateResult } from '../../core/engine/types';
import { PandaError } from '../../core/errors';
import type { WeightFormat } from '../../core/manifest';
import type { LlmEvent, ProgressEvent, RuntimeConfig } from '../../../workers/events';
import type { LlmWorkerApi } from '../../../workers/llm.worker';
import type { BackendChoice } from './backend';
import type { BundleHandle } from './bundle-handle';
import { ortWasmUrl } from './ort-assets';
import { WorkerHost } from './worker-host';

export interface LlmLoadInfo {
  format: WeightFormat;
  file: string;
}

export interface BridgeCallbacks {
  /** The worker died; a restart is under way. */
  onCrash?: (error: PandaError) => void;
  /** Sessions were recreated after a crash. */
  onRecovered?: (info: LlmLoadInfo) => void;
  /** The restart itself failed. */
  onRecoveryFailed?: (error: PandaError) => void;
}

function runtimeConfig(choice: BackendChoice): RuntimeConfig {
  return { backend: choice.backend, numThreads: choice.numThreads, fp16: choice.fp16, wasmUrl: ortWasmUrl() };
}

export class LlmBridge {
  private readonly host: WorkerHost<LlmWorkerApi>;
  private loaded: { bundle: BundleHandle; choice: BackendChoice; prefer?: WeightFormat } | undefined;
  private nextId = 1;
  private failures = 0;
  /** Cross-thread stop flag (needs cross-origin isolation); the `stop` message is the fallback. */
  private readonly stopFlag = typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : undefined;

  constructor(
    private readonly callbacks: BridgeCallbacks = {},
    createWorker: () => Worker = () => new Worker(new URL('../../../workers/llm.worker.ts', import.meta.url), { type: 'module', name: 'llm' }),
  ) {
    this.host = new WorkerHost<LlmWorkerApi>(createWorker, (e) => this.recover(e));
  }

  /** Starts the worker for `choice` and loads the bundle's decoder; replaces any earlier load. */
  async load(bundle: BundleHandle, choice: BackendChoice, onProgress: (e: ProgressEvent) => void, prefer?: WeightFormat): Promise<LlmLoadInfo> {
    this.host.terminate(); // a worker's ORT env is set once: a new backend needs a new worker
    this.loaded = { bundle, choice, prefer };
    const lost = (reason: string): void => this.host.fail(new PandaError('GPU_DEVICE_LOST', `The GPU device was lost (${reason}). The model is being reloaded; your conversation is kept.`));
    await this.host.call((api) => api.init(runtimeConfig(choice), Comlink.proxy(lost), this.stopFlag));
    return this.host.call((api) =>
      api.load(bundle.manifest, Comlink.proxy((p: string) => bundle.readBlob(p)), Comlink.proxy(onProgress), prefer),
    );
  }

  /** Streams events to `onEvent`; aborting `signal` stops cooperatively at the next step. */
  async generate(req: GenerateRequest, onEvent: (e: LlmEvent) => void, signal?: AbortSignal): Promise<GenerateResult> {
    if (!this.loaded) throw new PandaError('MODEL_NOT_LOADED', 'The language model is not loaded yet. Wait for the model status to say "ready".');
    const id = this.nextId++;
    const stop = (): void => {
      if (this.stopFlag) Atomics.store(this.stopFlag, 0, id);
      void this.host.api.stop(id).catch(() => undefined);
    };
    signal?.addEventListener('abort', stop, { once: true });
    try {
      const result = await this.host.call((api) => api.generate(id, req, Comlink.proxy(onEvent)));
      this.failures = 0;
      return result;
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }

  resetCache(): Promise<void> {
    return this.host.call((api) => api.resetCache());
  }

  async dispose(): Promise<void> {
    this.loaded = undefined;
    await this.host.call((api) => api.dispose()).catch(() => undefined);
    this.host.terminate();
  }

  private recover(error: PandaError): void {
    this.callbacks.onCrash?.(error);
    const l = this.loaded;
    // A model that crashes the worker every time must not restart it forever.
    if (!l || ++this.failures > 3) return this.callbacks.onRecoveryFailed?.(error);
    this.load(l.bundle, l.choice, () => undefined, l.prefer).then(
      (info) => this.callbacks.onRecovered?.(info),
      (e: PandaError) => this.callbacks.onRecoveryFailed?.(e),
    );
  }
}
