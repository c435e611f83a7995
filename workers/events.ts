/**
 * Events a worker sends to the page, one discriminated union on `type` (house style:
 * `progress | token | done | error`). Pure data: structured-clone safe.
 */
import type { ErrorPayload } from '../src/core/errors';
import type { GenerateResult, TokenEvent } from '../src/core/engine/types';

export interface ProgressEvent {
  type: 'progress';
  /** What is happening, e.g. "Loading decoder". */
  stage: string;
  /** Done / total steps (0..total); total 0 when unknown. */
  loaded: number;
  total: number;
}

export interface TokenStreamEvent extends TokenEvent {
  type: 'token';
}

export interface DoneEvent<R> {
  type: 'done';
  result: R;
}

export interface ErrorEvent {
  type: 'error';
  error: ErrorPayload;
}

export type WorkerEvent<R> = ProgressEvent | TokenStreamEvent | DoneEvent<R> | ErrorEvent;
export type LlmEvent = WorkerEvent<GenerateResult>;
export type LoadEvent = ProgressEvent;

/** How a worker should configure onnxruntime-web (decided on the page, applied in `init()`). */
export interface RuntimeConfig {
  backend: 'webgpu' | 'wasm';
  /** 1 = no wasm threads (page not cross-origin isolated). */
  numThreads: number;
  /** Absolute URL of ORT's .wasm among our own built assets (never a CDN). */
  wasmUrl: string;
  /** Allow fp16 variants (WebGPU adapter has shader-f16). */
  fp16: boolean;
}

/** Reads one bundle file as a Blob (Blobs cross threads by reference, not by copy). */
export type ReadBlob = (path: string) => Promise<Blob>;
