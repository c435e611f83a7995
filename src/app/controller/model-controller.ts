/**
 * Starts the model: pick the backend, prepare the bundle (download/verify/cache via the model
 * store), then load the LLM and encoder workers, reporting progress into the store.
 */
import { PandaError } from '../../core/errors';
import { createModelStore, createUrlSource, formatBytes, type BundleSource, type CachedBundle, type PrepareEvent } from '../../model-store';
import { useApp } from '../store';
import type { BundleManifest } from '../../core/manifest';
import { browserEnv, bundleNeeds, detectBackend, type BackendChoice, type BackendEnv } from '../workers/backend';
import { encoderBridge, llmBridge } from './services';

export const BUILTIN_MODEL_URL = './models/builtin/';

let store: ReturnType<typeof createModelStore> | undefined;
export function modelStore(): ReturnType<typeof createModelStore> {
  store ??= createModelStore();
  return store;
}

let loading: Promise<void> | undefined;
let bundle: CachedBundle | undefined;

/** The model source: `?model=URL` when given, else the built-in bundle. */
export function defaultSource(): BundleSource {
  const fromQuery = new URLSearchParams(location.search).get('model');
  return createUrlSource(fromQuery || BUILTIN_MODEL_URL);
}

function prepareProgress(e: PrepareEvent): void {
  const setModel = useApp.getState().setModel;
  if (e.type === 'manifest') setModel({ name: e.name, progress: { stage: e.missingBytes ? `Downloading ${e.name}` : `Opening ${e.name}`, fraction: 0 } });
  if (e.type === 'progress') {
    const p = e.progress;
    const eta = p.etaSeconds != null ? `, ${Math.ceil(p.etaSeconds)} s left` : '';
    setModel({ progress: { stage: 'Downloading model', fraction: p.total ? p.loaded / p.total : null, detail: `${formatBytes(p.loaded)} of ${formatBytes(p.total)}${eta}` } });
  }
  if (e.type === 'notice') useApp.getState().pushToast({ kind: 'info', message: e.message, code: e.code });
}

let currentSource: BundleSource | undefined;

/** `env` whose adapter request is already under way (asked once, answered to whoever asks). */
function earlyAdapter(env: BackendEnv): BackendEnv {
  if (!env.gpu) return env;
  const adapter = env.gpu.requestAdapter();
  adapter.catch(() => undefined); // detectBackend sees the failure when it asks; unused, it is no error
  return { ...env, gpu: { requestAdapter: () => adapter } };
}

/**
 * Loads (or reloads: backend change, another bundle from the model panel) the model. Loads run
 * one after another; a call without a source reloads the current one.
 */
export function startModel(source?: BundleSource): Promise<void> {
  const src = source ?? currentSource ?? defaultSource();
  currentSource = src;
  const run: Promise<void> = (loading ?? Promise.resolve()).then(() => load(src)).finally(() => {
    if (loading === run) loading = undefined;
  });
  loading = run;
  return run;
}

async function load(source: BundleSource): Promise<void> {
  const { setModel, pushToast } = useApp.getState();
  setModel({ state: 'loading', error: undefined, encoderReady: false, progress: { stage: 'Checking your device', fraction: null } });
  try {
    const override = useApp.getState().settings.backend;
    // Work that does not depend on the manifest starts now, beside its revalidation: the workers'
    // scripts (onnxruntime's JS) load, and the GPU adapter is asked for.
    llmBridge().warm();
    encoderBridge().warm();
    const env = earlyAdapter(browserEnv());
    // The backend follows from the device and the bundle's needs: decided as soon as the manifest
    // is read, so a bundle this device cannot run is refused before any download.
    let choice: BackendChoice | undefined;
    const decide = async (manifest: BundleManifest): Promise<void> => {
      choice = await detectBackend(env, override === 'auto' ? undefined : override, bundleNeeds(manifest));
      setModel({ backend: choice });
      if (choice.warning) pushToast({ kind: 'info', message: choice.warning, code: 'BACKEND_SLOW' });
    };
    bundle = await modelStore().prepare(source, { onProgress: prepareProgress, beforeDownload: decide });
    const m = bundle.manifest;
    if (!choice) await decide(m);
    if (!choice) throw new PandaError('INTERNAL', 'no backend was chosen');
    setModel({ name: m.name, notice: m.notice, defaults: m.llm.generation, hasEncoder: !!m.imagebind, labels: m.imagebind?.labels });
    if (!useApp.getState().settingsTouched) useApp.getState().resetSettings(m.llm.generation);
    const enc = m.imagebind
      ? encoderBridge()
          .load(bundle, choice.encoders ?? choice, (p) => setModel({ progress: { stage: p.stage, fraction: p.total ? p.loaded / p.total : null } }))
          .then(
            () => setModel({ encoderReady: true }),
            (e: PandaError) => pushToast({ kind: 'error', message: `Media encoder: ${e.message}`, code: e.code }),
          )
      : Promise.resolve();
    const info = await llmBridge().load(bundle, choice, (p) => setModel({ progress: { stage: p.stage, fraction: p.total ? p.loaded / p.total : null } }));
    await enc;
    setModel({ state: 'ready', variant: info.format, progress: undefined, loadTimings: info.timings });
  } catch (e) {
    const err = e instanceof PandaError ? e : new PandaError('INTERNAL', e instanceof Error ? e.message : String(e));
    setModel({ state: 'error', error: err.message, progress: undefined });
    pushToast({ kind: 'error', message: err.message, code: err.code });
  }
}
