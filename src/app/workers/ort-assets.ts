/**
 * ORT's JSEP wasm binary, emitted by Vite among our own hashed assets. Workers get its absolute
 * URL in `init()`, so onnxruntime-web never fetches from anywhere else (an offline app, and a
 * CSP that allows only our origin).
 */
import jsepWasm from '../../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.wasm?url';

export function ortWasmUrl(): string {
  return new URL(jsepWasm, document.baseURI).href;
}
