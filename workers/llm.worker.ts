/**
 * LLM worker: the single owner of the decoder's onnxruntime-web sessions, tokenizer and KV cache.
 * A thin adapter over `LlmEngine`; the page talks to it only through `LlmBridge`.
 */
import * as Comlink from 'comlink';
import { LlmEngine } from '../src/core/engine/llm-engine';
import type { GenerateRequest, GenerateResult, TokenEvent } from '../src/core/engine/types';
import { PandaError, toErrorPayload } from '../src/core/errors';
import { decoderFiles, decoderGroups, type BundleManifest, type WeightFormat } from '../src/core/manifest';
import type { OrtModule } from '../src/core/ort';
import { countingReader } from './counting-reader';

/** Where a load's time went: reading the bundle's bytes (IndexedDB or network) vs the rest (session creation). */
export interface LoadTimings {
  totalMs: number;
  readMs: number;
  otherMs: number;
  bytes: number;
}
import type { LlmEvent, ProgressEvent, ReadBlob, RuntimeConfig } from './events';
import { guard } from './guard';
import { serial } from './serial';
import { initOrt, sessionOptions } from './ort-runtime';
import { chooseDecoderFormat } from './variant-choice';

let ort: OrtModule | undefined;
let config: RuntimeConfig | undefined;
/** The promise of the load, memoised so concurrent callers share it. */
let engine: Promise<LlmEngine> | undefined;
/**
 * Shared stop flag (page writes the id of the generation to stop). The engine's decode loop may
 * never yield to the worker's message queue (wasm runs resolve as microtasks), so a `stop`
 * message could wait until the answer is complete; a SharedArrayBuffer is read between tokens.
 */
let stopFlag: Int32Array | undefined;
const running = new Map<number, AbortController>();
const queue = serial();

function needEngine(): Promise<LlmEngine> {
  if (!engine) throw new PandaError('MODEL_NOT_LOADED', 'The language model is not loaded yet. Wait for the model status to say "ready".');
  return engine;
}

const api = {
  init(cfg: RuntimeConfig, onDeviceLost: (reason: string) => void, flag?: Int32Array): Promise<void> {
    return guard(() => {
      stopFlag = flag;
      ort = initOrt(cfg, onDeviceLost);
      config = cfg;
    });
  },

  load(manifest: BundleManifest, readBlob: ReadBlob, onProgress: (e: ProgressEvent) => void, prefer?: WeightFormat): Promise<{ format: WeightFormat; file: string; timings: LoadTimings }> {
    return guard(async () => {
      if (!ort || !config) throw new PandaError('INTERNAL', 'The LLM worker was not initialised.');
      const format = chooseDecoderFormat(manifest.llm.decoders, config.backend, config.fp16, prefer);
      const decoder = manifest.llm.decoders.find((d) => d.format === format)!;
      const total = 4 + decoderFiles(decoder).length;
      const readFile = countingReader(readBlob, 'Language model', total, onProgress);
      const cfg = config;
      const o = ort;
      const t0 = performance.now();
      engine = LlmEngine.load({ ort: o, manifest, readFile, backend: cfg.backend, variant: format, sessionOptions: sessionOptions(cfg) });
      engine.catch(() => (engine = undefined));
      const e = await engine;
      const totalMs = performance.now() - t0;
      const { bytes, readMs } = readFile.stats();
      onProgress({ type: 'progress', stage: 'Language model ready', loaded: total, total });
      return { format: e.variant.format, file: decoderGroups(e.variant, manifest.llm.config.numLayers)[0]!.file, timings: { totalMs, readMs, otherMs: totalMs - readMs, bytes } };
    });
  },

  /** Streams `token` events, then one `done` or `error`; the promise settles the same way. */
  generate(id: number, req: GenerateRequest, onEvent: (e: LlmEvent) => void): Promise<GenerateResult> {
    const ctl = new AbortController();
    running.set(id, ctl);
    return guard(async () => {
      try {
        const e = await needEngine();
        const onToken = (t: TokenEvent): void => {
          onEvent({ type: 'token', ...t });
          if (stopFlag && Atomics.load(stopFlag, 0) === id) ctl.abort(); // the engine checks the signal right after
        };
        const result = await queue(() => e.generate(req, { signal: ctl.signal, onToken }));
        onEvent({ type: 'done', result });
        return result;
      } catch (err) {
        onEvent({ type: 'error', error: toErrorPayload(err) });
        throw err;
      } finally {
        running.delete(id);
      }
    });
  },

  /** Cooperative stop: the engine checks the signal before each decode step. */
  stop(id: number): void {
    running.get(id)?.abort();
  },

  resetCache(): Promise<void> {
    return guard(async () => {
      const e = await needEngine();
      await queue(async () => e.resetCache());
    });
  },

  dispose(): Promise<void> {
    return guard(async () => {
      running.forEach((c) => c.abort());
      const e = engine;
      engine = undefined;
      if (e) await (await e).dispose();
    });
  },
};

export type LlmWorkerApi = typeof api;
Comlink.expose(api);
