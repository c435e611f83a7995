/**
 * Encoder worker: media preprocessing (pure TS, off the main thread) and the single owner of the
 * ImageBind onnxruntime-web sessions. Thin adapter over `ImageBindEngine`; the page uses it only
 * through `EncoderBridge`.
 */
import * as Comlink from 'comlink';
import type { ZeroShotTag } from '../src/core/encoders/types';
import { ImageBindEngine } from '../src/core/encoders/imagebind-engine';
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
      // No session is created now: each encoder is created when its modality is first used (a
      // ViT-H session costs seconds and GBs that a text-only chat never needs).
      engine = ImageBindEngine.load({ ort, manifest, readFile, backend: config.backend, sessionOptions: sessionOptions(config), modalities: [] });
      engine.catch(() => (engine = undefined));
      await engine;
      onProgress({ type: 'progress', stage: 'Media encoder ready', loaded: total, total });
      return { modalities: Object.keys(ib.encoders) };
    });
  },

  /** Preprocesses and embeds one attachment (its encoder session is created on first use). */
  encode(id: number, input: EncoderInput): Promise<EncodeResult> {
    const ctl = new AbortController();
    running.set(id, ctl);
    return guard(async () => {
      try {
        const e = await needEngine();
        const t0 = performance.now();
        // Preprocessing may overlap; the encoder sessions run one call at a time.
        const modelInput = await toModelInput(input, ctl.signal);
        const vector = await queue(async () => {
          throwIfAborted(ctl.signal);
          return (await e.embed(modelInput)).slice(); // own buffer: safe to transfer
        });
        return Comlink.transfer({ vector, ms: performance.now() - t0 }, [vector.buffer as ArrayBuffer]);
      } finally {
        running.delete(id);
      }
    });
  },

  /**
   * Zero-shot tags of a vector, asked for after the vector is in use: the bundle's own labels come
   * precomputed; other labels run the text encoder (created then).
   */
  tags(vector: Float32Array, labels: string[]): Promise<ZeroShotTag[]> {
    return guard(async () => {
      const e = await needEngine();
      return labels.length ? queue(() => e.zeroShot(vector, labels)) : [];
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
