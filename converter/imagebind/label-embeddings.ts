/**
 * The text encoder's embeddings of a bundle's zero-shot labels, computed once at conversion and
 * shipped (labels × outDim fp32, a few KB): the app tags media with them without downloading or
 * running ImageBind's 24-layer text encoder (16 labels × 77 tokens cost more than the image itself).
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { ImageBindEngine } from '../../src/core/encoders/imagebind-engine';
import type { BundleManifest, ImageBindSection, RawTensorRef } from '../../src/core/manifest';
import type { OrtModule } from '../../src/core/ort';
import type { BundleWriter } from '../bundle/writer';
import { writeRawTensor } from '../bundle/raw-tensor';
import { nodePartLoader } from '../../cli/node-runtime';

export const LABEL_EMBEDDINGS_FILE = 'imagebind-label-embeddings.f32.bin';

/** Runs the bundle's own text encoder (onnxruntime-node, CPU) over `labels` and writes the rows. */
export async function writeLabelEmbeddings(w: BundleWriter, section: ImageBindSection, labels: string[]): Promise<RawTensorRef> {
  const engine = await ImageBindEngine.load({
    ort: ort as unknown as OrtModule,
    manifest: { imagebind: section } as BundleManifest,
    readFile: async (p) => new Uint8Array(await readFile(w.path(p))),
    // onnxruntime reads the graph and its weights from the files: no copy of them in JS (0.36 GB at Huge).
    loadPart: nodePartLoader(w.dir),
    gunzip: async (gz) => gunzipSync(gz).toString('utf8'),
    backend: 'cpu',
    sessionOptions: { graphOptimizationLevel: 'all' },
  });
  try {
    const rows = await engine.embedText(labels);
    const dim = section.outDim;
    const all = new Float32Array(labels.length * dim);
    rows.forEach((r, i) => all.set(r, i * dim));
    return await writeRawTensor(w, LABEL_EMBEDDINGS_FILE, all, [labels.length, dim], 'float32');
  } finally {
    await engine.dispose();
  }
}
