/**
 * The page's only handle on the encoder worker (preprocessing + ImageBind): lifecycle,
 * cancellation, crash/device-lost recovery. Mirrors `LlmBridge`.
 */
import * as Comlink from 'comlink';
import { PandaError } from '../../core/errors';
import type { EncoderInput } from '../../../workers/encoder-input';
import type { EncodeResult, EncoderWorkerApi } from '../../../workers/encoder.worker';
import type { ProgressEvent } from '../../../workers/events';
import type { BackendChoice } from './backend';
import type { BundleHandle } from './bundle-handle';
import type { BridgeCallbacks } from './llm-bridge';
import { ortWasmUrl } from './ort-assets';
import { WorkerHost } from './worker-host';

export type { EncodeResult, EncoderInput };

export class EncoderBridge {
  private readonly host: WorkerHost<EncoderWorkerApi>;
  private loaded: { bundle: BundleHandle; choice: BackendChoice } | undefined;
  private nextId = 1;
  private failures = 0;

  constructor(
    private readonly callbacks: Omit<BridgeCallbacks, 'onRecovered'> & { onRecovered?: () => void } = {},
    createWorker: () => Worker = () => new Worker(new URL('../../../workers/encoder.worker.ts', import.meta.url), { type: 'module', name: 'encoder' }),
  ) {
    this.host = new WorkerHost<EncoderWorkerApi>(createWorker, (e) => this.recover(e));
  }

  async load(bundle: BundleHandle, choice: BackendChoice, onProgress: (e: ProgressEvent) => void): Promise<{ modalities: string[] }> {
    this.host.terminate();
    this.loaded = { bundle, choice };
    const lost = (reason: string): void => this.host.fail(new PandaError('GPU_DEVICE_LOST', `The GPU device was lost (${reason}). The encoder is being reloaded; your conversation is kept.`));
    const cfg = { backend: choice.backend, numThreads: choice.numThreads, fp16: choice.fp16, wasmUrl: ortWasmUrl() };
    await this.host.call((api) => api.init(cfg, Comlink.proxy(lost)));
    return this.host.call((api) => api.load(bundle.manifest, Comlink.proxy((p: string) => bundle.readBlob(p)), Comlink.proxy(onProgress)));
  }

  /** Embeds one attachment (bytes are transferred, not copied); aborting stops between stages. */
  async encode(input: EncoderInput, labels: string[], signal?: AbortSignal): Promise<EncodeResult> {
    if (!this.loaded) throw new PandaError('MODEL_NOT_LOADED', 'The media encoder is not loaded yet. Wait for the model status to say "ready".');
    const id = this.nextId++;
    const stop = (): void => void this.host.call((api) => api.stop(id)).catch(() => undefined);
    signal?.addEventListener('abort', stop, { once: true });
    try {
      const result = await this.host.call((api) => api.encode(id, Comlink.transfer(input, transferables(input)), labels));
      this.failures = 0;
      return result;
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }

  async dispose(): Promise<void> {
    this.loaded = undefined;
    await this.host.call((api) => api.dispose()).catch(() => undefined);
    this.host.terminate();
  }

  private recover(error: PandaError): void {
    this.callbacks.onCrash?.(error);
    const l = this.loaded;
    // A file that crashes the worker every time must not restart it forever.
    if (!l || ++this.failures > 3) return this.callbacks.onRecoveryFailed?.(error);
    this.load(l.bundle, l.choice, () => undefined).then(
      () => this.callbacks.onRecovered?.(),
      (e: PandaError) => this.callbacks.onRecoveryFailed?.(e),
    );
  }
}

function transferables(input: EncoderInput): Transferable[] {
  switch (input.kind) {
    case 'bytes':
      return [input.bytes.buffer as ArrayBuffer];
    case 'pcm':
      return input.channels.map((c) => c.buffer as ArrayBuffer);
    case 'frames':
      return input.frames.map((f) => f.buffer as ArrayBuffer);
    case 'tensor':
      return [input.input.data.buffer as ArrayBuffer];
  }
}
