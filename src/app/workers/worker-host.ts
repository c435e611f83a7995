/**
 * Owns one Web Worker and its Comlink proxy: start, crash detection, restart, terminate.
 * A crash (uncaught error, failed module load, lost GPU device) rejects the calls in flight with
 * a typed error and tells the owner, who recreates the sessions on a fresh worker.
 */
import * as Comlink from 'comlink';
import { fromErrorPayload, PandaError, type ErrorPayload } from '../../core/errors';

export type CrashHandler = (error: PandaError) => void;

/** Turns what a worker call rejected with back into a typed `PandaError`. */
export function toPandaError(e: unknown): PandaError {
  if (e instanceof PandaError) return e;
  if (typeof e === 'object' && e !== null && (e as ErrorPayload).name === 'PandaError' && typeof (e as ErrorPayload).code === 'string') {
    return fromErrorPayload(e as ErrorPayload);
  }
  if (e instanceof Error) return new PandaError('INTERNAL', e.message, { originalName: e.name });
  return new PandaError('INTERNAL', String(e));
}

export class WorkerHost<Api extends object> {
  private worker: Worker | undefined;
  private remote: Comlink.Remote<Api> | undefined;
  private crashReject = new Set<(e: PandaError) => void>();
  private generation = 0;
  /** Started ahead of need (`warm`) and not called yet: nothing to lose if it dies or is replaced. */
  private fresh = false;

  constructor(
    private readonly create: () => Worker,
    private readonly onCrash: CrashHandler,
  ) {}

  get api(): Comlink.Remote<Api> {
    if (!this.remote) this.start();
    return this.remote!;
  }

  /**
   * Starts the worker now, if none runs, so its script loads (onnxruntime's JS included) while
   * the page does other work, e.g. revalidating the model's manifest.
   */
  warm(): void {
    if (this.remote) return;
    this.start();
    this.fresh = true;
  }

  /** A worker for a new load: the warm one if no call used it yet, else a fresh one (a worker's ORT env is set once). */
  recycle(): void {
    if (!this.fresh) this.terminate();
  }

  private start(): void {
    const w = this.create();
    const gen = ++this.generation;
    w.addEventListener('error', (ev) => {
      ev.preventDefault();
      this.crash(gen, new PandaError('INTERNAL', `The model worker crashed (${ev.message || 'it failed to start'}). It is being restarted; your conversation is kept.`));
    });
    w.addEventListener('messageerror', () => this.crash(gen, new PandaError('INTERNAL', 'The model worker sent a message the page could not read. It is being restarted.')));
    this.worker = w;
    this.remote = Comlink.wrap<Api>(w);
  }

  /** Runs a worker call; rejects with a typed error, also when the worker dies meanwhile. */
  async call<T>(fn: (api: Comlink.Remote<Api>) => Promise<T>): Promise<T> {
    const api = this.api;
    this.fresh = false;
    let onCrash!: (e: PandaError) => void;
    const crashed = new Promise<never>((_, reject) => (onCrash = reject));
    this.crashReject.add(onCrash);
    try {
      return await Promise.race([fn(api), crashed]);
    } catch (e) {
      throw toPandaError(e);
    } finally {
      this.crashReject.delete(onCrash);
    }
  }

  /** Reports a fatal condition (e.g. the GPU device was lost) detected by the worker itself. */
  fail(error: PandaError): void {
    this.crash(this.generation, error);
  }

  private crash(gen: number, error: PandaError): void {
    if (gen !== this.generation || !this.worker) return; // an old worker's late event
    const unused = this.fresh;
    this.terminate();
    if (unused) return; // a warm worker that never ran anything: the first call starts another
    this.crashReject.forEach((r) => r(error));
    this.crashReject.clear();
    this.onCrash(error);
  }

  terminate(): void {
    this.generation++;
    this.fresh = false;
    this.remote?.[Comlink.releaseProxy]();
    this.worker?.terminate();
    this.worker = undefined;
    this.remote = undefined;
  }
}
