/**
 * onnxruntime is injected, never imported by the core: the same engine runs on onnxruntime-node
 * (CLI, tests, bench) and onnxruntime-web (workers). Both export these from onnxruntime-common.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';

export type OrtTensor = Tensor;
export type OrtSession = InferenceSession;

export interface OrtModule {
  InferenceSession: { create(model: string | Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession> };
  Tensor: typeof Tensor;
}

/** Where the engine runs; picks the decoder/encoder variant the bundle recommends for it. */
export type Backend = 'webgpu' | 'wasm' | 'cpu';

export type SessionOptions = InferenceSession.SessionOptions;
