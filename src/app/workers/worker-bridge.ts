/**
 * What the LLM and encoder bridges share: one `WorkerHost`, the last successful load (so a crashed
 * worker can be replaced by a fresh one with the same sessions), a retry budget, cancellable calls
 * and disposal. Subclasses say how to load and what their worker offers.
 */
import type * as Comlink from 'comlink';
import type { PandaError } from '../../core/errors';
import type { ProgressEvent, RuntimeConfig } from '../../../workers/events';
import type { BackendChoice } from './backend';
import { ortWasmUrl } from './ort-assets';
import { WorkerHost } from './worker-host';

export function runtimeConfig(choice: BackendChoice): RuntimeConfig {
  return { backend: choice.backend, numThreads: choice.numThreads, fp16: choice.fp16, wasmUrl: ortWasmUrl() };
}

export interface BridgeCallbacks<Info = unknown> {
  /** The worker died; a restart is under way. */
  onCrash?: (error: PandaError) => void;
  /** Sessions were recreated after a crash. */
  onRecovered?: (info: Info) => void;
  /** The restart itself failed (or the worker kept crashing). */
  onRecoveryFailed?: (error: PandaError) => void;
}

/** Restarts after this many crashes in a row (no successful call in between) give up. */
export const MAX_RESTARTS = 3;

/** What every model worker offers besides its own calls. */
export interface DisposableWorkerApi {
  dispose(): Promise<void>;
}

export abstract class WorkerBridge<Api extends DisposableWorkerApi, Load, Info> {
  protected readonly host: WorkerHost<Api>;
  protected loaded: Load | undefined;
  private nextId = 1;
  private failures = 0;

  constructor(
    private readonly callbacks: BridgeCallbacks<Info>,
    createWorker: () => Worker,
  ) {
    this.host = new WorkerHost<Api>(createWorker, (e) => this.recover(e));
  }

  /**
   * Loads `what` on a fresh worker: the first load (with progress) and every recovery (without).
   * Implementations start with `this.host.recycle()`: a worker's ORT env is set once.
   */
  protected abstract reload(what: Load, onProgress?: (e: ProgressEvent) => void): Promise<Info>;

  /** Loads `what`, replacing any earlier load; it is what a crash recovery reloads. */
  protected loadAndRemember(what: Load, onProgress: (e: ProgressEvent) => void): Promise<Info> {
    this.loaded = what;
    return this.reload(what, onProgress);
  }

  /**
   * One cancellable job: `job(id)` runs on the worker; aborting `signal` calls `stop(id)`.
   * A job that finishes resets the crash budget.
   */
  protected async job<T>(job: (id: number) => Promise<T>, stop: (id: number) => void, signal?: AbortSignal): Promise<T> {
    const id = this.nextId++;
    const onAbort = (): void => stop(id);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await job(id);
      this.failures = 0;
      return result;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Starts the worker ahead of its first load (its scripts load meanwhile). */
  warm(): void {
    this.host.warm();
  }

  async dispose(): Promise<void> {
    this.loaded = undefined;
    await this.host.call((api) => (api as unknown as Comlink.Remote<DisposableWorkerApi>).dispose()).catch(() => undefined);
    this.host.terminate();
  }

  private recover(error: PandaError): void {
    this.callbacks.onCrash?.(error);
    const l = this.loaded;
    // Something that crashes the worker every time must not restart it forever.
    if (l === undefined || ++this.failures > MAX_RESTARTS) return this.callbacks.onRecoveryFailed?.(error);
    this.reload(l).then(
      (info) => this.callbacks.onRecovered?.(info),
      (e: PandaError) => this.callbacks.onRecoveryFailed?.(e),
    );
  }
}
