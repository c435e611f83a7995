/**
 * A plain Web Worker running the project's pure preprocessing and the ImageBind engine on
 * onnxruntime-web, to check that the browser path gives the Node embeddings.
 */
import * as ort from 'onnxruntime-web';
import { ImageBindEngine } from '../../src/core/encoders/imagebind-engine';
import { parseManifest, type Modality } from '../../src/core/manifest';
import type { Backend, OrtModule } from '../../src/core/ort';
import { platformImageDecoder, preprocessBytes } from '../../src/preprocess/index';

interface Job {
  bundleUrl: string;
  backend: Backend;
  items: { modality: Modality; url: string }[];
}

self.onmessage = async (ev: MessageEvent<Job>) => {
  try {
    const { bundleUrl, backend, items } = ev.data;
    const readFile = async (p: string): Promise<Uint8Array> => {
      const r = await fetch(bundleUrl + p);
      if (!r.ok) throw new Error(`${p}: HTTP ${r.status}`);
      return new Uint8Array(await r.arrayBuffer());
    };
    const manifest = parseManifest(new TextDecoder().decode(await readFile('manifest.json')));
    const engine = await ImageBindEngine.load({
      ort: ort as unknown as OrtModule,
      manifest,
      readFile,
      backend,
      format: 'fp32',
      sessionOptions: { executionProviders: [backend === 'webgpu' ? 'webgpu' : 'wasm'] },
    });
    const vectors: number[][] = [];
    for (const it of items) {
      const bytes = new Uint8Array(await (await fetch(it.url)).arrayBuffer());
      const input = await preprocessBytes(it.modality, bytes, { fallback: platformImageDecoder });
      vectors.push(Array.from(await engine.embed(input)));
    }
    await engine.dispose();
    (self as unknown as Worker).postMessage({ ok: true, vectors });
  } catch (e) {
    (self as unknown as Worker).postMessage({ ok: false, error: String((e as Error)?.stack ?? e) });
  }
};
