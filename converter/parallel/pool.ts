/**
 * A small pool of worker threads for the converter's CPU-bound pure functions (q4/q8 quantisation,
 * the LoRA merge, fp16 conversion, transposes, sha256 of leftover files): see ./tasks.ts.
 *
 *   main thread: reserve(bytes) ─ read tensor ─ run(task) ─┐          ┌─► result ─ write + hash
 *                                                          └► worker ─┘   (in graph order)
 *
 * Memory stays bounded: `reserve` admits a tensor only while fewer than two per worker are in
 * flight (read but not yet written out) and their peak bytes (stored + float32 + output, counted
 * by the caller) fit `maxBytesInFlight`; a tensor bigger than the budget still runs, alone. A 13B
 * conversion so peaks at about what the one-thread path needs for lm_head. Buffers are
 * transferred, not copied, both ways.
 *
 * Workers are plain .mjs files that register tsx themselves (worker.mjs), so they start the same
 * under `tsx`, `node --import tsx` and vitest (Node 20 does not pass the parent's TS loader on).
 *
 * A task that throws rejects with a PandaError naming the file and tensor; a worker that dies
 * (crash, failed start) fails every pending task and the pool, so nothing waits forever.
 */
import { totalmem } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fromErrorPayload, isPandaError, PandaError, type ErrorPayload } from '../../src/core/errors';
import type { Task, TaskResult } from './tasks';

/**
 * Marks a promise whose failure is reported elsewhere (the graph's `settle`): a part of a task's
 * result that is never consumed, because the build stopped first, must not be an unhandled rejection.
 */
export function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/**
 * Promise.all that waits for every promise to settle before rejecting, so nothing is left running,
 * and rejects with the first failure in time; `onFirstError` may stop the others meanwhile.
 */
export async function allOrFirstError<T>(ps: Promise<T>[], onFirstError?: (e: unknown) => void): Promise<T[]> {
  let first: { e: unknown } | undefined;
  const settled = await Promise.allSettled(
    ps.map((p) =>
      p.catch((e: unknown) => {
        if (!first) {
          first = { e };
          onFirstError?.(e);
        }
        throw e;
      }),
    ),
  );
  if (first) throw first.e;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** The buffers a message can move: those a typed array owns whole (a view of a bigger buffer is copied). */
function collect(value: unknown, out: Set<ArrayBuffer>): void {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) out.add(value.buffer);
  } else if (Array.isArray(value)) {
    for (const v of value) collect(v, out);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) collect(v, out);
  }
}

export function transferList(value: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  collect(value, out);
  return [...out];
}

/** Where a task's input came from, for error messages. */
export interface TaskWhere {
  file?: string;
  tensor?: string;
}

export interface PoolOptions {
  threads: number;
  /**
   * Bytes the tensors in flight may hold at their peak, as callers count them. Default: 512 MiB
   * per worker, at least 1 GiB, at most a quarter of the machine's memory.
   */
  maxBytesInFlight?: number;
  /** Tensors in flight (default 2 per worker). */
  maxTensorsInFlight?: number;
  /** Module the workers load (exports `runTask`); tests pass their own. Default ./tasks.ts. */
  tasksModule?: URL;
}

/** Admission for one tensor's bytes; release once its output is written. Idempotent. */
export interface Ticket {
  release(): void;
}

interface Job {
  id: number;
  task: unknown;
  transfer: ArrayBuffer[];
  where: TaskWhere;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  job?: Job;
  /** When the current job was sent, and the time spent on jobs so far (ms). */
  since: number;
  busyMs: number;
}

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ErrorPayload };

const GIB = 1024 * 1024 * 1024;

function describe(where: TaskWhere): string {
  return [where.file, where.tensor ? `tensor "${where.tensor}"` : undefined].filter(Boolean).join(': ');
}

export class ConverterPool {
  readonly threads: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private failure?: PandaError;
  private closing = false;
  private readonly maxBytes: number;
  private readonly maxTensors: number;
  private bytesInFlight = 0;
  private tensorsInFlight = 0;
  private readonly waiters: { bytes: number; grant: (t: Ticket) => void; reject: (e: unknown) => void }[] = [];

