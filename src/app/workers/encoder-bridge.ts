/**
 * The page's only handle on the encoder worker (preprocessing + ImageBind): lifecycle,
 * cancellation, crash/device-lost recovery (shared with `LlmBridge` in `WorkerBridge`).
 */
import * as Comlink from 'comlink';
import { PandaError } from '../../core/errors';
import type { EncoderInput } from '../../../workers/encoder-input';
import type { ZeroShotTag } from '../../core/encoders/types';
import type { EncodeResult, EncoderWorkerApi } from '../../../workers/encoder.worker';
import type { ProgressEvent } from '../../../workers/events';
import type { BackendChoice } from './backend';
import type { BundleHandle } from './bundle-handle';
import { type BridgeCallbacks, runtimeConfig, WorkerBridge } from './worker-bridge';

export type { EncodeResult, EncoderInput };

interface EncoderLoad {
  bundle: BundleHandle;
  choice: BackendChoice;
}
type EncoderLoadInfo = { modalities: string[] };

export class EncoderBridge extends WorkerBridge<EncoderWorkerApi, EncoderLoad, EncoderLoadInfo> {
  constructor(
    callbacks: BridgeCallbacks<EncoderLoadInfo> = {},
    createWorker: () => Worker = () => new Worker(new URL('../../../workers/encoder.worker.ts', import.meta.url), { type: 'module', name: 'encoder' }),
  ) {
    super(callbacks, createWorker);
  }

  load(bundle: BundleHandle, choice: BackendChoice, onProgress: (e: ProgressEvent) => void): Promise<EncoderLoadInfo> {
    return this.loadAndRemember({ bundle, choice }, onProgress);
  }

  protected async reload({ bundle, choice }: EncoderLoad, onProgress: (e: ProgressEvent) => void = () => undefined): Promise<EncoderLoadInfo> {
    this.host.recycle();
    const lost = (reason: string): void => this.host.fail(new PandaError('GPU_DEVICE_LOST', `The GPU device was lost (${reason}). The encoder is being reloaded; your conversation is kept.`));
    await this.host.call((api) => api.init(runtimeConfig(choice), Comlink.proxy(lost)));
    return this.host.call((api) => api.load(bundle.manifest, Comlink.proxy((p: string) => bundle.readBlob(p)), Comlink.proxy(onProgress)));
  }

  /** Embeds one attachment (bytes are transferred, not copied); aborting stops between stages. */
  async encode(input: EncoderInput, signal?: AbortSignal): Promise<EncodeResult> {
    if (!this.loaded) throw new PandaError('MODEL_NOT_LOADED', 'The media encoder is not loaded yet. Wait for the model status to say "ready".');
    return await this.job(
      (id) => this.host.call((api) => api.encode(id, Comlink.transfer(input, transferables(input)))),
      (id) => void this.host.call((api) => api.stop(id)).catch(() => undefined),
      signal,
    );
  }

  /** Zero-shot tags of a vector (the vector stays here: it is copied, it is small). */
  async tags(vector: Float32Array, labels: string[]): Promise<ZeroShotTag[]> {
    if (!this.loaded) throw new PandaError('MODEL_NOT_LOADED', 'The media encoder is not loaded yet.');
    return this.host.call((api) => api.tags(vector, labels));
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
