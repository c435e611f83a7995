/**
 * The one place a worker configures onnxruntime-web. JSEP build (`onnxruntime-web`), not the
 * native WebGPU EP (`onnxruntime-web/webgpu`): on SwiftShader the native EP gave wrong
 * GroupQueryAttention output for prompts of 32+ tokens, JSEP was correct (shared/spec/web-runtime.md).
 * `ort.env` is set in `initOrt()` (explicitly, never on import) and only once per worker.
 */
import * as ort from 'onnxruntime-web';
import type { OrtModule, SessionOptions } from '../src/core/ort';
import { PandaError } from '../src/core/errors';
import type { RuntimeConfig } from './events';

let configured: RuntimeConfig | undefined;

export function initOrt(config: RuntimeConfig, onDeviceLost: (reason: string) => void): OrtModule {
  if (configured) {
    if (configured.backend !== config.backend) throw new PandaError('INTERNAL', 'This worker is already set up for another backend; the page must start a new worker.');
    return ort as unknown as OrtModule;
  }
  ort.env.wasm.wasmPaths = { wasm: config.wasmUrl };
  ort.env.wasm.numThreads = config.numThreads;
  // 'error': ORT's warnings (e.g. "Some nodes were not assigned to the preferred execution
  // providers", normal for shape ops on WebGPU) are noise a user would take for a fault.
  ort.env.logLevel = 'error';
  configured = config;
  if (config.backend === 'webgpu') watchDevice(onDeviceLost);
  return ort as unknown as OrtModule;
}

export function sessionOptions(config: RuntimeConfig): SessionOptions {
  return { executionProviders: [config.backend], graphOptimizationLevel: 'all', logSeverityLevel: 3 };
}

/**
 * ORT's JSEP build creates its GPUDevice with the first WebGPU session; until then
 * `env.webgpu.device` is undefined. Poll for it (cheap), then watch `lost`.
 */
function watchDevice(onDeviceLost: (reason: string) => void): void {
  let tries = 0;
  const poll = (): void => {
    const dev = (ort.env.webgpu as { device?: Promise<GPUDevice> | GPUDevice }).device;
    if (dev) {
      void Promise.resolve(dev).then((d) =>
        d.lost.then((info) => {
          if (info.reason !== 'destroyed') onDeviceLost(info.message || 'unknown reason');
        }),
      );
    } else if (tries++ < 1200) {
      setTimeout(poll, 250);
    }
  };
  setTimeout(poll, 0);
}
