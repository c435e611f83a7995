/**
 * Encoder worker: media preprocessing (pure TS, off the main thread) and the single owner of the
 * ImageBind onnxruntime-web sessions. Thin adapter over `ImageBindEngine`; the page uses it only
 * through `EncoderBridge`.
 */
import * as Comlink from 'comlink';
import type { ZeroShotTag } from '../src/core/encoders/types';
import { ImageBindEngine, type EncoderKind } from '../src/core/encoders/imagebind-engine';
import { PandaError, throwIfAborted } from '../src/core/errors';
import { referencedFiles, type BundleManifest } from '../src/core/manifest';
import type { OrtModule } from '../src/core/ort';
import { countingReader } from './counting-reader';
import type { EncoderInput } from './encoder-input';
import type { ProgressEvent, ReadBlob, RuntimeConfig } from './events';
import { guard } from './guard';
import { serial } from './serial';
import { initOrt, sessionOptions } from './ort-runtime';
import { toModelInput } from './preprocess-input';

let ort: OrtModule | undefined;
let config: RuntimeConfig | undefined;
let engine: Promise<ImageBindEngine> | undefined;
const running = new Map<number, AbortController>();
const queue = serial();

function needEngine(): Promise<ImageBindEngine> {
  if (!engine) throw new PandaError('MODEL_NOT_LOADED', 'The media encoder is not loaded yet. Wait for the model status to say "ready".');
  return engine;
}

export interface EncodeResult {
  /** ImageBind embedding as PandaGPT feeds it to llama_proj. */
  vector: Float32Array;
  tags: ZeroShotTag[];
  ms: number;
}

const api = {
  init(cfg: RuntimeConfig, onDeviceLost: (reason: string) => void): Promise<void> {
    return guard(() => {
      ort = initOrt(cfg, onDeviceLost);
      config = cfg;
    });
  },

  load(manifest: BundleManifest, readBlob: ReadBlob, onProgress: (e: ProgressEvent) => void): Promise<{ modalities: string[] }> {
    return guard(async () => {
      if (!ort || !config) throw new PandaError('INTERNAL', 'The encoder worker was not initialised.');
      const ib = manifest.imagebind;
      if (!ib) throw new PandaError('MANIFEST_INVALID', 'This bundle has no ImageBind encoders, so it can only chat in text.');
      const llmFiles = new Set(referencedFiles({ ...manifest, imagebind: undefined }));
      const total = referencedFiles(manifest).filter((f) => !llmFiles.has(f)).length;
      const readFile = countingReader(readBlob, 'Media encoder', total, onProgress);
      // Create every session now (with progress) rather than on the first attachment.
      const modalities = Object.keys(ib.encoders) as EncoderKind[];
      engine = ImageBindEngine.load({ ort, manifest, readFile, backend: config.backend, sessionOptions: sessionOptions(config), modalities });
      engine.catch(() => (engine = undefined));
      await engine;
      onProgress({ type: 'progress', stage: 'Media encoder ready', loaded: total, total });
      return { modalities: Object.keys(ib.encoders) };
    });
  },

  /** Preprocesses and embeds one attachment; zero-shot tags against `labels` when given. */
  encode(id: number, input: EncoderInput, labels: string[]): Promise<EncodeResult> {
    const ctl = new AbortController();
    running.set(id, ctl);
    return guard(async () => {
      try {
        const e = await needEngine();
        const t0 = performance.now();
        // Preprocessing may overlap; the encoder sessions run one call at a time.
        const modelInput = await toModelInput(input, ctl.signal);
        const { vector, tags } = await queue(async () => {
          throwIfAborted(ctl.signal);
          const v = (await e.embed(modelInput)).slice(); // own buffer: safe to transfer
          throwIfAborted(ctl.signal);
          return { vector: v, tags: labels.length ? await e.zeroShot(v, labels) : [] };
        });
        return Comlink.transfer({ vector, tags, ms: performance.now() - t0 }, [vector.buffer as ArrayBuffer]);
      } finally {
        running.delete(id);
      }
    });
  },

  stop(id: number): void {
    running.get(id)?.abort();
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

export type EncoderWorkerApi = typeof api;
Comlink.expose(api);