  constructor(o: PoolOptions) {
    if (!Number.isInteger(o.threads) || o.threads < 1) throw new PandaError('CONVERT_FAILED', `threads must be a positive integer (got ${o.threads}).`);
    this.threads = o.threads;
    this.maxBytes = o.maxBytesInFlight ?? Math.max(GIB, Math.min(o.threads * (GIB / 2), totalmem() / 4));
    this.maxTensors = o.maxTensorsInFlight ?? 2 * o.threads;
    const tasks = (o.tasksModule ?? new URL('./tasks.ts', import.meta.url)).href;
    for (let i = 0; i < o.threads; i++) {
      // execArgv []: the worker registers tsx itself; the parent's tsx flags would only slow its start.
      const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { tasks }, execArgv: [] });
      const slot: Slot = { worker, since: 0, busyMs: 0 };
      worker.unref();
      worker.on('message', (m: Reply) => this.onReply(slot, m));
      worker.on('error', (e) => this.fail(slot, e instanceof Error ? e : new Error(String(e))));
      worker.on('exit', (code) => {
        if (!this.closing) this.fail(slot, new Error(`worker exited with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  /** Runs one converter task (./tasks.ts) on a worker; its typed arrays are transferred, not copied. */
  run<T extends Task>(task: T, where: TaskWhere = {}): Promise<TaskResult<T>> {
    return this.call(task, transferList(task), where) as Promise<TaskResult<T>>;
  }

  /** Runs any task of the workers' module; `transfer` lists the buffers to move. */
  call(task: unknown, transfer: ArrayBuffer[], where: TaskWhere = {}): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new PandaError('CONVERT_FAILED', 'The converter worker pool is closed.'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, transfer, where, resolve, reject });
      this.dispatch();
    });
  }

  /** Waits until a tensor of `bytes` may be read (see the module comment). */
  reserve(bytes: number): Promise<Ticket> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((grant, reject) => {
      this.waiters.push({ bytes, grant, reject });
      this.admit();
    });
  }

  /** Milliseconds each worker has spent on tasks (from send to reply): how busy the pipeline kept them. */
  busyMs(): number[] {
    return this.slots.map((s) => s.busyMs);
  }

  /** Fails the pool with `e` (a sibling build failed): everything pending and later rejects with it. */
  abort(e: unknown): void {
    if (this.failure || this.closing) return;
    this.failure = isPandaError(e) ? e : new PandaError('CONVERT_FAILED', `Conversion stopped: ${(e as Error)?.message ?? String(e)}`);
    void this.close();
  }

  /** Stops every worker; pending and queued tasks reject. Safe to call twice. */
  async close(): Promise<void> {
    this.closing = true;
    const err = this.failure ?? new PandaError('CONVERT_FAILED', 'The converter worker pool was closed.');
    for (const j of this.queue.splice(0)) j.reject(err);
    for (const w of this.waiters.splice(0)) w.reject(err);
    for (const s of this.slots) {
      s.job?.reject(err);
      s.job = undefined;
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private admit(): void {
    while (this.waiters.length) {
      const w = this.waiters[0]!;
      const fits = this.tensorsInFlight < this.maxTensors && this.bytesInFlight + w.bytes <= this.maxBytes;
      if (this.tensorsInFlight > 0 && !fits) return;
      this.waiters.shift();
      this.tensorsInFlight++;
      this.bytesInFlight += w.bytes;
      let released = false;
      w.grant({
        release: () => {
          if (released) return;
          released = true;
          this.tensorsInFlight--;
          this.bytesInFlight -= w.bytes;
          this.admit();
        },
      });
    }
  }

  private dispatch(): void {
    for (const s of this.slots) {
      if (s.job || !this.queue.length) continue;
      const job = this.queue.shift()!;
      s.job = job;
      s.since = performance.now();
      s.worker.ref(); // a worker with work keeps the process alive; an idle one does not
      s.worker.postMessage({ id: job.id, task: job.task }, job.transfer);
    }
  }

  private onReply(slot: Slot, m: Reply): void {
    const job = slot.job;
    if (!job || job.id !== m.id) return;
    slot.job = undefined;
    slot.busyMs += performance.now() - slot.since;
    slot.worker.unref();
    if (m.ok) job.resolve(m.result);
    else {
      const e = fromErrorPayload(m.error);
      const where = describe(job.where);
      job.reject(
        new PandaError(e.code === 'INTERNAL' ? 'CONVERT_FAILED' : e.code, where ? `${where}: ${e.message}` : e.message, { ...e.details, ...job.where }),
      );
    }
    this.dispatch();
  }

  /** A worker died: nothing it held can finish, and the conversion must stop, not wait. */
  private fail(slot: Slot, e: Error): void {
    if (this.failure || this.closing) return;
    const where = slot.job ? describe(slot.job.where) : '';
    this.failure = new PandaError('CONVERT_FAILED', `A converter worker thread failed${where ? ` on ${where}` : ''}: ${e.message}`, { ...slot.job?.where });
    void this.close();
  }
}
